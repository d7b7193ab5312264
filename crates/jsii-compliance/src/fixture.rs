//! Compiles the TypeScript fixture into jsii assemblies and npm tarballs.
//!
//! The sources under `fixture/` are copied into a scratch directory first: the jsii compiler
//! writes `tsconfig.json`, `.jsii` and `lib/*.js` next to its sources, and none of that belongs
//! in the checkout. The main library depends on the scoped one, so it is compiled second, with
//! the scoped one linked into its `node_modules`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Why the fixture could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{0}: Node's type declarations (@types/node) are not installed beside the jsii compiler; run scripts/tools/ensure.sh"
    )]
    NoNodeTypes(PathBuf),
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("`{command}` in {dir} failed ({status}):\n{output}")]
    Command {
        command: String,
        dir: PathBuf,
        status: String,
        output: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The tools that build the fixture.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The pinned `jsii` compiler command.
    pub jsii: PathBuf,
    /// `node_modules/@types/node` of the compiler's installation.
    pub node_types: PathBuf,
    /// The `npm` command that packs tarballs.
    pub npm: PathBuf,
}

impl Toolchain {
    /// The toolchain around a `jsii` command installed by `scripts/tools/ensure.d/jsii-compiler.sh`
    /// (`<tools>/jsii-compiler/node_modules/.bin/jsii`, usually reached through a symlink).
    pub fn from_jsii(jsii: &Path) -> Result<Self, FixtureError> {
        let real = fs::canonicalize(jsii).map_err(io(jsii))?;
        let node_modules = real
            .ancestors()
            .find(|dir| dir.file_name().is_some_and(|n| n == "node_modules"))
            .ok_or_else(|| FixtureError::NoNodeTypes(real.clone()))?;
        let node_types = node_modules.join("@types/node");
        if !node_types.join("package.json").is_file() {
            return Err(FixtureError::NoNodeTypes(node_types));
        }
        Ok(Self {
            jsii: jsii.to_owned(),
            node_types,
            npm: PathBuf::from("npm"),
        })
    }
}

/// One compiled assembly, ready for the kernel's `load`.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// The npm package name (also the assembly name).
    pub name: String,
    /// Its version.
    pub version: String,
    /// The npm tarball (`npm pack`) the kernel loads.
    pub tarball: PathBuf,
    /// The `.jsii` assembly the binding generator reads.
    pub jsii: PathBuf,
}

/// Both assemblies of the fixture.
#[derive(Debug, Clone)]
pub struct Built {
    /// `@infra-gen-compliance/base`: the scoped dependency.
    pub base: Assembly,
    /// `infra-gen-compliance-fixture`: the library the cases use.
    pub fixture: Assembly,
}

impl Built {
    /// The assemblies in the order the kernel must load them (dependencies first).
    pub fn load_order(&self) -> [&Assembly; 2] {
        [&self.base, &self.fixture]
    }
}

/// The fixture sources in this crate.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixture")
}

/// Compiles `source` (with `base/` and `calc/` packages) into `out`, returning both assemblies.
pub fn build(tools: &Toolchain, source: &Path, out: &Path) -> Result<Built, FixtureError> {
    let base_dir = out.join("base");
    let calc_dir = out.join("calc");
    let tarballs = out.join("tarballs");
    copy_sources(&source.join("base"), &base_dir)?;
    copy_sources(&source.join("calc"), &calc_dir)?;
    fs::create_dir_all(&tarballs).map_err(io(&tarballs))?;
    // TypeScript looks for `@types` and dependencies in node_modules of the package's
    // ancestors: one shared directory above both packages serves both.
    let modules = out.join("node_modules");
    symlink(&tools.node_types, &modules.join("@types/node"))?;
    let base_name = package_field(&base_dir, "name")?;
    symlink(&base_dir, &modules.join(&base_name))?;

    let base = compile(tools, &base_dir, &[], &tarballs)?;
    // --strip-deprecated: strippedDeprecatedMemberCanBeReceived receives an instance of a
    // class the stripped assembly no longer declares.
    let fixture = compile(tools, &calc_dir, &["--strip-deprecated"], &tarballs)?;
    Ok(Built { base, fixture })
}

fn compile(
    tools: &Toolchain,
    dir: &Path,
    flags: &[&str],
    tarballs: &Path,
) -> Result<Assembly, FixtureError> {
    run(Command::new(&tools.jsii).args(flags).current_dir(dir), dir)?;
    let packed = run(
        Command::new(&tools.npm)
            .args(["pack", "--ignore-scripts", "--silent", "--pack-destination"])
            .arg(tarballs)
            .current_dir(dir),
        dir,
    )?;
    let file = packed
        .lines()
        .rev()
        .find(|l| l.ends_with(".tgz"))
        .ok_or_else(|| FixtureError::Manifest {
            path: dir.to_owned(),
            reason: format!("npm pack named no tarball: {packed}"),
        })?;
    Ok(Assembly {
        name: package_field(dir, "name")?,
        version: package_field(dir, "version")?,
        tarball: tarballs.join(file.trim()),
        jsii: dir.join(".jsii"),
    })
}

fn run(command: &mut Command, dir: &Path) -> Result<String, FixtureError> {
    let output = command.output().map_err(io(dir))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    Err(FixtureError::Command {
        command: format!("{command:?}"),
        dir: dir.to_owned(),
        status: output.status.to_string(),
        output: format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
    })
}

fn package_field(dir: &Path, field: &str) -> Result<String, FixtureError> {
    let path = dir.join("package.json");
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    let manifest: Value = serde_json::from_str(&text).map_err(|e| FixtureError::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    manifest[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| FixtureError::Manifest {
            path,
            reason: format!("no string field `{field}`"),
        })
}

/// Copies a package's `package.json` and `lib/**/*.ts` (nothing a previous build left behind).
fn copy_sources(from: &Path, to: &Path) -> Result<(), FixtureError> {
    fs::create_dir_all(to.join("lib")).map_err(io(to))?;
    fs::copy(from.join("package.json"), to.join("package.json")).map_err(io(from))?;
    let lib = from.join("lib");
    for entry in fs::read_dir(&lib).map_err(io(&lib))? {
        let path = entry.map_err(io(&lib))?.path();
        let is_source = path.extension().is_some_and(|e| e == "ts")
            && !path.to_string_lossy().ends_with(".d.ts");
        if is_source {
            let target = to
                .join("lib")
                .join(path.file_name().expect("a file has a name"));
            fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}

fn symlink(target: &Path, link: &Path) -> Result<(), FixtureError> {
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::os::unix::fs::symlink(target, link).map_err(io(link))
}
