//! Input as staff make it: files saved by Notepad and Excel on Windows (CRLF, a byte-order mark,
//! Windows-1252, `;` and trailing empty columns), and text that tries to look like courant's own
//! markers. Regression tests of issue 10, items 1, 2 and 7.

use std::path::Path;

use crate::common::Test;
use crate::common::courant;
use crate::common::words;
use crate::common::{contains, lacks};

/// `check` of the minimal fixture with `from` replaced by `to` in its edition.
fn check_edited(from: &str, to: &str) -> crate::common::Run {
    let dir = Test::fixture("minimal").revise(from, to);
    dir.words("check edition.toml")
}

/// The file with every line ending in CRLF and a UTF-8 byte-order mark, as Notepad saves it.
fn save_as_windows(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    std::fs::write(path, crlf).unwrap();
}

#[test]
fn an_edition_saved_with_crlf_and_a_bom_checks_like_the_original() {
    let dir = Test::seed();
    let original = dir.words("check issues/2022-12.toml");
    save_as_windows(&dir.join("issues/2022-12.toml"));
    save_as_windows(&dir.join("issues/newsletter.toml"));
    let windows = dir.words("check issues/2022-12.toml");
    assert_eq!(windows.code, original.code, "{}", windows.stderr);
    assert_eq!(windows.stderr, original.stderr);
    let build = dir.words("build issues/2022-12.toml --out b");
    assert_eq!(build.code, 0, "{}", build.stderr);
    let html = std::fs::read_to_string(dir.join("b/email.html")).unwrap();
    assert!(
        !html.contains('\r'),
        "no carriage return reaches the email text"
    );
}

#[test]
fn image_paths_written_with_backslashes_on_windows_find_their_files() {
    let dir = Test::seed();
    let original = dir.words("check issues/2022-12.toml");
    // In TOML a backslash is written doubled: `src = "2022-12\\magazine.png"`.
    crate::common::edit(
        &dir.join("issues/2022-12.toml"),
        "src = \"2022-12/",
        "src = \"2022-12\\\\",
    );
    let edition = std::fs::read_to_string(dir.join("issues/2022-12.toml")).unwrap();
    assert!(
        edition.contains(r#"src = "2022-12\\magazine.png""#),
        "edited"
    );
    let windows = dir.words("check issues/2022-12.toml");
    assert_eq!(windows.code, original.code, "{}", windows.stderr);
    assert_eq!(windows.stderr, original.stderr);
}

/// The minimal fixture without `[dkim]`, so that it previews without a key.
fn unsigned_fixture() -> Test {
    let dir = Test::fixture("minimal");
    let settings = dir.join("newsletter.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, &text[..text.find("[dkim]").unwrap()]).unwrap();
    dir
}

fn preview_list(name: &str, bytes: &[u8]) -> crate::common::Run {
    let dir = unsigned_fixture();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    dir.preview(name)
}

/// A workbook is read as one by its name; a damaged one, or one saved under a text file's
/// name, is named as what it is, with how to save it so that courant can read it.
#[test]
fn a_damaged_or_misnamed_workbook_is_named_as_one_with_how_to_save_it() {
    // The first bytes of each: a ZIP (.xlsx, .ods) and an OLE2 compound file (.xls).
    let workbooks: [(&str, &[u8]); 3] = [
        (
            "leden.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
        ),
        (
            "leden.ods",
            b"PK\x03\x04\x14\x00\x00\x08mimetypeapplication/vnd.oasis",
        ),
        (
            "leden.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00",
        ),
    ];
    for (name, bytes) in workbooks {
        let run = preview_list(name, bytes);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        let says = format!("cannot read the workbook `{name}`: ");
        assert!(contains(&run.stderr, &says));
        assert!(contains(
            &run.stderr,
            "save it again from Excel or LibreOffice, or export it as \"CSV UTF-8\""
        ));
        let misnamed = preview_list("leden.csv", bytes);
        assert_eq!(misnamed.code, 2, "{name}: {}", misnamed.stderr);
        assert!(contains(
            &misnamed.stderr,
            "`leden.csv` is a spreadsheet workbook"
        ));
        assert!(contains(
            &misnamed.stderr,
            "give it its own name (`.xlsx`, `.ods`, `.xls`)"
        ));
    }
}

#[test]
fn an_excel_csv_with_crlf_points_at_the_right_line() {
    let csv = "email;naam\r\nanne@example.nl;Anne\r\nANNE@example.nl;Anne de Vries\r\n";
    let csv = csv.replace("naam", "name");
    let run = preview_list("lijst.csv", csv.as_bytes());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "--> lijst.csv:3:1"));
    assert!(
        run.stderr.contains("lijst.csv:2:1"),
        "the first is on line 2: {}",
        run.stderr
    );
}

