//! `courant schedule` and `courant run-due`: an edition prepared now goes out by itself at a
//! set time, exactly once, and only as it was checked.

use std::path::{Path, PathBuf};

use super::args::{LedgerArgs, SmtpArgs};
use crate::campaign::send::Send;
use crate::checked::Checked;
use crate::edition::Newsletter;
use crate::error::{Error, ExitStatus};
use crate::ledger::schedules::{self, Schedule};
use crate::ledger::{self, Ledger};
use crate::term::Term;

/// Schedule an edition: `check` first, then `run-due` sends it at that time, exactly once,
/// and refuses it if it has changed since.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The edition file, e.g. `issues/2027-01.toml`.
    edition: Option<PathBuf>,
    /// When, on the newsletter's clock (`time-zone`, default Europe/Amsterdam): `"2027-01-12
    /// 09:00"`.
    #[arg(long, value_name = "\"YYYY-MM-DD HH:MM\"")]
    at: Option<String>,
    /// The subscriber list to send to [default: the list in the ledger].
    #[arg(long, short)]
    subscribers: Option<PathBuf>,
    #[command(flatten)]
    ledger: LedgerArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// The scheduled editions, soonest first, and how each run went.
    List {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Cancel a schedule that has not started (the edition's name, e.g. `2027-01`, or file).
    Cancel {
        edition: String,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

/// Send what is due: each scheduled edition whose time has come, inside the sending window,
/// claimed by this run alone. For a timer (`courant systemd`) every few minutes.
#[derive(Debug, clap::Args)]
pub(crate) struct RunDueArgs {
    /// The newsletter's settings [default: `newsletter.toml` here, else in `issues/`].
    #[arg(long, value_name = "FILE", env = "COURANT_SETTINGS")]
    settings: Option<PathBuf>,
    #[command(flatten)]
    smtp: SmtpArgs,
    #[command(flatten)]
    ledger: LedgerArgs,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    match (&args.command, &args.edition, &args.at) {
        (Some(Command::List { ledger }), _, _) => list(ledger, term),
        (Some(Command::Cancel { edition, ledger }), _, _) => cancel(edition, ledger, term),
        (None, Some(edition), Some(at)) => add(edition, at, args, term),
        _ => Err(Error::Refused(
            "give an edition and a time: courant schedule issues/2027-01.toml --at \
             \"2027-01-12 09:00\" (or `schedule list`, `schedule cancel EDITION`)"
                .into(),
        )),
    }
}

/// The SHA-256 of a file's bytes, hex; an empty string when it cannot be read.
fn file_hash(path: &Path) -> String {
    std::fs::read(path).map_or_else(|_| String::new(), |b| ledger::sha256_hex(&b))
}

/// The hash of what a reader would get besides the settings: the edition file and every image.
fn edition_hash(checked: &Checked) -> String {
    let mut bytes = std::fs::read(&checked.edition.file.path).unwrap_or_default();
    bytes.push(0);
    bytes.extend_from_slice(checked.rendered.web.as_bytes());
    for asset in checked.rendered.assets.all() {
        bytes.push(0);
        bytes.extend_from_slice(&asset.bytes);
    }
    ledger::sha256_hex(&bytes)
}

/// `"2027-01-12 09:00"` on the newsletter's clock: the moment, and a note when the hour
/// happens twice (the earlier is taken) or an error when it does not happen at all.
fn moment(at: &str, newsletter: &Newsletter) -> Result<(i64, Option<String>), Error> {
    let parse = |format| jiff::civil::DateTime::strptime(format, at.trim());
    let civil = parse("%Y-%m-%d %H:%M")
        .or_else(|_| parse("%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            Error::Refused(format!(
                "--at `{at}`: write the day and the time on the newsletter's clock, e.g. \
             \"2027-01-12 09:00\""
            ))
        })?;
    let zone = &newsletter.time_zone;
    let instant = zone
        .instant(civil)
        .map_err(|e| Error::Refused(format!("--at: {e}")))?;
    let note = zone.is_twice(civil).then(|| {
        format!(
            "{at} happens twice in {} (the clocks go back that night): scheduled for the first, \
             {} UTC",
            zone.name(),
            instant.strftime("%H:%M")
        )
    });
    Ok((instant.as_second(), note))
}

fn add(edition: &Path, at: &str, args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let checked = Checked::load_clean(edition, term)?;
    let newsletter = &checked.edition.newsletter;
    let (when, note) = moment(at, newsletter)?;
    if when <= ledger::now() {
        return Err(Error::Refused(format!(
            "--at `{at}` has passed ({}); to send now, use `courant send`",
            newsletter.time_zone.name()
        )));
    }
    let absolute = |p: &Path| std::path::absolute(p).map(|p| p.display().to_string());
    let path = absolute(edition).map_err(|e| Error::Read {
        path: edition.into(),
        source: e,
    })?;
    let subscribers = match &args.subscribers {
        Some(list) => Some(absolute(list).map_err(|e| Error::Read {
            path: list.clone(),
            source: e,
        })?),
        None => None,
    };
    let schedule = Schedule {
        edition: checked.edition.slug.clone(),
        path,
        subscribers,
        at: when,
        edition_hash: edition_hash(&checked),
        settings_hash: file_hash(&checked.edition.newsletter_file.path),
        subject: checked.edition.content.subject.get_ref().to_string(),
        created: ledger::now(),
        actor: crate::list::actor(),
        state: schedules::SCHEDULED.into(),
        started: None,
        finished: None,
        outcome: None,
    };
    let ledger = Ledger::open(args.ledger.location(&checked.edition)?)?;
    if let Err(state) = ledger.schedule(&schedule)? {
        return Err(Error::Refused(format!(
            "`{}` is {state} already: a schedule that has started is not replaced",
            schedule.edition
        )));
    }
    if let Some(note) = note {
        term.note(note);
    }
    term.say(format!(
        "scheduled {} “{}” for {at} {} ({}); `courant run-due` sends it from then",
        schedule.edition,
        schedule.subject,
        newsletter.time_zone.name(),
        ledger::time(when)
    ))?;
    Ok(ExitStatus::Success)
}

fn list(args: &LedgerArgs, term: &Term) -> Result<ExitStatus, Error> {
    let ledger = Ledger::open(args.location_from_here()?)?;
    let all = ledger.schedules()?;
    if all.is_empty() {
        term.say("nothing scheduled")?;
    }
    for s in all {
        let outcome = s.outcome.map_or(String::new(), |o| format!(": {o}"));
        term.say(format!(
            "{}\t{}\t{}\t{}{outcome}",
            s.edition,
            ledger::time(s.at),
            s.state,
            s.subject
        ))?;
    }
    Ok(ExitStatus::Success)
}

fn cancel(edition: &str, args: &LedgerArgs, term: &Term) -> Result<ExitStatus, Error> {
    let ledger = Ledger::open(args.location_from_here()?)?;
    let slug = Path::new(edition)
        .file_stem()
        .map_or(edition.to_owned(), |s| s.to_string_lossy().into_owned());
    if !ledger.cancel_schedule(&slug, ledger::now())? {
        return Err(Error::Refused(format!(
            "`{slug}` has no schedule that has not started (see `courant schedule list`)"
        )));
    }
    term.say(format!("cancelled the schedule of {slug}"))?;
    Ok(ExitStatus::Success)
}

/// What changed in `s`'s files since it was scheduled, in words, if anything.
fn changed(s: &Schedule, checked: &Checked) -> Option<String> {
    let mut what = Vec::new();
    let subject = checked.edition.content.subject.get_ref().to_string();
    if subject != s.subject {
        what.push(format!("the subject was “{}”, now “{subject}”", s.subject));
    } else if edition_hash(checked) != s.edition_hash {
        what.push(format!(
            "{} or its images changed",
            crate::diagnostic::display_path(Path::new(&s.path))
        ));
    }
    if file_hash(&checked.edition.newsletter_file.path) != s.settings_hash {
        what.push("newsletter.toml changed".into());
    }
    (!what.is_empty()).then(|| {
        format!(
            "`{}` changed since it was scheduled ({}): not sent. Check it, then schedule it \
             again: courant schedule {} --at \"…\"",
            s.edition,
            what.join("; "),
            s.path
        )
    })
}

pub(crate) fn run_due(args: &RunDueArgs, term: &Term) -> Result<ExitStatus, Error> {
    crate::term::log::start(term.verbosity());
    let settings = match &args.settings {
        Some(settings) => settings.clone(),
        None => super::args::settings_here()?,
    };
    let file = crate::source::read_source(&settings)?;
    let newsletter: Newsletter = crate::source::parse(&file)?;
    let ledger = Ledger::open(args.ledger.location_of_settings(&settings, &newsletter)?)?;
    let now = ledger::now();
    let all = ledger.schedules()?;
    for s in &all {
        tracing::debug!(
            "run-due: {} {} at {}",
            s.edition,
            s.state,
            ledger::time(s.at)
        );
    }
    let due: Vec<Schedule> = (all.into_iter())
        .filter(|s| [schedules::SCHEDULED, schedules::PAUSED].contains(&s.state.as_str()))
        .filter(|s| s.at <= now)
        .collect();
    if due.is_empty() {
        tracing::info!("run-due: nothing due");
        return Ok(ExitStatus::Success);
    }
    let mut status = ExitStatus::Success;
    for schedule in &due {
        let one = due_one(schedule, args, &ledger, term)?;
        if one as u8 > status as u8 {
            status = one;
        }
    }
    Ok(status)
}

/// One due schedule: inside the window, claimed, unchanged, sent; its end recorded and
/// reported.
fn due_one(
    s: &Schedule,
    args: &RunDueArgs,
    ledger: &Ledger,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let checked = Checked::load(Path::new(&s.path))?;
    let newsletter = &checked.edition.newsletter;
    let zone = newsletter.time_zone.tz();
    let now = jiff::Timestamp::now();
    let window = newsletter.sending.window;
    if let Some(w) = window.filter(|w| !w.contains(now, zone)) {
        let opens = w
            .opens(now, zone)
            .map_or(String::new(), |t| format!(" (it opens {t})"));
        tracing::info!("run-due: {} waits for the sending window{opens}", s.edition);
        return Ok(ExitStatus::Success);
    }
    if !ledger.claim_schedule(&s.edition, ledger::now())? {
        tracing::info!("run-due: {} is taken by another run-due", s.edition);
        return Ok(ExitStatus::Success);
    }
    tracing::info!("run-due: {} starts", s.edition);
    let until = window.and_then(|w| w.closes(now, zone));
    let (state, outcome, status) = match changed(s, &checked) {
        Some(why) => (schedules::REFUSED, why, ExitStatus::Failed),
        None => send(s, checked, until, args, term),
    };
    ledger.end_schedule(&s.edition, state, &outcome, ledger::now())?;
    tracing::info!("run-due: {} {state}: {outcome}", s.edition);
    if state == schedules::REFUSED {
        term.error(&Error::Refused(outcome.clone()));
    }
    report(s, state, &outcome, args, term);
    Ok(status)
}

/// The send of a due edition: (state, outcome, exit status).
fn send(
    s: &Schedule,
    checked: Checked,
    until: Option<jiff::Timestamp>,
    args: &RunDueArgs,
    term: &Term,
) -> (&'static str, String, ExitStatus) {
    let refused = |e: Error| (schedules::REFUSED, e.to_string(), e.exit_status());
    if checked.has_errors() {
        let why = "`courant check` finds errors in it now: not sent".to_owned();
        return (schedules::REFUSED, why, ExitStatus::Failed);
    }
    let list = args
        .ledger
        .list(&checked.edition, s.subscribers.as_deref().map(Path::new));
    let location = args.ledger.location(&checked.edition);
    let sending = checked.edition.newsletter.sending.clone();
    let dir = crate::edition::dir_of(&checked.edition.newsletter_file.path).to_path_buf();
    let connector = args.smtp.connector(&sending, &dir).map_err(Error::from);
    let (list, location, connector) = match (list, location, connector) {
        (Ok(l), Ok(p), Ok(c)) => (l, p, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return refused(e),
    };
    let until = until.map(|t| {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_second().max(0) as u64)
    });
    let send = Send {
        checked,
        list,
        sending,
        connector,
        ledger: location,
        again: crate::plan::Again::default(),
        join: false,
        repeat: false,
        confirmed: true,
        until,
    };
    ended(send, until, &s.edition, &s.path, term)
}

/// How a scheduled send ended: (state, outcome, exit status).
fn ended(
    send: Send,
    until: Option<std::time::SystemTime>,
    edition: &str,
    path: &str,
    term: &Term,
) -> (&'static str, String, ExitStatus) {
    let location = send.ledger.clone();
    match send.run(term) {
        Ok(_) if until.is_some_and(|u| std::time::SystemTime::now() >= u) => (
            schedules::PAUSED,
            "paused: the sending window closed; the next run-due inside it goes on".into(),
            ExitStatus::Success,
        ),
        Ok(ExitStatus::Success) => (
            schedules::DONE,
            "sent to every reader".into(),
            ExitStatus::Success,
        ),
        Ok(status) if deferred(&location, edition) => (
            schedules::PAUSED,
            format!(
                "stopped with readers deferred (the server could not take them now); the next \
                 run-due tries them again; `courant status {path}` says why"
            ),
            status,
        ),
        Ok(status) => (
            schedules::DONE,
            format!("not every reader has it; `courant status {path}` says who and why"),
            status,
        ),
        Err(e) => (schedules::REFUSED, e.to_string(), e.exit_status()),
    }
}

/// Whether the ledger holds readers of `edition` to try again (deferred, or never started).
fn deferred(location: &ledger::Location, edition: &str) -> bool {
    use ledger::State;
    let states = Ledger::open(location.clone()).and_then(|l| l.states(edition));
    states.is_ok_and(|s| {
        s.values()
            .any(|st| matches!(st, State::Deferred | State::Queued))
    })
}

/// A short mail to `[report] to` on how the run went; a failure to send it is said, not fatal.
fn report(s: &Schedule, state: &str, outcome: &str, args: &RunDueArgs, term: &Term) {
    let Ok(checked) = Checked::load(Path::new(&s.path)) else {
        return;
    };
    let newsletter = &checked.edition.newsletter;
    let Some(report) = &newsletter.report else {
        return;
    };
    let dir = crate::edition::dir_of(&checked.edition.newsletter_file.path).to_path_buf();
    let Ok(connector) = args.smtp.connector(&newsletter.sending, &dir) else {
        return;
    };
    let outbox = crate::web::outbox::Outbox::new(newsletter, connector);
    let subject = format!("courant: {} {state}", s.edition);
    let body = format!(
        "{} “{}”, scheduled for {} UTC: {outcome}.\n\n`courant schedule list` and `courant status \
         {}` say more.",
        s.edition,
        s.subject,
        ledger::time(s.at),
        s.path
    );
    let Ok(runtime) = crate::runtime::runtime() else {
        return;
    };
    for to in &report.to {
        let to = to.get_ref();
        let sent = outbox
            .plain(to, &subject, &body)
            .map(|m| runtime.block_on(outbox.send_now(to, &m)));
        if let Err(e) | Ok(Err(e)) = sent {
            term.alert(format_args!("run-due: the report was not sent: {e}"));
        }
    }
}
