//! `jsii-codegen`: typed Rust bindings from jsii assemblies (`.jsii` / `.jsii.gz`).
//!
//! [`read_assembly`] reads the schema into [`model`]; [`generate`] turns a primary assembly and
//! its jsii dependencies into the files of one crate: a module per submodule (each behind a
//! cargo feature), handle types for classes and interfaces, `IsA<T>` upcasts, extension traits
//! with the members, structs with `Option` fields, enums, and unions as enums. The generated
//! code talks to the kernel through the `jsii` host crate (see `support/runtime.rs`).

pub mod model;
pub mod names;

mod emit;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// What can go wrong reading an assembly or generating from it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a jsii assembly: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_path_to_error::Error<serde_json::Error>,
    },
    #[error("{path}: unsupported jsii schema `{schema}` (expected jsii/0.10.0)")]
    Schema { path: PathBuf, schema: String },
    #[error("{path}: file-redirect compression `{compression}` is not supported (only gzip)")]
    Compression { path: PathBuf, compression: String },
    #[error("no assembly given")]
    NoAssembly,
    #[error("no submodule `{0}` in the assemblies (features are submodule paths joined with `__`)")]
    UnknownModule(String),
    #[error("inconsistent assembly: {0}")]
    Model(String),
}

/// Settings of the generated crate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Package name written to the generated `Cargo.toml`.
    pub crate_name: String,
    /// Package version written to the generated `Cargo.toml`.
    pub crate_version: String,
    /// Lines of its `[dependencies]` table (at least `jsii` and `serde_json`).
    pub dependencies: Vec<String>,
    /// Names the inputs in the "generated from" headers, e.g. `aws-cdk-lib@2.276.0`.
    pub source_note: String,
    /// Generate only these submodules (by feature name, e.g. `aws_sqs`) and what they stand
    /// on; `None` for all. Members that name a type of a left-out module are not generated.
    pub modules: Option<Vec<String>>,
    /// The generated crate's default features.
    pub default_features: Vec<String>,
}

/// The generated crate: relative path -> file contents, plus what could not be mapped.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub files: BTreeMap<String, String>,
    /// Members left out, as `Type.member`, with the reason where it is not an unknown type.
    pub skipped: Vec<String>,
}

/// The runtime glue every generated crate carries as `src/runtime.rs`.
pub(crate) const SUPPORT: &str = include_str!("../support/runtime.rs");

/// Crate-level attributes of a generated crate, each with the reason it cannot be avoided.
pub(crate) const ROOT_ATTRS: &str = "\
// The library marks members deprecated; the bindings themselves must still name them
// (upcasts, struct encoding), so only users of the bindings see the warnings.
#![allow(deprecated)]
// jsii signatures are the library's own: argument counts, names and shapes are not ours.
#![allow(clippy::too_many_arguments, clippy::type_complexity)]
#![allow(clippy::large_enum_variant, clippy::should_implement_trait)]
#![allow(clippy::wrong_self_convention, clippy::enum_variant_names)]
#![allow(clippy::upper_case_acronyms, clippy::module_inception)]
#![allow(clippy::new_ret_no_self, clippy::len_without_is_empty)]
#![allow(clippy::new_without_default, clippy::duplicated_attributes)]
// Match arms and pushes are cfg-gated one by one (a member exists only with its modules'
// features), so a match may be left with its fallback arm alone and a Vec with pushes only.
#![allow(clippy::match_single_binding, clippy::vec_init_then_push)]
// Library docs are Markdown written for TypeScript readers (bare URLs, `[links]` to TS names,
// indentation that rustdoc reads as lazy continuations).
#![allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]
#![allow(clippy::tabs_in_doc_comments, clippy::empty_docs)]
#![allow(clippy::too_long_first_doc_paragraph)]
#![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]
#![allow(rustdoc::invalid_html_tags, rustdoc::invalid_rust_codeblocks)]
#![allow(rustdoc::private_intra_doc_links)]
";

/// Reads a `.jsii` (following a `jsii/file-redirect` to its `.jsii.gz`) or a `.jsii.gz`.
pub fn read_assembly(path: &Path) -> Result<model::Assembly, Error> {
    let bytes = read_maybe_gz(path)?;
    if let Ok(redirect) = serde_json::from_slice::<model::FileRedirect>(&bytes)
        && redirect.schema == "jsii/file-redirect"
    {
        if let Some(c) = redirect.compression.as_deref().filter(|c| *c != "gzip") {
            return Err(Error::Compression {
                path: path.into(),
                compression: c.into(),
            });
        }
        let target = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&redirect.filename);
        return read_assembly(&target);
    }
    parse_assembly(path, &bytes)
}