#[test]
fn an_excel_csv_in_windows_1252_with_trailing_columns_is_read() {
    // "Ömer Karaca;" in Windows-1252: Ö is the single byte 0xD6.
    let mut csv = b"email;name;;\r\nomer@example.nl;".to_vec();
    csv.push(0xD6);
    csv.extend_from_slice(b"mer Karaca;;\r\njan@example.nl;Jan;;\r\n");
    let run = preview_list("lijst.csv", &csv);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(&run.stderr, "read as Windows-1252"));
    assert!(contains(&run.stdout, "wrote 2 messages"));
}

#[test]
fn a_name_in_windows_1252_reaches_the_greeting_intact() {
    let dir = with_windows_1252_list();
    let run = dir.preview("lijst.csv");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let eml = std::fs::read(dir.join("out/0001-omer@example.nl.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
    assert!(message.body_text(0).unwrap().contains("Beste Ömer,"));
}

#[test]
fn a_toml_file_that_is_not_utf8_is_refused_at_its_line_with_a_remedy() {
    let dir = Test::fixture("minimal");
    let path = dir.join("edition.toml");
    let mut text = std::fs::read(&path).unwrap();
    let at = text.windows(6).position(|w| w == b"januar").unwrap();
    text[at + 1] = 0xE9;
    std::fs::write(&path, text).unwrap();
    let run = dir.words("check edition.toml");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "--> edition.toml:1:"));
    assert!(contains(&run.stderr, "save the file as UTF-8"));
}

#[test]
fn text_cannot_forge_the_personal_slots() {
    let run = check_edited("title = \"Eerste bericht\"", "title = \"T\\uE000G\\uE001\"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "private-use character U+E000"));
    assert!(contains(&run.stderr, "--> edition.toml:"));
}

#[test]
fn the_subject_is_checked_for_bidi_and_invisible_characters() {
    let run = check_edited(
        "subject = \"Testbrief januari\"",
        "subject = \"S \\u202Egpj.exe\"",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(&run.stderr, "U+202E"));
}

#[test]
fn an_edition_without_items_is_an_error() {
    let dir = Test::fixture("minimal");
    let path = dir.join("edition.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let head = &text[..text.find("[[section]]").unwrap()];
    std::fs::write(&path, head).unwrap();
    let run = dir.words("check edition.toml");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(&run.stderr, "no items"));
}

/// Two items whose images are different files with the same name, in two folders.
fn same_names(dir: &Path) {
    let png = std::fs::read(dir.join("foto.png")).unwrap();
    for (folder, byte) in [("a", 1u8), ("b", 2u8)] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        let mut bytes = png.clone();
        bytes.extend_from_slice(&[byte; 16]);
        std::fs::write(dir.join(folder).join("foto.png"), bytes).unwrap();
    }
    let path = dir.join("edition.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("src = \"foto.png\"", "src = \"a/foto.png\"");
    let second = "\n[[section.item]]\ntitle = \"Tweede bericht\"\nbody = \"Meer.\"\nimage = { src = \"b/foto.png\", alt = \"Tekening van een rood vierkant.\" }\n";
    std::fs::write(&path, format!("{text}{second}")).unwrap();
}

