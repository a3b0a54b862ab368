//! The command line. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Compose a newsletter edition from TOML into accessible email, preview it, and send it.
#[derive(Debug, Parser)]
#[command(name = "courant", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, render and lint an edition; report every finding with file:line:column.
    ///
    /// Exits 0 when clean (warnings allowed), 1 when any error is found, 2 when the input
    /// cannot be read or parsed.
    Check {
        /// The edition file, e.g. `issues/2022-12.toml` (settings come from `newsletter.toml` beside it).
        edition: PathBuf,
        /// Print the findings as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Write the web version, the email HTML and the plaintext of an edition, for review.
    Build {
        edition: PathBuf,
        /// The folder to write to (created if needed).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Write one .eml per active subscriber: exactly the bytes a send would transmit.
    Preview {
        edition: PathBuf,
        /// The subscriber list: TOML (`[[subscriber]]`) or CSV with a header row.
        #[arg(long, short)]
        subscribers: PathBuf,
        /// The folder to write the .eml files to (created if needed).
        #[arg(long, short)]
        out: PathBuf,
        /// Write at most this many messages.
        #[arg(long)]
        limit: Option<usize>,
    },
}
