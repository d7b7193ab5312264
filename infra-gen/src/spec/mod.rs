//! Environment specs: `environments/defaults.yaml`, then `environments/<env>.yaml`, then the
//! env file's `region_overrides.<region>`, deep-merged into one [`RegionalSpec`] per
//! environment and region, then type-checked and validated.
//!
//! [`resolve`] is pure (texts in, specs or errors out); [`load_dir`] is the thin edge that
//! reads the directory. Every error names the file, line and field path it is about.

mod model;
mod tree;
mod usage;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use model::*;
use tree::{Located, Origin};
pub use usage::*;

/// The file every environment starts from.
pub const DEFAULTS_FILE: &str = "defaults.yaml";
/// The key of an environment file that holds per-region overrides.
pub const REGION_OVERRIDES_KEY: &str = "region_overrides";
/// Keys that describe the environment as a whole and so cannot differ per region.
const ENVIRONMENT_WIDE_KEYS: [&str; 5] = ["account", "regions", "delivery", "observability", "dns"];

/// One spec file's text and the name errors should use for it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub display_path: String,
    pub text: String,
}

/// An environment: its name (the file stem) and its spec in each of its regions.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub regions: Vec<RegionalSpec>,
}

impl Environment {
    /// The environment-wide settings (account, regions, delivery, observability, dns) are the same
    /// in every region, so any region's copy serves.
    pub fn spec(&self) -> &EnvironmentSpec {
        &self.regions[0].spec
    }
}

/// What one environment deploys in one region.
#[derive(Debug, Clone)]
pub struct RegionalSpec {
    pub env: String,
    pub region: String,
    /// The other region of the active/active pair.
    pub peer_region: String,
    pub spec: EnvironmentSpec,
}

/// One problem in the specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    /// Dotted field path, e.g. `functions.event-router.memory_mb`; empty for a whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found, in file and line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the spec directory {dir}: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{dir} has no {DEFAULTS_FILE}")]
    NoDefaults { dir: String },
    #[error("{0}")]
    Invalid(#[from] SpecErrors),
}

