use clap::Parser;

fn main() -> std::process::ExitCode {
    courant::run(courant::Cli::parse())
}
