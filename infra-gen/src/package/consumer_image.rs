//! The consumer image's edges: building the release binary, collecting what it needs from the
//! build host (the shared libraries `ldd` reports, the CA bundle), and writing the OCI layout
//! and its record under `target/images/`. The image itself is assembled by the pure
//! [`super::image`].
//!
//! Output, relative to the repository root (the promotion workflow and the release manifest
//! read exactly these):
//! - `target/images/cdc-consumer/`: an OCI image layout whose one image is named by its tag
//!   (`skopeo copy oci:target/images/cdc-consumer:sha-<hash> docker://...`);
//! - `target/images/cdc-consumer.json`: [`ImageRecord`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::image::{self, Image, RuntimeFiles};
use super::write_atomically;

/// Where `package` writes images, relative to the repository root.
pub const IMAGE_DIR: &str = "target/images";
/// The layout directory and record name under [`IMAGE_DIR`].
pub const CONSUMER_IMAGE: &str = "cdc-consumer";
/// The Cargo profile of the consumer binary (opt-level 3; symbols stripped after the build).
pub const CONSUMER_PROFILE: &str = "release";
/// Where the host keeps the CA bundle (Debian's `ca-certificates`).
pub const HOST_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `target/images/cdc-consumer.json`: what was built and where it is to be published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The repository in every environment's registry (`consumer.image_repository`).
    pub repository: String,
    /// `sha-<hash>`, the tag synth writes into the overlays.
    pub tag: String,
    /// The manifest digest (`sha256:...`), what the registry serves the tag as.
    pub digest: String,
    /// Manifest, config and gzipped layers: what a node pulls.
    pub compressed_size_bytes: u64,
    /// OCI architecture (`amd64`).
    pub architecture: String,
}

/// Builds the consumer's binary; the edge to Cargo.
pub trait ConsumerBuilder {
    /// Builds the binary and returns its path and Rust target triple.
    fn build(&self) -> anyhow::Result<(PathBuf, String)>;
}

/// `cargo build --release -p consumer` for the host, in the shared target directory (the
/// benchmarks' release build is reused).
pub struct CargoConsumerBuilder {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl ConsumerBuilder for CargoConsumerBuilder {
    fn build(&self) -> anyhow::Result<(PathBuf, String)> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(&cargo)
            .current_dir(&self.root)
            .args([
                "build",
                "--locked",
                "--quiet",
                "--profile",
                CONSUMER_PROFILE,
            ])
            .args(["-p", "consumer", "--bin", "cdc-consumer"])
            .arg("--target-dir")
            .arg(&self.target_dir)
            .status()
            .with_context(|| format!("running {cargo}"))?;
        anyhow::ensure!(
            status.success(),
            "cargo build of cdc-consumer failed ({status})"
        );
        let rustc = Command::new("rustc").arg("-vV").output()?;
        let host = String::from_utf8_lossy(&rustc.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
            .context("rustc -vV names no host")?;
        Ok((
            self.target_dir.join(CONSUMER_PROFILE).join("cdc-consumer"),
            host,
        ))
    }
}

/// The binary without its symbol table (`strip --strip-all`, binutils): a third smaller.
pub fn stripped(binary: &Path) -> anyhow::Result<Vec<u8>> {
    let staged = tempfile::NamedTempFile::new()?;
    let status = Command::new("strip")
        .arg("--strip-all")
        .arg("-o")
        .arg(staged.path())
        .arg(binary)
        .status()
        .context("running strip (binutils)")?;
    anyhow::ensure!(status.success(), "strip {} failed", binary.display());
    Ok(std::fs::read(staged.path())?)
}

/// The shared objects `ldd` reports for `binary`, read from the host, and its CA bundle.
pub fn host_runtime_files(binary: &Path) -> anyhow::Result<RuntimeFiles> {
    let ldd = Command::new("ldd")
        .arg(binary)
        .output()
        .context("running ldd")?;
    anyhow::ensure!(
        ldd.status.success(),
        "ldd {} failed: {}",
        binary.display(),
        String::from_utf8_lossy(&ldd.stderr)
    );
    let mut libraries = Vec::new();
    for path in image::parse_ldd(&String::from_utf8_lossy(&ldd.stdout)) {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {path}"))?;
        libraries.push((path, bytes));
    }
    let ca_bundle =
        std::fs::read(HOST_CA_BUNDLE).with_context(|| format!("reading {HOST_CA_BUNDLE}"))?;
    Ok(RuntimeFiles {
        libraries,
        ca_bundle,
    })
}

/// Writes `image` as an OCI layout at `dir`, replacing what was there by a rename, so a
/// reader sees the old layout or the new one, never a mix.
pub fn write_layout(image: &Image, dir: &Path) -> anyhow::Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let staged = tempfile::Builder::new()
        .prefix(".image-")
        .tempdir_in(parent)?;
    let blobs = staged.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    for blob in &image.blobs {
        let name = blob.digest.trim_start_matches("sha256:");
        std::fs::write(blobs.join(name), &blob.bytes)?;
    }
    std::fs::write(staged.path().join("oci-layout"), &image.oci_layout)?;
    std::fs::write(staged.path().join("index.json"), &image.index_json)?;
    let staged = staged.keep();
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("replacing {}", dir.display()))?;
    }
    std::fs::rename(&staged, dir).with_context(|| format!("writing {}", dir.display()))?;
    Ok(())
}

