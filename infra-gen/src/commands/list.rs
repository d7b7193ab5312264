//! `infra-gen list`: environments, their regions and stacks.

use std::path::Path;
use std::process::ExitCode;

use infra_gen::platform::Names;

pub fn run(specs_dir: &Path) -> anyhow::Result<ExitCode> {
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    println!(
        "{:<12} {:<14} {:<12} {:<12} STACK",
        "ENVIRONMENT", "ACCOUNT", "REGION", "PEER"
    );
    for env in &envs {
        for r in &env.regions {
            println!(
                "{:<12} {:<14} {:<12} {:<12} {}",
                env.name,
                r.spec.account,
                r.region,
                r.peer_region,
                Names::new(r).stack()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
