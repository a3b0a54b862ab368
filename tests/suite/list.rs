//! Issue 19: the list lives in the ledger. Staff import a CSV from Excel and a workbook written
//! by a real spreadsheet library, send from the stored list to a real smtp-sink, remove
//! someone, and answer a person's requests: what is held about them, proof of consent, and
//! erasure that leaves their address nowhere in the database's files or dump. On SQLite and
//! PostgreSQL alike.

use std::path::Path;
use std::process::Command;

use crate::common::postgres::postgres;
use crate::common::servers::aiosmtpd;
use crate::common::{Test, contains, lacks, succeeded};

/// A list as Excel's "CSV" saves it on a Dutch Windows laptop: semicolons, CRLF, a
/// Windows-1252 `ü`.
const CSV: &[u8] = b"email;name\r\nanne@example.org;Anne de Vries\r\nJ\xfcrgen@Example.org;J\xfcrgen\r\nbert@example.org;Bert\r\n";

/// Writes `rows` (a header first) as the first sheet of `path` with openpyxl.
fn workbook(path: &Path, rows: &[[&str; 2]]) {
    let rows = serde_json::to_string(rows).unwrap();
    let script = "import sys, json, openpyxl\n\
        book = openpyxl.Workbook()\n\
        for row in json.loads(sys.argv[2]): book.active.append(row)\n\
        book.save(sys.argv[1])\n";
    let out = Command::new(crate::common::servers::python())
        .args(["-c", script])
        .arg(path)
        .arg(rows)
        .output()
        .expect("python runs");
    assert!(succeeded(&out));
}

