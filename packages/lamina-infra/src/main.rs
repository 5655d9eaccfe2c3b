//! `lamina-infra`: parses the command line, runs it, prints the error chain and sets the exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = lamina_infra::cli::Cli::parse();
    match lamina_infra::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", lamina_remote::hint::render(&err));
            ExitCode::from(exit_code(&err))
        }
    }
}

/// The exit code of an error, as `--help` documents them: 3 when a remote could not be read, 4
/// when a remote refused the credentials (or wants some), else 1 (a check failed, or the input
/// was refused). clap exits 2 on a usage error.
fn exit_code(err: &anyhow::Error) -> u8 {
    use lamina_remote::hint::{Kind, find, kind};
    // A used-up rate limit answers 403 too, and is no refusal of the credentials.
    if find::<lamina_remote::retry::TooLong>(err).is_some() {
        return 3;
    }
    if let Some(answered) = find::<lamina_remote::github::Answered>(err) {
        return if matches!(answered.status, 401 | 403) { 4 } else { 3 };
    }
    match kind(err) {
        Some(Kind::Auth) => 4,
        Some(Kind::Remote) => 3,
        None if find::<reqwest::Error>(err).is_some() => 3,
        None => 1,
    }
}
