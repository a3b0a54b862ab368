//! Unit tests of the parent module.

use super::*;

#[test]
fn header_text_refuses_line_breaks() {
    assert!(HeaderText::try_from("a\r\nBcc: x@example.org".to_owned()).is_err());
    assert!(HeaderText::try_from("Beste lezer – één".to_owned()).is_ok());
}

#[test]
fn email_addresses_are_checked() {
    assert!("anne@example.nl".parse::<EmailAddr>().is_ok());
    assert!("anne@@example.nl".parse::<EmailAddr>().is_err());
    assert!("anne".parse::<EmailAddr>().is_err());
    assert_eq!(
        "a@b.example".parse::<EmailAddr>().unwrap().domain(),
        "b.example"
    );
}

#[test]
fn contrast_matches_wcag_examples() {
    let black = Color([0, 0, 0]);
    let white = Color([255, 255, 255]);
    assert!((black.contrast(white) - 21.0).abs() < 1e-9);
    let grey = Color::try_from("#767676".to_owned()).unwrap();
    assert!((grey.contrast(white) - 4.54).abs() < 0.01);
}

#[test]
fn unsubscribe_template_encodes_the_address() {
    let t = UrlTemplate::try_from("https://x.example/u?e={email}&t={token}".to_owned()).unwrap();
    assert_eq!(
        t.fill("a+b@x.example", "T"),
        "https://x.example/u?e=a%2Bb%40x.example&t=T"
    );
    assert!(t.has_token() && t.has_email());
}

#[test]
fn rates_in_every_unit() {
    assert_eq!("10/s".parse::<Rate>(), Ok(Rate::PerSecond(10.0)));
    assert_eq!("600/min".parse::<Rate>(), Ok(Rate::PerSecond(10.0)));
    assert_eq!("3600/h".parse::<Rate>(), Ok(Rate::PerSecond(1.0)));
    assert_eq!("unlimited".parse::<Rate>(), Ok(Rate::Unlimited));
    assert!("0/s".parse::<Rate>().is_err() && "10 per s".parse::<Rate>().is_err());
}

#[test]
fn base_url_gets_a_trailing_slash() {
    let b = BaseUrl::try_from("https://x.example/nieuws".to_owned()).unwrap();
    assert_eq!(b.join("2022-12/"), "https://x.example/nieuws/2022-12/");
}

#[test]
fn sizes_are_written_as_providers_state_them() {
    use super::Size;
    assert_eq!("25 MB".parse::<Size>().unwrap(), Size(25_000_000));
    assert_eq!("25mb".parse::<Size>().unwrap(), Size(25_000_000));
    assert_eq!("500 KB".parse::<Size>().unwrap(), Size(500_000));
    assert_eq!("1.5 GB".parse::<Size>().unwrap(), Size(1_500_000_000));
    for bad in ["25", "MB", "25 MiB", "-1 MB", ""] {
        assert!(bad.parse::<Size>().is_err(), "{bad}");
    }
    assert_eq!(Size(27_345_678).to_string(), "27.3 MB");
}
