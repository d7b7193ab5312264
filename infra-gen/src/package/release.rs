//! `infra-gen release`: the Octopus packages of one version (`<PackageId>.<SemVer>.zip`) and
//! the release manifest listing each package's id, version and sha256. Pure: the command
//! supplies the synthesised files and the function zips.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::archive::{self, Entry};
use super::consumer_image::ImageRecord;
use crate::assets::hex;
use crate::output::FileSet;
use crate::platform::Names;
use crate::render::kustomize;
use crate::spec::Environment;

/// The Octopus project the release belongs to.
pub const OCTOPUS_PROJECT: &str = "infra-gen";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReleaseError {
    #[error("`{0}` is not a semantic version (MAJOR.MINOR.PATCH, optional -prerelease and +build)")]
    NotSemver(String),
    #[error("no packaged zip for {function} ({architecture}): run `infra-gen package` first")]
    MissingFunction {
        function: String,
        architecture: String,
    },
    #[error("the synthesised output has no files for {0}")]
    EmptyBundle(String),
    #[error("archive: {0}")]
    Zip(String),
    #[error("{file}: not an image record of `infra-gen package`: {reason}")]
    BadImageRecord { file: String, reason: String },
    #[error(
        "the consumer image is tagged `{built}`, but the overlays run `{expected}`: run `infra-gen package` again"
    )]
    StaleImage { built: String, expected: String },
}