/// The SHA-256 of a file, as the consent row names it.
fn sha256(path: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The whole flow on the ledger `url` (`None`: the SQLite file in the folder). Returns the
/// folder for checks of the database afterwards.
fn staff_month(url: Option<&str>) -> Test {
    let mut dir = Test::seed();
    if let Some(url) = url {
        dir = dir.ledger(url);
    }
    dir.write("leden.csv", CSV);
    let import = dir.words("subscribers import leden.csv --source ledenregister-2026");
    assert_eq!(import.code, 0, "{}", import.stderr);
    assert!(contains(
        &import.stdout,
        "line 3: Jürgen@Example.org: added\n"
    ));
    assert!(contains(
        &import.stdout,
        "3 added, 0 updated, 0 unchanged, 0 refused\n"
    ));

    workbook(
        &dir.join("nieuw.xlsx"),
        &[
            ["E-mailadres", "Naam"],
            ["anne@example.org", "Anne de Vries-Jansen"],
            ["chris@example.org", "Chris"],
        ],
    );
    dir.write(
        "toestemming.txt",
        "Ja, stuur mij de nieuwsbrief van WeerbaarNL.\r\n",
    );
    let import = dir
        .words("subscribers import nieuw.xlsx --source beurs-2026 --consent-text toestemming.txt");
    assert_eq!(import.code, 0, "{}", import.stderr);
    assert!(contains(
        &import.stdout,
        "line 2: anne@example.org: updated\nline 3: chris@example.org: added\n"
    ));
    assert!(contains(
        &import.stdout,
        "1 added, 1 updated, 0 unchanged, 0 refused\n"
    ));

    // A workbook with a bad row writes nothing.
    workbook(
        &dir.join("fout.xlsx"),
        &[
            ["email", "name"],
            ["dora@example.org", "Dora"],
            ["eva.example.org", "Eva"],
        ],
    );
    let bad = dir.words("subscribers import fout.xlsx --source x");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(contains(&bad.stderr, "fout.xlsx:3"));
    assert!(lacks(&dir.words("subscribers list").stdout, "dora@"));

    let removed = dir.words("subscribers remove bert@example.org");
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let again = dir.words("subscribers import leden.csv --source ledenregister-2026");
    assert!(contains(
        &again.stdout,
        "line 4: bert@example.org: refused, is suppressed since "
    ));

    // Sent from the stored list: the three active readers, not Bert.
    let server = aiosmtpd(dir.path(), "mx", &["--smtputf8"]);
    let smtp = server.url();
    let send = dir.run(&["send", "issues/2022-12.toml", "--smtp", &smtp, "--yes"]);
    assert_eq!(send.code, 0, "{}", send.stderr);
    assert!(contains(
        &send.stdout,
        "recipients: 3 active, 1 unsubscribed"
    ));
    assert_eq!(
        server.sorted_recipients(),
        // The local part as written, the domain as DNS has it.
        [
            "Jürgen@example.org",
            "anne@example.org",
            "chris@example.org"
        ]
    );
    // The names are the latest import's: the workbook's Chris, the CSV's Anne again.
    let to = |address: &str| {
        let message = server
            .messages()
            .into_iter()
            .map(|m| std::fs::read_to_string(m).unwrap())
            .find(|m| m.contains(&format!("X-Envelope-To: {address}")))
            .unwrap();
        message
            .lines()
            .find(|l| l.starts_with("To: "))
            .unwrap()
            .to_owned()
    };
    assert_eq!(to("chris@example.org"), "To: Chris <chris@example.org>");
    assert_eq!(
        to("anne@example.org"),
        "To: \"Anne de Vries\" <anne@example.org>"
    );

    // Added by staff: their consent says so, with how the person asked.
    let add = dir.run(&[
        "subscribers",
        "add",
        "dora@example.org",
        "--name",
        "Dora",
        "--source",
        "vroeg erom op het congres",
    ]);
    assert!(contains(&add.stdout, "dora@example.org: added\n"));
    let staff = dir.words("consent show dora@example.org");
    assert!(contains(&staff.stdout, " staff"));
    assert!(contains(
        &staff.stdout,
        ": courant subscribers add: vroeg erom op het congres\n"
    ));
    let consent = dir.words("consent show chris@example.org");
    let proof = format!(
        "import: file nieuw.xlsx (SHA-256 {}): beurs-2026",
        sha256(&dir.join("nieuw.xlsx"))
    );
    assert!(contains(&consent.stdout, &proof));
    let text = "Ja, stuur mij de nieuwsbrief van WeerbaarNL.";
    let hash = courant::ledger::text_hash(text);
    assert!(contains(
        &consent.stdout,
        &format!("  agreed to (SHA-256 {hash}): {text}\n")
    ));
    dir
}

/// Erasing Anne: her export first holds every table's rows, then she is nowhere, and an
/// import of the same file does not bring her back.
fn erase_anne(dir: &Test) {
    let export = dir.words("person export anne@example.org");
    let person: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    for table in ["subscribers", "consents", "deliveries"] {
        assert!(
            !person[table].as_array().unwrap().is_empty(),
            "{table}: {person:#}"
        );
    }
    let erase = dir.words("person erase ANNE@example.org --yes");
    assert_eq!(erase.code, 0, "{}", erase.stderr);
    let after = dir.words("person show anne@example.org");
    assert!(contains(
        &after.stdout,
        "the ledger holds nothing about anne@example.org"
    ));
    let import = dir.words("subscribers import leden.csv --source ledenregister-2026");
    assert!(contains(
        &import.stdout,
        "line 2: anne@example.org: refused, was erased at their request"
    ));
}

#[test]
fn the_list_lives_in_a_sqlite_ledger_from_import_to_send_and_erasure() {
    let dir = staff_month(None);
    erase_anne(&dir);
    for file in std::fs::read_dir(dir.join("issues")).unwrap().flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.starts_with("courant.sqlite") {
            let bytes =
                String::from_utf8_lossy(&std::fs::read(file.path()).unwrap()).to_lowercase();
            assert!(lacks(&bytes, "anne@example.org"), "{name}");
            assert!(lacks(&bytes, "anne de vries"), "{name}");
        }
    }
}

#[test]
fn the_list_lives_in_a_postgresql_ledger_and_newsletters_do_not_see_each_other() {
    let url = postgres().database();
    let dir = staff_month(Some(&url));
    // Another newsletter in the same database sees none of this list.
    let other = Test::seed().ledger(&url).edit(
        "issues/newsletter.toml",
        "list-id = \"",
        "list-id = \"andere.",
    );
    let list = other.words("subscribers list");
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(list.stdout, "");
    assert!(contains(
        &other.words("consent show chris@example.org").stdout,
        "no consent on record"
    ));

    erase_anne(&dir);
    let dump = Command::new(pg_dump())
        .args(["--data-only", &url.replace("?sslmode=disable", "")])
        .env("PGPASSWORD", crate::common::postgres::PASSWORD)
        .output()
        .expect("pg_dump runs");
    assert!(succeeded(&dump));
    let dump = String::from_utf8_lossy(&dump.stdout).to_lowercase();
    assert!(
        contains(&dump, "chris@example.org"),
        "the dump holds the list"
    );
    assert!(lacks(&dump, "anne@example.org"));
    assert!(lacks(&dump, "anne de vries"));
}