/// Assembles the image from a built binary and the host's runtime files, writes
/// `<out>/cdc-consumer/` and `<out>/cdc-consumer.json`, and returns the record.
pub fn write_consumer_image(
    binary: Vec<u8>,
    runtime: &RuntimeFiles,
    rust_target: &str,
    repository: &str,
    tag: &str,
    out: &Path,
) -> anyhow::Result<(ImageRecord, Image)> {
    let architecture = image::oci_architecture(rust_target)?;
    let layers = image::consumer_layers(binary, runtime)?;
    let image = image::assemble(&image::consumer_config(architecture, tag), &layers, tag)?;
    write_layout(&image, &out.join(CONSUMER_IMAGE))?;
    let record = ImageRecord {
        repository: repository.to_string(),
        tag: tag.to_string(),
        digest: image.manifest_digest.clone(),
        compressed_size_bytes: image.compressed_size,
        architecture: architecture.to_string(),
    };
    let json = serde_json::to_string_pretty(&record)? + "\n";
    write_atomically(&out.join(format!("{CONSUMER_IMAGE}.json")), json.as_bytes())?;
    Ok((record, image))
}

/// `infra-gen package`'s image step: builds the release binary, strips it, collects its
/// runtime files and writes the image under `out`. Fails if the consumer's sources change
/// while it builds (the image would not be what `tag` names).
pub fn package_consumer_image(
    root: &Path,
    builder: &dyn ConsumerBuilder,
    repository: &str,
    out: &Path,
) -> anyhow::Result<(ImageRecord, Image)> {
    let tag = crate::assets::source_hashes(root)?.consumer_image_tag();
    let (binary, rust_target) = builder.build()?;
    let architecture = image::oci_architecture(&rust_target)?;
    anyhow::ensure!(
        architecture == platform_contract::CONSUMER_IMAGE_ARCHITECTURE,
        "this host builds the consumer for {architecture} ({rust_target}), but the overlays run \
         it on {} nodes (platform_contract::CONSUMER_IMAGE_ARCHITECTURE): build the image on an \
         {} host",
        platform_contract::CONSUMER_IMAGE_ARCHITECTURE,
        platform_contract::CONSUMER_IMAGE_ARCHITECTURE
    );
    let runtime = host_runtime_files(&binary)?;
    let bytes = stripped(&binary)?;
    let after = crate::assets::source_hashes(root)?.consumer_image_tag();
    anyhow::ensure!(
        tag == after,
        "the consumer's sources changed while building its image: run `infra-gen package` again"
    );
    write_consumer_image(bytes, &runtime, &rust_target, repository, &tag, out)
}
