//! `cargo xtask`: parses the command line, runs it, prints the error chain and sets the exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = xtask::cli::Cli::parse();
    match xtask::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`cargo xtask dry-run --json | head`) is not a failure worth a message.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            if let Some(diags) = err.downcast_ref::<lamina_remote::diagnostic::Diagnostics>() {
                xtask::report::diagnostics(diags);
                return ExitCode::from(1);
            }
            xtask::report::error(&err);
            ExitCode::from(1)
        }
    }
}
