//! `infra-gen validate`: the specs only, no output.

use std::path::Path;
use std::process::ExitCode;

pub fn run(specs_dir: &Path) -> anyhow::Result<ExitCode> {
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    let stacks: usize = envs.iter().map(|e| e.regions.len()).sum();
    println!(
        "{} environment(s), {stacks} stack(s): specs are valid",
        envs.len()
    );
    Ok(ExitCode::SUCCESS)
}
