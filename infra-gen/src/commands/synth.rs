//! `infra-gen synth`: specs -> construct tree -> files, written atomically or compared.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use infra_gen::render::{self, Format};
use infra_gen::{assets, output, platform};

use super::{EXIT_INVALID, EXIT_USAGE, under_root};

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Only these environments (repeatable); default: all.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Only these regions (repeatable); default: each environment's two regions.
    #[arg(long = "region", value_name = "NAME")]
    regions: Vec<String>,
    /// Only these formats (repeatable); default: all.
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    formats: Vec<Format>,
    /// Output directory, relative to the root.
    #[arg(long, default_value = "generated")]
    out: PathBuf,
    /// Where the repository-level files (.github/workflows/, .octopus/) go; default: the root.
    #[arg(long, value_name = "DIR")]
    repo_out: Option<PathBuf>,
    /// Write nothing; exit 1 listing every file that differs from a fresh synth.
    #[arg(long)]
    check: bool,
}

pub fn run(root: &Path, specs_dir: &Path, args: &SynthArgs) -> anyhow::Result<ExitCode> {
    let all_envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    let mut envs = all_envs.clone();
    for wanted in &args.envs {
        if !envs.iter().any(|e| &e.name == wanted) {
            let known: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
            eprintln!(
                "error: no environment `{wanted}` in {} (known: {})",
                specs_dir.display(),
                known.join(", ")
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    if !args.envs.is_empty() {
        envs.retain(|e| args.envs.contains(&e.name));
    }
    if !args.regions.is_empty() {
        for wanted in &args.regions {
            if !envs
                .iter()
                .any(|e| e.regions.iter().any(|r| &r.region == wanted))
            {
                eprintln!("error: no selected environment deploys to region `{wanted}`");
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        }
        for env in &mut envs {
            env.regions.retain(|r| args.regions.contains(&r.region));
        }
        envs.retain(|e| !e.regions.is_empty());
    }
    let formats = if args.formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        args.formats.clone()
    };

    let hashes = assets::source_hashes(root)
        .with_context(|| format!("hashing the sources under {}", root.display()))?;
    let app = platform::build_app(&envs, &hashes)?;
    let files = render::render(&app, &envs, &formats, &hashes);
    // Workflows and the Octopus process span every environment, whatever --env narrows.
    let repo_files = render::render_repository(&all_envs, &formats);
    let out = under_root(root, &args.out);
    let repo_out = args
        .repo_out
        .as_deref()
        .map(|p| under_root(root, p))
        .unwrap_or_else(|| root.to_path_buf());
    if args.check {
        let mut drifted = 0;
        for (dir, set) in [(&out, &files), (&repo_out, &repo_files)] {
            let drift =
                output::check(dir, set).with_context(|| format!("reading {}", dir.display()))?;
            for d in &drift {
                println!("{d}");
            }
            drifted += drift.len();
        }
        let total = files.files().len() + repo_files.files().len();
        if drifted == 0 {
            println!("{total} generated files are up to date");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{drifted} file(s) differ from a fresh synth: run `infra-gen synth`");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    output::write(&out, &files).with_context(|| format!("writing {}", out.display()))?;
    output::write_in_place(&repo_out, &repo_files)
        .with_context(|| format!("writing under {}", repo_out.display()))?;
    let stacks: usize = app.stacks().count();
    println!(
        "synthesised {stacks} stack(s): {} file(s) into {}, {} at {}",
        files.files().len(),
        out.display(),
        repo_files.files().len(),
        repo_out.display()
    );
    Ok(ExitCode::SUCCESS)
}
