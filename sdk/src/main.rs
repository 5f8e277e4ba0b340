//! The `govproof` binary: parses arguments and hands them to [`govproof::cli::run`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = govproof::cli::Cli::parse();
    let exit = govproof::cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(exit as u8)
}
