//! `infra-gen cost`: the monthly cost of every stack at AWS list prices, from the specs and
//! the construct tree, offline.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use infra_gen::assets::SourceHashes;
use infra_gen::cost::report::{self, CostFormat};
use infra_gen::cost::{self, prices};
use infra_gen::platform;

use super::{EXIT_INVALID, EXIT_USAGE};

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Only these environments (repeatable); default: all.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Only these regions (repeatable); default: each environment's two regions.
    #[arg(long = "region", value_name = "NAME")]
    regions: Vec<String>,
    /// A table (for a terminal), JSON (for tools), or Markdown (for a pull request).
    #[arg(long, value_enum, default_value_t = CostFormat::Table)]
    format: CostFormat,
}

pub fn run(specs_dir: &Path, args: &CostArgs) -> anyhow::Result<ExitCode> {
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    for wanted in &args.envs {
        if !envs.iter().any(|e| &e.name == wanted) {
            let known: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
            eprintln!(
                "error: no environment `{wanted}` (known: {})",
                known.join(", ")
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    for wanted in &args.regions {
        if !envs
            .iter()
            .any(|e| e.regions.iter().any(|r| &r.region == wanted))
        {
            eprintln!("error: no environment deploys to region `{wanted}`");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    // Asset hashes name code, which costs nothing: the default ones keep this free of reads.
    let app = platform::build_app(&envs, &SourceHashes::default())?;
    let selected = app.stacks().filter(|s| {
        (args.envs.is_empty() || args.envs.contains(&s.env))
            && (args.regions.is_empty() || args.regions.contains(&s.region))
    });
    let mut costs = Vec::new();
    let mut failed = false;
    for result in cost::estimate_all(selected, &envs, prices::prices()) {
        match result {
            Ok(c) => costs.push(c),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let text = report::render(&costs, args.format);
    super::print_report(&text)?;
    Ok(ExitCode::SUCCESS)
}
