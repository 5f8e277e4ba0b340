//! The `govproof` binary: parses arguments and hands them to [`govproof_cli::run`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match govproof_cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout and exit 0; a usage error exits 1 ("could not do it"),
        // never clap's default 2, which govproof reserves for "checked and rejected".
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                govproof_cli::Exit::Error as u8
            } else {
                govproof_cli::Exit::Success as u8
            });
        }
    };
    let exit = govproof_cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(exit as u8)
}
