//! The `infra-gen` command line: a thin shell over the library. Exit codes: 0 success,
//! 1 invalid specs or drift (or any other failure), 2 usage error.

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> anyhow::Result<ExitCode> {
    let cli = commands::Cli::parse();
    commands::run(cli)
}
