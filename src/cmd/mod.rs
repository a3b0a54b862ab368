//! The subcommands, as cargo's `commands/` over its `ops/`: each file owns its clap `Args`
//! and a `run(args, term)` that calls one operation of the library and renders its result
//! through the [`Term`]; this file only dispatches.

mod archive;
mod args;
mod bounces;
mod build;
mod check;
mod dkim;
mod init;
mod ledger;
mod manual;
mod person;
mod preview;
mod retention;
mod schedule;
mod send;
mod serve;
mod serve_unsubscribe;
mod status;
mod subscribers;
mod suppressions;
mod systemd;
mod test_send;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::term::{Term, Verbosity};

/// Compose a newsletter edition from TOML into accessible email, preview it, and send it.
#[derive(Debug, Parser)]
#[command(name = "courant", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors and each command's result: no warnings, plan, progress or failures
    /// as they happen (the summary and `status` still tell them).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more: each message `send` sends, as it is accepted.
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(
        after_help = "Examples:\n  courant init nieuwsbrief\n  courant init   (in the current folder)"
    )]
    Init(init::Args),
    #[command(
        after_help = "Examples:\n  courant check issues/2022-12.toml\n  courant check issues/2022-12.toml --json | jq '.findings[].code'"
    )]
    Check(check::Args),
    #[command(after_help = "Example:\n  courant build issues/2022-12.toml --out build")]
    Build(build::Args),
    #[command(after_help = "Example:\n  courant archive issues --out site")]
    Archive(archive::Args),
    #[command(
        after_help = "Example:\n  courant serve issues/2022-12.toml   (then open http://127.0.0.1:8025)"
    )]
    Serve(serve::Args),
    #[command(
        after_help = "Examples:\n  courant preview issues/2022-12.toml --subscribers abonnees.csv --out preview\n  courant preview issues/2022-12.toml --subscribers abonnees.csv --out preview --limit 3"
    )]
    Preview(preview::Args),
    #[command(
        after_help = "Example:\n  COURANT_SMTP_PASSWORD=… courant test-send issues/2022-12.toml --to redactie@example.nl \\\n    --smtp smtp://nieuwsbrief@smtp.example.nl:587"
    )]
    TestSend(test_send::Args),
    #[command(
        after_help = "Examples:\n  courant send issues/2022-12.toml -s abonnees.csv --smtp smtp://nieuwsbrief@smtp.example.nl:587\n  courant send issues/2022-12.toml -s abonnees.csv --smtp smtp://nieuwsbrief@smtp.example.nl:587 \\\n    --rate 5/s --daily-limit 10000 --yes\n  courant send issues/2022-12.toml -s abonnees.csv --smtp smtp://relay2.example.nl:587 \\\n    --join --ledger postgres://courant@db.example.nl/nieuwsbrief"
    )]
    Send(send::Args),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant subscribers import leden.xlsx --source ledenregister-2026\n  courant subscribers add anne@example.nl --name Anne --source congres-maart\n  courant subscribers list --status active\n  courant subscribers export > lijst.csv"
    )]
    Subscribers(subscribers::Command),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant person show anne@example.nl\n  courant person export anne@example.nl > anne.json\n  courant person erase anne@example.nl"
    )]
    Person(person::Command),
    #[command(
        subcommand,
        after_help = "Example:\n  courant consent show anne@example.nl"
    )]
    Consent(person::ConsentCommand),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant retention apply --dry-run\n  courant retention apply"
    )]
    Retention(retention::Command),
    #[command(after_help = "Example:\n  courant unsubscribe anne@example.nl jan@example.nl")]
    Unsubscribe(suppressions::UnsubscribeArgs),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant suppressions export > afmeldingen.csv\n  courant suppressions import oude-lijst.csv"
    )]
    Suppressions(suppressions::Command),
    #[command(
        alias = "serve-unsubscribe",
        after_help = "Examples:\n  courant serve-public issues/newsletter.toml --listen 127.0.0.1:8080\n  courant serve-public issues/newsletter.toml --smtp smtp://nieuwsbrief@smtp.example.nl:587"
    )]
    ServePublic(serve_unsubscribe::Args),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant dkim generate --selector nb2022 --domain weerbaarnl.nl --out issues/dkim.pem\n  courant dkim record --selector nb2022 --domain weerbaarnl.nl --key issues/dkim.pem"
    )]
    Dkim(dkim::Command),
    #[command(
        after_help = "Examples:\n  courant status issues/2022-12.toml\n  courant status issues/2022-12.toml --json"
    )]
    Status(status::Args),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant bounces fetch --imap imaps://bounces@mail.example.nl/INBOX\n  courant bounces read ~/Maildir/.bounces\n  courant bounces classify --json bounce.eml"
    )]
    Bounces(bounces::Command),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant ledger check --ledger postgres://courant@db.example.nl/nieuwsbrief\n  courant ledger copy issues/courant.sqlite postgres://courant@db.example.nl/nieuwsbrief"
    )]
    Ledger(ledger::Command),
    #[command(
        after_help = "Examples:\n  courant schedule issues/2027-01.toml --at 2027-01-12T09:00\n  courant schedule list\n  courant schedule cancel 2027-01"
    )]
    Schedule(schedule::Args),
    #[command(
        after_help = "Example:\n  courant run-due --settings /srv/nieuwsbrief/issues/newsletter.toml --smtp smtp://nieuwsbrief@mail.example.nl:587"
    )]
    RunDue(schedule::RunDueArgs),
    #[command(
        after_help = "Example:\n  courant systemd /srv/nieuwsbrief/issues/newsletter.toml --out /etc/systemd/system"
    )]
    Systemd(systemd::Args),
    #[command(
        after_help = "Examples:\n  courant completions bash > /etc/bash_completion.d/courant\n  courant completions zsh > ~/.zfunc/_courant"
    )]
    Completions(manual::CompletionsArgs),
    #[command(after_help = "Example:\n  courant man /usr/local/share/man/man1")]
    Man(manual::ManArgs),
}

