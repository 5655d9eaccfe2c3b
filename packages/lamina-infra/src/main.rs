//! `lamina-infra`: parses the command line, runs it, prints the error chain and sets the exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = lamina_infra::cli::Cli::parse();
    match lamina_infra::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", lamina_remote::hint::render(&err));
            ExitCode::from(1)
        }
    }
}