#[test]
fn images_with_the_same_file_name_keep_their_own_content_id_and_file() {
    let dir = unsigned_fixture();
    let d = dir.path();
    same_names(d);
    let build = courant(d, &["build", "edition.toml", "--out", "b"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let a = std::fs::read(d.join("a/foto.png")).unwrap();
    let b = std::fs::read(d.join("b/foto.png")).unwrap();
    let html = std::fs::read_to_string(d.join("b/email.html")).unwrap();
    let written: Vec<Vec<u8>> = std::fs::read_dir(d.join("b"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    assert!(
        written.contains(&a) && written.contains(&b),
        "both pictures are written"
    );
    dir.write("list.toml", "[[subscriber]]\nemail = \"anne@example.nl\"\n");
    let preview = dir.preview("list.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let eml = std::fs::read(d.join("out/0001-anne@example.nl.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
    let images: Vec<(String, Vec<u8>)> = message
        .attachments()
        .map(|p| {
            use mail_parser::MimeHeaders;
            (p.content_id().unwrap().to_owned(), p.contents().to_vec())
        })
        .collect();
    let ids: std::collections::HashSet<&String> = images.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), images.len(), "one Content-ID each: {ids:?}");
    assert!(images.iter().any(|(_, c)| *c == a) && images.iter().any(|(_, c)| *c == b));
    for (id, _) in &images {
        assert!(html.contains(id.as_str()), "{id} is shown");
    }
}

#[test]
fn images_outside_the_editions_folder_are_refused() {
    let dir = unsigned_fixture();
    let d = dir.path();
    let elsewhere = Test::empty();
    std::fs::copy(d.join("foto.png"), elsewhere.join("geheim.png")).unwrap();
    let relative = format!(
        "../{}/geheim.png",
        elsewhere.path().file_name().unwrap().to_string_lossy()
    );
    let path = d.join("edition.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    for src in [
        relative.as_str(),
        elsewhere.join("geheim.png").to_str().unwrap(),
    ] {
        std::fs::write(
            &path,
            text.replace("src = \"foto.png\"", &format!("src = \"{src}\"")),
        )
        .unwrap();
        let check = courant(d, &["check", "edition.toml"]);
        assert_eq!(check.code, 1, "{}", check.stderr);
        assert!(contains(&check.stderr, "outside the edition's folder"));
        assert!(contains(&check.stderr, "--> edition.toml:"));
        let build = courant(d, &["build", "edition.toml", "--out", "b"]);
        assert!(
            !d.join("b/geheim.png").exists(),
            "not copied: {}",
            build.stderr
        );
    }
    std::fs::write(
        &path,
        text.replace("src = \"foto.png\"", "src = \"foto.png\\nx\""),
    )
    .unwrap();
    let check = courant(d, &["check", "edition.toml"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(contains(&check.stderr, "line break"));
}

// Messages a staff member can act on (issue 10).

#[test]
fn a_date_written_the_dutch_way_gets_the_form_to_write() {
    let run = check_edited("date = 2023-01-15", "date = \"15-01-2023\"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "`date = 2023-01-15`"));
}

#[test]
fn a_url_without_a_scheme_says_to_write_one() {
    let run = check_edited(
        "url = \"https://example.org/eerste\"",
        "url = \"example.org/eerste\"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "`https://example.org/eerste`"));
    let seed = Test::seed().file("l.toml", "[[subscriber]]\nemail = \"a@example.org\"\n");
    let send = seed.words("send issues/2022-12.toml -s l.toml --smtp mail.example.nl:587 --yes");
    assert_eq!(send.code, 2, "{}", send.stderr);
    assert!(contains(&send.stderr, "`smtp://mail.example.nl:587`"));
}

#[test]
fn check_on_a_folder_says_to_name_an_edition_file() {
    let dir = Test::seed();
    let run = dir.words("check issues");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "`issues` is a folder; name an edition file, e.g. `issues/2022-12.toml`"
    ));
}

#[test]
fn a_missing_secret_says_how_to_make_one() {
    let dir = Test::seed().file("l.toml", "[[subscriber]]\nemail = \"a@example.org\"\n");
    let run = crate::common::courant_env(
        dir.path(),
        &words("preview issues/2022-12.toml -s l.toml -o out"),
        &[("COURANT_UNSUBSCRIBE_SECRET", "")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "openssl rand -base64 32"));
}

/// Issue 16: the Windows-1252 warning went past the terminal, so `-q` could not silence it on
/// any command of a staff member with an Excel list.
#[test]
fn quiet_silences_the_windows_1252_warning() {
    let dir = with_windows_1252_list();
    let preview = "preview edition.toml -s lijst.csv --out out";
    let loud = dir.words(preview);
    assert!(contains(&loud.stderr, "read as Windows-1252"));
    let quiet = dir.words(&format!("-q {preview}"));
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "-q printed a warning");
    assert!(contains(&quiet.stdout, "wrote 1 message"));
    let check = dir.words("-q check edition.toml");
    assert_eq!((check.code, check.stderr.as_str()), (0, ""));
}

/// The unsigned fixture with `lijst.csv` as Excel saves it on Dutch Windows: `;`, CRLF, and
/// "Ömer" in Windows-1252 (Ö is the single byte 0xD6).
fn with_windows_1252_list() -> Test {
    let dir = unsigned_fixture();
    let mut csv = b"email;name\r\nomer@example.nl;".to_vec();
    csv.push(0xD6);
    csv.extend_from_slice(b"mer\r\n");
    dir.write("lijst.csv", &csv);
    dir
}

/// Issue 18, item 3: Excel's "CSV UTF-8" of a sheet with Windows-1252 text has a UTF-8
/// byte-order mark before Windows-1252 bytes; the mark was trusted and `Jürgen` became
/// `J�rgen` in `To` and the greeting. The bytes decide.
#[test]
fn a_byte_order_mark_before_windows_1252_bytes_does_not_spoil_the_names() {
    let dir = unsigned_fixture().file(
        "lijst.csv",
        b"\xef\xbb\xbfemail;name\r\njurgen@example.nl;J\xfcrgen\r\n",
    );
    let run = dir.preview("lijst.csv");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(&run.stderr, "read as Windows-1252"));
    let eml = std::fs::read(dir.join("out/0001-jurgen@example.nl.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
    assert!(message.body_text(0).unwrap().contains("Beste Jürgen,"));
    let to = message
        .to()
        .unwrap()
        .first()
        .unwrap()
        .name()
        .unwrap()
        .to_owned();
    assert_eq!(to, "Jürgen");
}

/// Issue 18, item 5: a soft hyphen added where `check` advises one still got `word-too-long`.
#[test]
fn a_soft_hyphen_where_check_advises_one_silences_word_too_long() {
    let word = "Arbeidsongeschiktheidsverzekeringsmaatschappij";
    let long = check_edited("met *nadruk*", &format!("met *{word}*"));
    assert!(contains(&long.stderr, "warning[word-too-long]"));
    let hyphened = "Arbeids\\u00ADongeschiktheids\\u00ADverzekerings\\u00ADmaatschappij";
    let fixed = check_edited("met *nadruk*", &format!("met *{hyphened}*"));
    assert!(lacks(&fixed.stderr, "word-too-long"));
}

/// Issue 18, item 6: a municipality's phone number as a link was refused (`tel:`).
#[test]
fn a_phone_number_may_be_a_tel_link() {
    let run = check_edited(
        "[link naar het verslag](https://example.org/verslag)",
        "[link naar het verslag](https://example.org/verslag), bel [14 020](tel:+3114020)",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(lacks(&run.stderr, "link-invalid"));
    let dir = unsigned_fixture().revise(
        "[link naar het verslag](https://example.org/verslag)",
        "bel [14 020](tel:+3114020)",
    );
    assert_eq!(dir.words("build edition.toml --out b").code, 0);
    let page = std::fs::read_to_string(dir.join("b/index.html")).unwrap();
    assert!(contains(&page, "<a href=\"tel:+3114020\">14 020</a>"));
}

/// Issue 18, item 6: the language was only the newsletter's, so an English edition of a Dutch
/// newsletter needed a folder of its own.
#[test]
fn an_edition_may_be_in_another_language_than_its_newsletter() {
    let dir = unsigned_fixture().revise("subject = ", "language = \"en\"\nsubject = ");
    assert_eq!(dir.words("check edition.toml").code, 0);
    assert_eq!(dir.words("build edition.toml --out b").code, 0);
    let page = std::fs::read_to_string(dir.join("b/email.html")).unwrap();
    assert!(contains(&page, "<html lang=\"en\""));
    assert!(contains(&page, "Unsubscribe from this newsletter"));
    let dutch = unsigned_fixture();
    assert_eq!(dutch.words("build edition.toml --out b").code, 0);
    let page = std::fs::read_to_string(dutch.join("b/email.html")).unwrap();
    assert!(contains(&page, "<html lang=\"nl\""));
}

/// Issue 18, item 6: no introduction under a section title and no sign-off at the end.
#[test]
fn a_section_has_an_introduction_and_the_edition_a_sign_off() {
    let dir = unsigned_fixture()
        .revise(
            "subject = ",
            "sign-off = \"Met vriendelijke groet,\\\\\\nde redactie\"\nsubject = ",
        )
        .revise(
            "title = \"Nieuws\"",
            "title = \"Nieuws\"\nintro = \"Wat er *deze maand* speelde.\"",
        );
    let check = dir.words("check edition.toml");
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_eq!(dir.words("build edition.toml --out b").code, 0);
    let page = std::fs::read_to_string(dir.join("b/index.html")).unwrap();
    let intro = page.find("Wat er <em>deze maand</em> speelde.").unwrap();
    assert!(page.find(">Nieuws</h2>").unwrap() < intro);
    assert!(intro < page.find("Eerste bericht").unwrap());
    let sign_off = page.find("Met vriendelijke groet,<br>de redactie").unwrap();
    assert!(page.rfind("Lees het eerste bericht").unwrap() < sign_off);
    let text = std::fs::read_to_string(dir.join("b/email.txt")).unwrap();
    assert!(contains(
        &text,
        "NIEUWS\n======\n\nWat er deze maand speelde."
    ));
    assert!(contains(&text, "Met vriendelijke groet,\nde redactie"));
}