/// Reads `dir/defaults.yaml` and every other `dir/*.yaml`, and resolves them.
pub fn load_dir(dir: &Path) -> Result<Vec<Environment>, LoadError> {
    let io = |source| LoadError::Io {
        dir: dir.display().to_string(),
        source,
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") || name.ends_with(".yml"))
        .collect();
    names.sort();
    let read = |name: &str| -> Result<SourceFile, LoadError> {
        let path = dir.join(name);
        Ok(SourceFile {
            display_path: path.display().to_string(),
            text: std::fs::read_to_string(&path).map_err(io)?,
        })
    };
    if !names.iter().any(|n| n == DEFAULTS_FILE) {
        return Err(LoadError::NoDefaults {
            dir: dir.display().to_string(),
        });
    }
    let defaults = read(DEFAULTS_FILE)?;
    let envs = names
        .iter()
        .filter(|n| n.as_str() != DEFAULTS_FILE)
        .map(|n| read(n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(resolve(&defaults, &envs)?)
}

/// Layers, type-checks and validates the specs. Environments come back sorted by name,
/// regions in the order the spec lists them.
pub fn resolve(defaults: &SourceFile, envs: &[SourceFile]) -> Result<Vec<Environment>, SpecErrors> {
    let mut errors = Vec::new();
    let defaults_tree = match parse_file(defaults) {
        Ok(tree) => Some(tree),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut environments = Vec::new();
    for file in envs {
        let name = env_name(&file.display_path);
        if let Err(message) = validate::environment_name(&name) {
            errors.push(SpecError {
                file: file.display_path.clone(),
                line: 1,
                column: 1,
                field: String::new(),
                message,
            });
            continue;
        }
        let env_tree = match parse_file(file) {
            Ok(tree) => tree,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let Some(defaults_tree) = &defaults_tree else {
            continue;
        };
        match resolve_environment(&name, file, defaults_tree, env_tree) {
            Ok(env) => environments.push(env),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        environments.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(environments)
    } else {
        errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        errors.dedup();
        Err(SpecErrors(errors))
    }
}

fn env_name(display_path: &str) -> String {
    let file_name = display_path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(display_path);
    file_name
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string()
}

fn parse_file(file: &SourceFile) -> Result<Located, SpecError> {
    let name: Arc<str> = Arc::from(file.display_path.as_str());
    let tree = tree::parse(&name, &file.text).map_err(|e| SpecError {
        file: file.display_path.clone(),
        line: e.line,
        column: e.column,
        field: String::new(),
        message: e.message,
    })?;
    if !matches!(tree.node, tree::Node::Map(_)) {
        return Err(error_at(
            &tree.origin,
            "",
            "the file must be a YAML mapping",
        ));
    }
    Ok(tree)
}

fn error_at(origin: &Origin, field: &str, message: impl Into<String>) -> SpecError {
    SpecError {
        file: origin.file.to_string(),
        line: origin.line,
        column: origin.column,
        field: field.to_string(),
        message: message.into(),
    }
}

fn resolve_environment(
    name: &str,
    file: &SourceFile,
    defaults: &Located,
    mut env_tree: Located,
) -> Result<Environment, Vec<SpecError>> {
    let overrides = env_tree.take(REGION_OVERRIDES_KEY);
    let mut base = defaults.clone();
    base.merge(env_tree);
    let file_start = Origin {
        file: Arc::from(file.display_path.as_str()),
        line: 1,
        column: 1,
    };
    let common = typed(&base, &file_start)?;
    let mut errors = Vec::new();

    let mut region_overrides: BTreeMap<String, Located> = BTreeMap::new();
    if let Some(overrides) = overrides {
        match overrides.node {
            tree::Node::Map(entries) => {
                for (region, overlay) in entries {
                    let field = format!("{REGION_OVERRIDES_KEY}.{region}");
                    if !common.regions.contains(&region) {
                        errors.push(error_at(
                            &overlay.origin,
                            &field,
                            format!(
                                "`{region}` is not one of this environment's regions ({})",
                                common.regions.join(", ")
                            ),
                        ));
                        continue;
                    }
                    for key in ENVIRONMENT_WIDE_KEYS {
                        if let Some(v) = overlay.get(key) {
                            errors.push(error_at(
                                &v.origin,
                                &format!("{field}.{key}"),
                                format!("`{key}` is environment-wide and cannot be overridden per region"),
                            ));
                        }
                    }
                    region_overrides.insert(region, overlay);
                }
            }
            tree::Node::Null => {}
            _ => errors.push(error_at(
                &overrides.origin,
                REGION_OVERRIDES_KEY,
                "expected a mapping of region name to overrides",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    validate::regions(&common, &base)?;

    let mut regions = Vec::new();
    for (index, region) in common.regions.iter().enumerate() {
        let mut merged = base.clone();
        if let Some(overlay) = region_overrides.remove(region) {
            merged.merge(overlay);
        }
        let spec = match typed(&merged, &file_start) {
            Ok(spec) => spec,
            Err(mut errs) => {
                errors.append(&mut errs);
                continue;
            }
        };
        let mut origins = BTreeMap::new();
        merged.to_json(&mut origins, "");
        if let Err(mut errs) = validate::spec(&spec, region, &origins, &file_start) {
            errors.append(&mut errs);
            continue;
        }
        let peer_region = common.regions[1 - index].clone();
        regions.push(RegionalSpec {
            env: name.to_string(),
            region: region.clone(),
            peer_region,
            spec,
        });
    }
    if errors.is_empty() {
        Ok(Environment {
            name: name.to_string(),
            regions,
        })
    } else {
        Err(errors)
    }
}

/// Deserialises a merged tree into the typed spec, mapping a serde error back to the line
/// that holds the offending value.
fn typed(tree: &Located, file_start: &Origin) -> Result<EnvironmentSpec, Vec<SpecError>> {
    let mut origins = BTreeMap::new();
    let json = tree.to_json(&mut origins, "");
    serde_path_to_error::deserialize(json).map_err(|err| {
        let mut path = String::new();
        for segment in err.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                serde_path_to_error::Segment::Map { key } => path = tree::field_path(&path, key),
                serde_path_to_error::Segment::Enum { variant } => {
                    path = tree::field_path(&path, variant)
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let message = err.inner().to_string();
        // Make sure an unknown key's path ends at the key itself, not at its parent.
        if let Some(key) = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            && !path.ends_with(key)
        {
            path = tree::field_path(&path, key);
        }
        let origin = if path.is_empty() {
            file_start
        } else {
            origins.get(&path).unwrap_or(file_start)
        };
        vec![error_at(origin, &path, message)]
    })
}

#[cfg(test)]
mod tests;