/// Runs one command, prints its error if any, and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    crate::runtime::exit_on_bus_error();
    let term = Term::new(if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    });
    let result = match cli.command {
        Command::Init(args) => init::run(&args, &term),
        Command::Check(args) => check::run(&args, &term),
        Command::Build(args) => build::run(&args, &term),
        Command::Archive(args) => archive::run(&args, &term),
        Command::Serve(args) => serve::run(&args, &term),
        Command::Preview(args) => preview::run(&args, &term),
        Command::TestSend(args) => test_send::run(&args, &term),
        Command::Send(args) => send::run(&args, &term),
        Command::Subscribers(command) => subscribers::run(&command, &term),
        Command::Person(command) => person::run(&command, &term),
        Command::Consent(command) => person::consent(&command, &term),
        Command::Retention(command) => retention::run(&command, &term),
        Command::Unsubscribe(args) => suppressions::unsubscribe(&args, &term),
        Command::Suppressions(command) => suppressions::run(&command, &term),
        Command::ServePublic(args) => serve_unsubscribe::run(&args, &term),
        Command::Dkim(command) => dkim::run(&command, &term),
        Command::Status(args) => status::run(&args, &term),
        Command::Bounces(command) => bounces::run(&command, &term),
        Command::Ledger(command) => ledger::run(&command, &term),
        Command::Schedule(args) => schedule::run(&args, &term),
        Command::RunDue(args) => schedule::run_due(&args, &term),
        Command::Systemd(args) => systemd::run(&args, &term),
        Command::Completions(args) => manual::completions(&args, Cli::command(), &term),
        Command::Man(args) => manual::man(&args, Cli::command(), &term),
    };
    result
        .unwrap_or_else(|error| {
            term.error(&error);
            error.exit_status()
        })
        .into()
}

#[cfg(test)]
mod help_tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    /// Every example in a command's `--help` is a command line courant accepts.
    #[test]
    fn every_example_in_the_help_parses() {
        let mut checked = 0;
        for command in Cli::command().get_subcommands() {
            let help = command
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(
                help.starts_with("Example"),
                "{} has no example",
                command.get_name()
            );
            let text = help.replace("\\\n", " ");
            for line in text.lines().filter(|l| l.contains("courant ")) {
                // From `courant` on, without a comment, a redirection, a pipe or environment
                // variables.
                let line = &line[line.find("courant ").expect("a command")..];
                let line = line.split(" (").next().unwrap_or(line);
                let line = line.split(['>', '|']).next().unwrap_or(line);
                let args: Vec<&str> = line.split_whitespace().collect();
                if let Err(e) = Cli::try_parse_from(&args) {
                    panic!("`{line}` does not parse: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }
}
