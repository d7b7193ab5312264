//! The installer's manifest: where the pinned `@jsii/runtime` and the assembly tarballs are.
//!
//! `scripts/tools/ensure.d/jsii.sh` writes `$TOOLS_HOME/jsii/manifest.json`:
//!
//! ```json
//! {
//!   "runtime": {"version": "1.140.0", "dir": "runtime"},
//!   "packages": [
//!     {"name": "constructs", "version": "10.8.1", "tarball": "tarballs/constructs-10.8.1.tgz",
//!      "dependencies": []},
//!     ...
//!   ],
//!   "assemblies": {"aws-cdk-lib": "assemblies/aws-cdk-lib.jsii.gz"}
//! }
//! ```
//!
//! `packages` is in load order (dependencies first). Relative paths are relative to the
//! manifest's directory and resolved when it is read, so the fields below are absolute.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The pinned `@jsii/runtime` package, unpacked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RuntimeInfo {
    /// Its npm version, which the kernel's `hello` must report.
    pub version: String,
    /// The unpacked npm package directory (holds `webpack/lib/program.js`).
    pub dir: PathBuf,
}

impl RuntimeInfo {
    /// The kernel program the host runs directly (no `bin/jsii-runtime.js` shim).
    pub fn program(&self) -> PathBuf {
        self.dir.join("webpack/lib/program.js")
    }
}

/// One npm package tarball the kernel loads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// The `.tgz` as the registry served it (its integrity was checked at install).
    pub tarball: PathBuf,
    /// The registry's `sha512-...` integrity of the tarball, as pinned.
    #[serde(default)]
    pub integrity: Option<String>,
    /// Names of the jsii packages it depends on (all of them listed earlier in the manifest).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// How many jsii types the assembly declares, as the kernel counted them when the
    /// installer warmed its cache; `None` when not recorded.
    #[serde(default)]
    pub types: Option<u64>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Manifest {
    pub runtime: RuntimeInfo,
    /// In load order.
    pub packages: Vec<Package>,
    /// Extracted `.jsii.gz` type models by package name (for the binding generator).
    #[serde(default)]
    pub assemblies: BTreeMap<String, PathBuf>,
    /// The closure as plain Node.js packages (links into the kernel's package cache), for
    /// running the same library from JavaScript: `node --preserve-symlinks` with `NODE_PATH`.
    /// Kernels started from the manifest get it on their `NODE_PATH` too: see
    /// [`Manifest::requireable_without_load`].
    #[serde(default)]
    pub node_modules: Option<PathBuf>,
}

