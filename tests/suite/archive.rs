//! `courant archive`: the web versions at the URLs the emails link to, an index newest first,
//! an Atom feed (read back by Python's XML parser), all valid HTML to vnu, none personal.

use std::process::Command;

use crate::common::Test;
use crate::common::succeeded;

#[test]
fn the_archive_lists_editions_newest_first_with_a_feed_and_no_personal_data() {
    let dir = Test::seed();
    let december = std::fs::read_to_string(dir.join("issues/2022-12.toml")).unwrap();
    let january = december
        .replace("date = 2022-12-15", "date = 2023-01-19")
        .replace("December 2022", "Januari 2023");
    dir.write("issues/2023-01.toml", january);
    let run = dir.words("archive --out site");
    assert_eq!(
        run.said(),
        (0, "wrote 2 editions with an index and feed.xml to site\n")
    );
    let site = dir.join("site");

    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    let jan = index.find("href=\"2023-01/\"").expect("January linked");
    let dec = index.find("href=\"2022-12/\"").expect("December linked");
    assert!(jan < dec, "newest first");
    for landmark in [
        "<html lang=\"nl\">",
        "<header>",
        "<main>",
        "<footer>",
        "<h1>WeerbaarNL</h1>",
    ] {
        assert!(index.contains(landmark), "{landmark}");
    }
    for page in ["2022-12/index.html", "2023-01/index.html"] {
        let html = std::fs::read_to_string(site.join(page)).unwrap();
        assert!(
            !html.contains("Beste") && !html.contains("afmelden/"),
            "{page} has personal data"
        );
        assert!(site.join(page).with_file_name("magazine.png").is_file());
    }

    let script = "import sys, xml.etree.ElementTree as E\n\
                  a = '{http://www.w3.org/2005/Atom}'\n\
                  for e in E.parse(sys.argv[1]).getroot().findall(a + 'entry'):\n\
                  \x20   print(e.find(a + 'id').text, e.find(a + 'updated').text, e.find(a + 'title').text)";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(site.join("feed.xml"))
        .output()
        .unwrap();
    assert!(succeeded(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "https://www.weerbaarnl.example/nieuwsbrief/2023-01/ 2023-01-19T00:00:00Z Nieuwsbrief WeerbaarNL – Januari 2023\n\
         https://www.weerbaarnl.example/nieuwsbrief/2022-12/ 2022-12-15T00:00:00Z Nieuwsbrief WeerbaarNL – December 2022\n"
    );

    let report = crate::common::vnu(&[site.join("index.html"), site.join("2022-12/index.html")]);
    assert_eq!(report["messages"], serde_json::json!([]), "{report:#}");
}

#[test]
fn the_email_links_to_its_page_in_the_archive() {
    let dir = Test::seed();
    dir.words("archive --out site");
    let run = dir.words("build issues/2022-12.toml --out b");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let email = std::fs::read_to_string(dir.join("b/email.html")).unwrap();
    assert!(email.contains("href=\"https://www.weerbaarnl.example/nieuwsbrief/2022-12/\""));
    assert!(
        dir.join("site/2022-12/index.html").is_file(),
        "the page that URL maps to"
    );
}