pub(crate) fn pg_dump() -> std::path::PathBuf {
    let mut found: Vec<_> = glob_bins("pg_dump");
    found.sort();
    found.pop().expect("PostgreSQL's pg_dump is installed")
}

fn glob_bins(name: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|v| v.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect()
}

/// Erasure reaches what came back: the bounce tied to the person, and a message that only
/// names them (a forgery, kept whole for a person to look at) are gone with their verdicts.
#[test]
fn erasing_a_person_removes_the_bounces_and_messages_that_name_them() {
    use crate::bounces::{BOUNCES, postfix_dsn, seed_with_bounces, send_with_bounces};
    let dir = seed_with_bounces();
    let senders = send_with_bounces(dir.path(), 3);
    let tied = postfix_dsn(
        &senders["r1@example.org"],
        "r1@example.org",
        "<unrelated@elsewhere.example>",
        "550 5.1.1 <r1@example.org>: User unknown",
        "5.1.1",
    );
    let forged = postfix_dsn(
        BOUNCES,
        "R1@Example.org",
        "<unrelated@elsewhere.example>",
        "550 5.1.1 <R1@Example.org>: User unknown",
        "5.1.1",
    );
    dir.write("tied.eml", tied);
    dir.write("forged.eml", forged);
    let read = dir.words("bounces read tied.eml forged.eml");
    assert_eq!(read.code, 0, "{}", read.stderr);

    let export = dir.words("person export r1@example.org");
    let person: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    for table in ["deliveries", "suppressions", "return_verdicts", "returns"] {
        assert!(
            !person[table].as_array().unwrap().is_empty(),
            "{table}: {person:#}"
        );
    }
    let messages = person["messages_naming_the_address"].as_array().unwrap();
    assert!(!messages.is_empty(), "{person:#}");

    let erase = dir.words("person erase r1@example.org --yes");
    assert_eq!(erase.code, 0, "{}", erase.stderr);
    assert!(contains(&erase.stdout, "returns: 2 removed\n"));
    let ledger = std::fs::read(dir.join("issues/courant.sqlite")).unwrap();
    let ledger = String::from_utf8_lossy(&ledger).to_lowercase();
    assert!(lacks(&ledger, "r1@example.org"));
    assert!(contains(&ledger, "r2@example.org"), "the others stay");
    // Still in the staff's own list file, the erased reader is not mailed: the keyed hash
    // they left names them.
    let preview = dir.preview("list.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(contains(&preview.stdout, "wrote 2 messages"));
    assert!(contains(&preview.stdout, "1 suppressed"));
}

/// Issue 19, item 3: any extra column is a field; the greeting may name one (a reader without
/// it gets the fallback, and preview says how many); an edition's `audience` selects readers
/// by fields and tags, for preview and send alike, and `subscribers list --audience` shows who.
fn fields_and_audience(url: Option<&str>) {
    let mut dir = Test::seed().edit(
        "issues/newsletter.toml",
        "text = \"Beste {name},\"",
        "text = \"Beste {name} uit {regio},\"",
    );
    if let Some(url) = url {
        dir = dir.ledger(url);
    }
    dir.write(
        "regio.csv",
        "email;naam;Regio;tags\r\nr1@example.org;Een;Oost;pers\r\nr2@example.org;Twee;Oost;\r\n\
         r3@example.org;Drie;West;bestuur\r\nr4@example.org;Vier;;\r\n",
    );
    let import = dir.words("subscribers import regio.csv --source test");
    assert_eq!(import.code, 0, "{}", import.stderr);
    let preview = dir.run(&["preview", "issues/2022-12.toml", "--out", "all"]);
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(contains(
        &preview.stderr,
        "the greeting uses `{regio}`, which 1 of the 4 active readers lack"
    ));
    let greetings: Vec<String> = crate::common::emls(&dir.join("all"))
        .iter()
        .map(|(_, raw)| {
            let message = mail_parser::MessageParser::default().parse(raw).unwrap();
            let text = message.body_text(0).unwrap().into_owned();
            text.lines()
                .find(|l| l.starts_with("Beste "))
                .unwrap()
                .to_owned()
        })
        .collect();
    for expected in [
        "Beste Een uit Oost,",
        "Beste Drie uit West,",
        "Beste lezer,",
    ] {
        assert!(
            greetings.iter().any(|g| g == expected),
            "{expected}: {greetings:?}"
        );
    }

    let audience = "regio = \"Oost\" and not tag:pers";
    let shown = dir.run(&["subscribers", "list", "--audience", audience]);
    assert_eq!(shown.stdout, "r2@example.org\tactive\tTwee\n");
    let dir = dir.revise(
        "subject = ",
        &format!("audience = '{audience}'\nsubject = "),
    );
    let server = aiosmtpd(dir.path(), "mx", &[]);
    let smtp = server.url();
    let send = dir.run(&["send", "issues/2022-12.toml", "--smtp", &smtp, "--yes"]);
    assert_eq!(send.code, 0, "{}", send.stderr);
    assert!(contains(
        &send.stdout,
        "audience: regio = \"Oost\" and not tag:pers (3 active readers outside it)"
    ));
    assert_eq!(server.sorted_recipients(), ["r2@example.org"]);
}

#[test]
fn fields_and_an_audience_on_a_sqlite_ledger() {
    fields_and_audience(None);
}

#[test]
fn fields_and_an_audience_on_a_postgresql_ledger() {
    fields_and_audience(Some(&postgres().database()));
}

/// Issue 19, item 5: `[retention]` removes signups never confirmed and empties old bounce
/// messages, on a day chosen with faketime; `--dry-run` only says what it would do.
#[test]
fn retention_removes_old_pending_signups_and_empties_old_messages() {
    use crate::bounces::{BOUNCES, postfix_dsn, seed_with_bounces, send_with_bounces};
    use courant::ledger::{Consent, Ledger, ListStatus, Location, Member};
    let dir = seed_with_bounces().edit(
        "issues/newsletter.toml",
        "[bounces]",
        "[retention]\npending = \"30 days\"\nbounce-messages = \"90 days\"\n\n[bounces]",
    );
    send_with_bounces(dir.path(), 2);
    let forged = postfix_dsn(
        BOUNCES,
        "r1@example.org",
        "<x@elsewhere.example>",
        "550 5.1.1 unknown",
        "5.1.1",
    );
    dir.write("forged.eml", forged);
    // Read 100 days ago: kept whole, as an untied message is.
    let dir = dir.through(&["faketime", "-f", "-100d"]);
    let read = dir.words("bounces read forged.eml");
    assert_eq!(read.code, 0, "{}", read.stderr);
    let dir = dir.through(&[]);
    // Two signups never confirmed, of 40 and of 10 days ago.
    let ledger = Ledger::open(Location::File(dir.join("issues/courant.sqlite"))).unwrap();
    let now = courant::ledger::now();
    for (address, days) in [("oud@example.org", 40), ("nieuw@example.org", 10)] {
        let at = now - days * 86_400;
        let member = Member {
            address: address.into(),
            name: None,
            fields: Default::default(),
            status: ListStatus::Pending,
            created: at,
            updated: at,
            source: "signup form".into(),
        };
        let consent = Consent {
            at,
            method: "signup".into(),
            detail: "the form".into(),
            actor: None,
            text_hash: None,
            text: None,
            ip: None,
        };
        ledger
            .write_members(
                "nieuwsbrief.weerbaarnl.example",
                &[member.entry()],
                &consent,
                &|a| a.into(),
            )
            .unwrap();
    }

    let dry = dir.words("retention apply --dry-run");
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        dry.stdout,
        "would remove 1 signup never confirmed (older than 30 days)\n\
         would empty the text of 1 message that came back (older than 90 days); their verdicts \
         and suppressions stay\n"
    );
    let applied = dir.words("retention apply");
    assert!(contains(
        &applied.stdout,
        "removed 1 signup never confirmed"
    ));
    assert!(contains(&applied.stdout, "emptied the text of 1 message"));
    let pending = dir.words("subscribers list --status pending");
    assert_eq!(pending.stdout, "nieuw@example.org\tpending\t\n");
    let person = dir.words("person export r1@example.org");
    let person: serde_json::Value = serde_json::from_str(&person.stdout).unwrap();
    let returns = person["returns"].as_array().unwrap();
    assert!(returns.iter().all(|r| r["raw"].is_null()), "{person:#}");
    assert_eq!(
        dir.words("retention apply --dry-run")
            .stdout
            .matches(" 0 ")
            .count(),
        2
    );
}