/// Checks `MAJOR.MINOR.PATCH[-pre][+build]`.
pub fn validate_semver(version: &str) -> Result<(), ReleaseError> {
    let bad = || ReleaseError::NotSemver(version.to_string());
    let (core, build) = version
        .split_once('+')
        .map_or((version, None), |(c, b)| (c, Some(b)));
    let (core, pre) = core
        .split_once('-')
        .map_or((core, None), |(c, p)| (c, Some(p)));
    let numbers: Vec<&str> = core.split('.').collect();
    let numeric = |n: &&str| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && (n.len() == 1 || !n.starts_with('0'))
    };
    if numbers.len() != 3 || !numbers.iter().all(numeric) {
        return Err(bad());
    }
    for ids in [pre, build].into_iter().flatten() {
        if ids
            .split('.')
            .any(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(bad());
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasePackage {
    pub id: String,
    pub version: String,
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseManifest {
    pub project: &'static str,
    pub version: String,
    pub packages: Vec<ReleasePackage>,
    /// The consumer image every stage publishes to its own repository and runs.
    pub image: ImageRecord,
}

/// Reads `infra-gen package`'s image record (`target/images/cdc-consumer.json`): the promotion
/// workflow pushes exactly this digest, under this tag, in every stage. `display` names the
/// file in errors.
pub fn parse_image_record(display: &str, bytes: &[u8]) -> Result<ImageRecord, ReleaseError> {
    let image: ImageRecord =
        serde_json::from_slice(bytes).map_err(|e| ReleaseError::BadImageRecord {
            file: display.to_string(),
            reason: e.to_string(),
        })?;
    let bad = |reason: String| ReleaseError::BadImageRecord {
        file: display.to_string(),
        reason,
    };
    let hex = image
        .digest
        .strip_prefix("sha256:")
        .ok_or_else(|| bad(format!("digest `{}` is not sha256:<hex>", image.digest)))?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(format!(
            "digest `{}` is not sha256:<hex>",
            image.digest
        )));
    }
    Ok(image)
}

/// A function zip produced by `infra-gen package`.
pub struct FunctionZip {
    pub function: String,
    pub architecture: String,
    pub bytes: Vec<u8>,
}

/// The release's files (relative paths) and manifest.
pub struct Release {
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: ReleaseManifest,
}

pub fn build(
    version: &str,
    environments: &[Environment],
    generated: &FileSet,
    functions: &[FunctionZip],
    image: &ImageRecord,
    image_tag: &str,
    octopus_space: &str,
) -> Result<Release, ReleaseError> {
    validate_semver(version)?;
    // The overlays in this release run `image_tag`; an image of other sources must not ship.
    if image.tag != image_tag {
        return Err(ReleaseError::StaleImage {
            built: image.tag.clone(),
            expected: image_tag.to_string(),
        });
    }
    let mut packages: Vec<(String, Vec<u8>)> = Vec::new();
    let bundle = |id: &str, prefixes: &[String]| -> Result<(String, Vec<u8>), ReleaseError> {
        let entries: Vec<Entry> = generated
            .files()
            .iter()
            .filter(|(path, _)| prefixes.iter().any(|p| path.starts_with(p.as_str())))
            .map(|(path, content)| Entry::file(path.clone(), content.clone()))
            .collect();
        if entries.is_empty() {
            return Err(ReleaseError::EmptyBundle(id.to_string()));
        }
        Ok((
            id.to_string(),
            archive::zip(entries).map_err(|e| ReleaseError::Zip(e.to_string()))?,
        ))
    };
    for env in environments {
        for rs in &env.regions {
            let names = Names::new(rs);
            let overlay = kustomize::overlay_dir(&rs.env, &rs.region);
            let kubernetes = vec!["kustomize/base/".to_string(), overlay.clone()];
            let mut infra = kubernetes.clone();
            infra.push(format!("cloudformation/{}-{}/", rs.env, rs.region));
            infra.push(format!("terraform/{}/{}/", rs.env, rs.region));
            // The environment's dashboards and rules travel with each region's release, so
            // the Octopus step that deploys a region can load them.
            infra.extend(crate::render::observability::release_prefixes(
                &rs.env, &rs.region,
            ));
            packages.push(bundle(
                &crate::render::delivery::infra_package_id(&names),
                &infra,
            )?);
            packages.push(bundle(
                &format!("infra-gen.k8s.{}.{}", rs.env, rs.region),
                &kubernetes,
            )?);
            // The stack's function assets must all be in the release.
            for (function, settings) in &rs.spec.functions {
                let arch = settings.architecture.as_str();
                if !functions
                    .iter()
                    .any(|f| &f.function == function && f.architecture == arch)
                {
                    return Err(ReleaseError::MissingFunction {
                        function: function.clone(),
                        architecture: arch.to_string(),
                    });
                }
            }
        }
    }
    for f in functions {
        // A Lambda zip is already the package: `bootstrap` at its root.
        packages.push((
            format!("infra-gen.fn.{}.{}", f.function, f.architecture),
            f.bytes.clone(),
        ));
    }
    packages.sort_by(|a, b| a.0.cmp(&b.0));
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for (id, bytes) in packages {
        let file = format!("packages/{id}.{version}.zip");
        listed.push(ReleasePackage {
            id,
            version: version.to_string(),
            file: file.clone(),
            sha256: hex(&Sha256::digest(&bytes)),
            bytes: bytes.len() as u64,
        });
        files.push((file, bytes));
    }
    let manifest = ReleaseManifest {
        project: OCTOPUS_PROJECT,
        version: version.to_string(),
        packages: listed,
        image: image.clone(),
    };
    files.push((
        "release-manifest.json".into(),
        pretty(&serde_json::to_value(&manifest).expect("serialisable")),
    ));
    // The body of Octopus's "create release" API call, as the promotion workflow sends it.
    let octopus = serde_json::json!({
        "spaceIdOrName": octopus_space,
        "projectName": OCTOPUS_PROJECT,
        "releaseVersion": version,
        "packageVersion": version,
    });
    files.push(("octopus-release.json".into(), pretty(&octopus)));
    Ok(Release { files, manifest })
}

fn pretty(value: &serde_json::Value) -> Vec<u8> {
    crate::render::to_pretty_json(value).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_records_are_checked() {
        let good = br#"{"repository":"infra-gen/cdc-consumer","tag":"sha-0123456789abcdef","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","compressed_size_bytes":1,"architecture":"amd64"}"#;
        assert_eq!(
            parse_image_record("x.json", good).unwrap().tag,
            "sha-0123456789abcdef"
        );
        let short = String::from_utf8_lossy(good).replace(&"0".repeat(64), "00");
        let err = parse_image_record("x.json", short.as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("x.json: "), "{err}");
        assert!(parse_image_record("x.json", b"{}").is_err());
    }

    #[test]
    fn semantic_versions() {
        for ok in [
            "1.2.3",
            "0.1.42",
            "1.0.0-rc.1",
            "1.0.0+build.7",
            "10.20.30-alpha-1+sha.abc",
        ] {
            assert_eq!(validate_semver(ok), Ok(()), "{ok}");
        }
        for bad in [
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.x",
            "1.2.3-",
            "1.2.3+",
            "v1.2.3",
            "1.2.3-a..b",
            "",
        ] {
            assert!(validate_semver(bad).is_err(), "{bad}");
        }
    }
}
