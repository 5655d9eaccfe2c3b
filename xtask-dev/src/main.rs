//! `xtask-dev`: runs `test` and `bench` for `cargo xtask`, which forwards them here.

use clap::Parser;
use std::process::ExitCode;

/// The developer commands; `cargo xtask test` and `cargo xtask bench` are the way in.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    /// Work on the repository at DIR
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    directory: std::path::PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    Test(xtask::cli::TestArgs),
    Bench(xtask::cli::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let run = || -> anyhow::Result<ExitCode> {
        let root = std::path::absolute(&cli.directory)?;
        let sh = xtask::shell::at(&root)?;
        match cli.command {
            Command::Test(args) => xtask_dev::test::run(&sh, &root, args),
            Command::Bench(args) => xtask_dev::bench::run(&sh, &root, args),
        }
    };
    match run() {
        Ok(code) => code,
        Err(err) => {
            xtask::report::error(&err);
            ExitCode::from(1)
        }
    }
}
