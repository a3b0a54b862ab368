use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = courant::cli::Cli::parse();
    courant::run(cli)
}