impl Manifest {
    /// `$JSII_MANIFEST`, else `$TOOLS_HOME/jsii/manifest.json`, else
    /// `~/.cache/infra-gen-tools/jsii/manifest.json` (where `scripts/tools/ensure.sh` installs).
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("JSII_MANIFEST").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        tools_home().join("jsii/manifest.json")
    }

    /// Reads and resolves a manifest file.
    pub fn read(path: &Path) -> Result<Manifest> {
        let err = |reason: String| Error::Manifest {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut m: Manifest = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        m.runtime.dir = base.join(&m.runtime.dir);
        for p in &mut m.packages {
            p.tarball = base.join(&p.tarball);
        }
        for a in m.assemblies.values_mut() {
            *a = base.join(&*a);
        }
        if let Some(n) = &mut m.node_modules {
            *n = base.join(&*n);
        }
        for (i, p) in m.packages.iter().enumerate() {
            for d in &p.dependencies {
                if !m.packages[..i].iter().any(|q| &q.name == d) {
                    return Err(err(format!(
                        "{} depends on {d}, which is not listed before it",
                        p.name
                    )));
                }
            }
        }
        Ok(m)
    }

    /// The manifest at [`Manifest::default_path`], or `None` when the installer has not run.
    pub fn discover() -> Result<Option<Manifest>> {
        let path = Self::default_path();
        if path.exists() {
            Self::read(&path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The package named `name`.
    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// True when `package` need not be `load`ed for the library to run: it declares no jsii
    /// types (aws-cdk-lib's asset packages, which only hand the library a bundled file such as
    /// the AWS CLI layer's zip), so `load` would only make it requireable, and `node_modules`
    /// already does that. Skipping it spares the kernel hashing its tarball (21 MB for the
    /// CLI layer) to find the cache entry. A dangling link (a pruned cache entry) means load.
    pub fn requireable_without_load(&self, package: &Package) -> bool {
        package.types == Some(0)
            && self
                .node_modules
                .as_ref()
                .is_some_and(|n| n.join(&package.name).join("package.json").is_file())
    }

    /// `name` and everything it depends on, dependencies first (the order to load them in).
    pub fn closure(&self, name: &str) -> Result<Vec<&Package>> {
        let mut out: Vec<&Package> = Vec::new();
        self.visit(name, &mut out)?;
        Ok(out)
    }

    fn visit<'a>(&'a self, name: &str, out: &mut Vec<&'a Package>) -> Result<()> {
        if out.iter().any(|p| p.name == name) {
            return Ok(());
        }
        let p = self
            .package(name)
            .ok_or_else(|| Error::UnknownAssembly(name.to_owned()))?;
        for d in &p.dependencies {
            self.visit(d, out)?;
        }
        out.push(p);
        Ok(())
    }

    /// The extracted `.jsii.gz` of `name`, if the installer extracted it.
    pub fn assembly(&self, name: &str) -> Option<&Path> {
        self.assemblies.get(name).map(PathBuf::as_path)
    }
}

/// `$TOOLS_HOME`, else `$XDG_CACHE_HOME/infra-gen-tools`, else `~/.cache/infra-gen-tools`: the
/// same default as `scripts/tools/ensure.sh`.
pub(crate) fn tools_home() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(t) = var("TOOLS_HOME") {
        return PathBuf::from(t);
    }
    let cache = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("infra-gen-tools")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("manifest.json");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn resolves_paths_and_orders_closures() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            r#"{"runtime": {"version": "1.140.0", "dir": "runtime"},
                "packages": [
                  {"name": "constructs", "version": "10.8.1", "tarball": "t/c.tgz"},
                  {"name": "schema", "version": "1", "tarball": "t/s.tgz"},
                  {"name": "lib", "version": "2", "tarball": "/abs/l.tgz",
                   "dependencies": ["schema", "constructs"]}],
                "assemblies": {"lib": "a/lib.jsii.gz"}}"#,
        );
        let m = Manifest::read(&p).unwrap();
        assert_eq!(
            m.runtime.program(),
            dir.path().join("runtime/webpack/lib/program.js")
        );
        assert_eq!(m.packages[0].tarball, dir.path().join("t/c.tgz"));
        assert_eq!(m.packages[2].tarball, PathBuf::from("/abs/l.tgz"));
        assert_eq!(
            m.assembly("lib"),
            Some(dir.path().join("a/lib.jsii.gz").as_path())
        );
        let names: Vec<_> = m.closure("lib").unwrap().iter().map(|p| &p.name).collect();
        assert_eq!(names, ["schema", "constructs", "lib"]);
        assert!(matches!(m.closure("nope"), Err(Error::UnknownAssembly(n)) if n == "nope"));
    }

    #[test]
    fn rejects_a_dependency_listed_after_its_dependent() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            r#"{"runtime": {"version": "1", "dir": "r"},
                "packages": [{"name": "lib", "version": "2", "tarball": "l.tgz",
                              "dependencies": ["constructs"]},
                             {"name": "constructs", "version": "1", "tarball": "c.tgz"}]}"#,
        );
        let e = Manifest::read(&p).unwrap_err().to_string();
        assert!(e.contains("lib depends on constructs"), "{e}");
        let bad = write(dir.path(), "{");
        assert!(matches!(Manifest::read(&bad), Err(Error::Manifest { .. })));
    }

    #[test]
    fn only_type_less_packages_present_in_node_modules_skip_the_load() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            r#"{"runtime": {"version": "1", "dir": "r"},
                "packages": [{"name": "@s/asset", "version": "1", "tarball": "a.tgz", "types": 0},
                             {"name": "@s/pruned", "version": "1", "tarball": "p.tgz", "types": 0},
                             {"name": "unknown", "version": "1", "tarball": "u.tgz"},
                             {"name": "lib", "version": "2", "tarball": "l.tgz", "types": 3}],
                "node_modules": "nm"}"#,
        );
        for name in ["@s/asset", "unknown", "lib"] {
            let pkg = dir.path().join("nm").join(name);
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::write(pkg.join("package.json"), "{}").unwrap();
        }
        let m = Manifest::read(&p).unwrap();
        let skipped: Vec<&str> = m
            .packages
            .iter()
            .filter(|p| m.requireable_without_load(p))
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(skipped, ["@s/asset"]);
    }
}