/// Parses assembly JSON; `path` names the source in errors.
pub fn parse_assembly(path: &Path, bytes: &[u8]) -> Result<model::Assembly, Error> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let asm: model::Assembly =
        serde_path_to_error::deserialize(de).map_err(|source| Error::Parse {
            path: path.into(),
            source,
        })?;
    if asm.schema != "jsii/0.10.0" {
        return Err(Error::Schema {
            path: path.into(),
            schema: asm.schema,
        });
    }
    Ok(asm)
}

fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io {
        path: path.into(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 10);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(io)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Generates one crate from `assemblies`: the first is the primary one (its root module is the
/// crate root), the others are jsii dependencies (each becomes a top-level module).
pub fn generate(assemblies: &[model::Assembly], opts: &Options) -> Result<Generated, Error> {
    let (files, skipped) = emit::Generator::new(assemblies, opts)?.emit_all()?;
    Ok(Generated { files, skipped })
}

/// Writes a generated crate into `out`: `Cargo.toml` and `src/` are replaced, other files
/// (README, tests) are kept. The new `src/` is staged next to the old one and swapped in, so a
/// failure leaves the previous bindings whole.
pub fn write(out: &Path, files: &BTreeMap<String, String>) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let staging = out.join(".src.staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    for (rel, text) in files.iter().filter(|(rel, _)| rel.starts_with("src/")) {
        let path = staging.join(&rel["src/".len()..]);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)?;
    }
    let src = out.join("src");
    if src.exists() {
        std::fs::remove_dir_all(&src)?;
    }
    std::fs::rename(&staging, &src)?;
    for (rel, text) in files.iter().filter(|(rel, _)| !rel.starts_with("src/")) {
        std::fs::write(out.join(rel), text)?;
    }
    Ok(())
}

/// The differences between `files` and what is in `out` (missing, changed, or extra under
/// `src/`), as one line each; empty when they are equal.
pub fn compare(out: &Path, files: &BTreeMap<String, String>) -> Result<Vec<String>, Error> {
    let mut drift = Vec::new();
    for (rel, text) in files {
        match std::fs::read_to_string(out.join(rel)) {
            Ok(have) if have == *text => {}
            Ok(_) => drift.push(format!("changed: {rel}")),
            Err(_) => drift.push(format!("missing: {rel}")),
        }
    }
    let mut stack = vec![out.join("src")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let e = e.map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(out) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !files.contains_key(&rel) {
                    drift.push(format!("extra: {rel}"));
                }
            }
        }
    }
    drift.sort();
    Ok(drift)
}

/// The committed `crates/aws-cdk-lib` bindings: which assemblies, which modules, which
/// dependencies. The drift test (`tests/drift.rs`) regenerates with exactly this.
pub mod presets {
    /// Assemblies, primary first, by npm name (their models come from the installer's manifest).
    pub const AWS_CDK_LIB_ASSEMBLIES: &[&str] = &["aws-cdk-lib", "constructs"];

    /// The platform's modules (besides the always-present root and `constructs`); what they
    /// stand on (base classes, implemented interfaces) is generated with them.
    pub const AWS_CDK_LIB_MODULES: &[&str] = &[
        "aws_iam",
        "aws_kms",
        "aws_sqs",
        "aws_dynamodb",
        "aws_events",
        "aws_events_targets",
        "aws_lambda",
        "aws_lambda_event_sources",
        "aws_apigateway",
        "aws_logs",
        "aws_secretsmanager",
        "aws_cloudwatch",
        "aws_route53",
        // `App::synth` returns a `cx_api::CloudAssembly` (the synthesised templates).
        "cx_api",
    ];

    /// Options for the committed crate, given the assemblies' "name@version" note.
    /// The platform's modules are its default features.
    pub fn aws_cdk_lib_options(primary_version: &str, source_note: String) -> crate::Options {
        crate::Options {
            crate_name: "aws-cdk-lib".into(),
            crate_version: format!("0.1.0+{}", primary_version.replace('.', "-")),
            dependencies: vec![
                "jsii = { path = \"../jsii\" }".into(),
                "serde_json.workspace = true".into(),
                "chrono.workspace = true".into(),
                "\n[dev-dependencies]".into(),
                "tempfile.workspace = true".into(),
            ],
            source_note,
            modules: Some(AWS_CDK_LIB_MODULES.iter().map(|m| m.to_string()).collect()),
            default_features: AWS_CDK_LIB_MODULES.iter().map(|m| m.to_string()).collect(),
        }
    }
}
