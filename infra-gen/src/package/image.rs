//! OCI images assembled in memory, byte for byte reproducible: the same files give the same
//! image digest on any machine, in any directory, at any time. No daemon and no tool: layers
//! are tar streams written with explicit headers (sorted paths, mtime 0, owner and mode set on
//! every entry) and gzipped without a file name or timestamp; the config carries no creation
//! date; JSON keys are written in a fixed order.
//!
//! [`consumer_layers`] and [`consumer_config`] say what the cdc-consumer image holds; the
//! files that come from the build host (the binary, the shared libraries `ldd` names, the CA
//! bundle) are inputs, read by `super::consumer_image`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::assets::hex;

pub const OCI_LAYOUT_VERSION: &str = "1.0.0";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The annotation naming an image in an OCI layout (`oci:DIR:NAME`).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// Where the consumer's binary lives in its image (also its entrypoint).
pub const CONSUMER_BINARY: &str = "usr/local/bin/cdc-consumer";
/// The CA bundle the AWS SDK's TLS (rustls with the platform's roots) reads.
pub const CA_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("image path {0:?} must be relative, without `.`, `..` or empty components")]
    BadPath(String),
    #[error("image path {0:?} appears twice in one layer")]
    Duplicate(String),
    #[error("writing the layer tar: {0}")]
    Tar(String),
    #[error("no OCI architecture for the Rust target {0:?}")]
    UnknownTarget(String),
}

/// What an entry of a layer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Directory,
    File(Vec<u8>),
}

/// One file or directory of a layer, with its owner and mode stated, never taken from a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `/`-separated, relative to the root filesystem (`etc/passwd`).
    pub path: String,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub kind: EntryKind,
}

impl Entry {
    /// A root-owned file: the process (UID 1001) can read it, never change it.
    pub fn file(path: impl Into<String>, mode: u32, contents: impl Into<Vec<u8>>) -> Entry {
        Entry {
            path: path.into(),
            mode,
            uid: 0,
            gid: 0,
            kind: EntryKind::File(contents.into()),
        }
    }

    pub fn dir(path: impl Into<String>, mode: u32) -> Entry {
        Entry {
            path: path.into(),
            mode,
            uid: 0,
            gid: 0,
            kind: EntryKind::Directory,
        }
    }
}

/// One layer: its entries (any order) and the history line that says what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub created_by: String,
    pub entries: Vec<Entry>,
}

impl Layer {
    /// A layer of `files` plus every parent directory they need (root-owned, 0755), unless
    /// `files` states the directory itself.
    pub fn with_parents(created_by: impl Into<String>, files: Vec<Entry>) -> Layer {
        let stated: BTreeSet<String> = files.iter().map(|e| e.path.clone()).collect();
        let mut parents = BTreeSet::new();
        for entry in &files {
            let mut path = entry.path.as_str();
            while let Some((parent, _)) = path.rsplit_once('/') {
                if !stated.contains(parent) {
                    parents.insert(parent.to_string());
                }
                path = parent;
            }
        }
        let mut entries: Vec<Entry> = parents.into_iter().map(|p| Entry::dir(p, 0o755)).collect();
        entries.extend(files);
        Layer {
            created_by: created_by.into(),
            entries,
        }
    }
}

/// The runtime settings of an image's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// OCI architecture (`amd64`, `arm64`).
    pub architecture: String,
    pub user: String,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub exposed_tcp_ports: Vec<u16>,
    pub labels: BTreeMap<String, String>,
}

/// One content-addressed blob of the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// `sha256:<hex>`.
    pub digest: String,
    pub bytes: Vec<u8>,
}

impl Blob {
    fn of(bytes: Vec<u8>) -> Blob {
        Blob {
            digest: digest(&bytes),
            bytes,
        }
    }
}

/// An assembled image: every file of its OCI layout, plus the figures `package` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Config, layers and manifest, in that order.
    pub blobs: Vec<Blob>,
    pub index_json: Vec<u8>,
    pub oci_layout: Vec<u8>,
    /// The manifest's digest: what a registry serves the image under.
    pub manifest_digest: String,
    pub architecture: String,
    pub layer_count: usize,
    /// What a pull transfers: manifest, config and the gzipped layers.
    pub compressed_size: u64,
    /// The layers' tar streams before gzip.
    pub uncompressed_size: u64,
}

pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// The OCI architecture of a Rust target triple.
pub fn oci_architecture(rust_target: &str) -> Result<&'static str, ImageError> {
    match rust_target.split('-').next() {
        Some("x86_64") => Ok("amd64"),
        Some("aarch64") => Ok("arm64"),
        _ => Err(ImageError::UnknownTarget(rust_target.to_string())),
    }
}

fn check_path(path: &str) -> Result<(), ImageError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(ImageError::BadPath(path.to_string()))
    } else {
        Ok(())
    }
}

/// The uncompressed tar stream of a layer: entries sorted by path (a directory before its
/// contents), every header field stated.
pub fn layer_tar(entries: &[Entry]) -> Result<Vec<u8>, ImageError> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for pair in sorted.windows(2) {
        if pair[0].path == pair[1].path {
            return Err(ImageError::Duplicate(pair[0].path.clone()));
        }
    }
    let tar_error = |e: std::io::Error| ImageError::Tar(e.to_string());
    let mut builder = tar::Builder::new(Vec::new());
    for entry in sorted {
        check_path(&entry.path)?;
        let mut header = tar::Header::new_ustar();
        header.set_mtime(0);
        header.set_uid(entry.uid);
        header.set_gid(entry.gid);
        header.set_mode(entry.mode);
        match &entry.kind {
            EntryKind::Directory => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                builder
                    .append_data(&mut header, format!("{}/", entry.path), std::io::empty())
                    .map_err(tar_error)?;
            }
            EntryKind::File(contents) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(contents.len() as u64);
                builder
                    .append_data(&mut header, &entry.path, contents.as_slice())
                    .map_err(tar_error)?;
            }
        }
    }
    builder.into_inner().map_err(tar_error)
}

/// gzip at the best level, with a header carrying no file name, no mtime and a fixed OS byte.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.try_finish())
        .expect("gzip into memory cannot fail");
    encoder.finish().expect("gzip into memory cannot fail")
}

fn descriptor(media_type: &str, blob: &Blob) -> Value {
    json!({"mediaType": media_type, "digest": blob.digest, "size": blob.bytes.len()})
}

/// Assembles the image's blobs, manifest and `index.json`, which names it `ref_name`.
pub fn assemble(
    runtime: &RuntimeConfig,
    layers: &[Layer],
    ref_name: &str,
) -> Result<Image, ImageError> {
    let mut diff_ids = Vec::new();
    let mut layer_blobs = Vec::new();
    let mut uncompressed_size = 0;
    for layer in layers {
        let tar = layer_tar(&layer.entries)?;
        uncompressed_size += tar.len() as u64;
        diff_ids.push(digest(&tar));
        layer_blobs.push(Blob::of(gzip(&tar)));
    }
    let ports: serde_json::Map<String, Value> = runtime
        .exposed_tcp_ports
        .iter()
        .map(|p| (format!("{p}/tcp"), json!({})))
        .collect();
    let config = json!({
        "architecture": runtime.architecture,
        "os": "linux",
        "config": {
            "User": runtime.user,
            "ExposedPorts": ports,
            "Env": runtime.env,
            "Entrypoint": runtime.entrypoint,
            "WorkingDir": "/",
            "Labels": runtime.labels,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|l| json!({"created_by": l.created_by})).collect::<Vec<_>>(),
    });
    let config = Blob::of(serde_json::to_vec(&config).expect("JSON values serialise"));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": descriptor(CONFIG_MEDIA_TYPE, &config),
        "layers": layer_blobs.iter().map(|b| descriptor(LAYER_MEDIA_TYPE, b)).collect::<Vec<_>>(),
    });
    let manifest = Blob::of(serde_json::to_vec(&manifest).expect("JSON values serialise"));
    let mut manifest_entry = descriptor(MANIFEST_MEDIA_TYPE, &manifest);
    manifest_entry["platform"] = json!({"architecture": runtime.architecture, "os": "linux"});
    manifest_entry["annotations"] = json!({ REF_NAME_ANNOTATION: ref_name });
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": [manifest_entry],
    });
    let compressed_size = (manifest.bytes.len()
        + config.bytes.len()
        + layer_blobs.iter().map(|b| b.bytes.len()).sum::<usize>())
        as u64;
    let manifest_digest = manifest.digest.clone();
    let mut blobs = vec![config];
    blobs.extend(layer_blobs);
    blobs.push(manifest);
    Ok(Image {
        blobs,
        index_json: serde_json::to_vec(&index).expect("JSON values serialise"),
        oci_layout: serde_json::to_vec(&json!({"imageLayoutVersion": OCI_LAYOUT_VERSION}))
            .expect("JSON values serialise"),
        manifest_digest,
        architecture: runtime.architecture.clone(),
        layer_count: layers.len(),
        compressed_size,
        uncompressed_size,
    })
}

/// The absolute paths of the shared objects in `ldd`'s report of a dynamically linked
/// binary, the loader included (`linux-vdso` is the kernel's and has no file).
pub fn parse_ldd(report: &str) -> Vec<String> {
    let mut paths = BTreeSet::new();
    for line in report.lines() {
        let line = line.trim();
        let path = match line.split_once("=>") {
            Some((_, target)) => target.trim(),
            None => line,
        };
        let path = path.split(" (").next().unwrap_or("").trim();
        if path.starts_with('/') {
            paths.insert(path.to_string());
        }
    }
    paths.into_iter().collect()
}

/// The host files the consumer image carries besides its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFiles {
    /// The shared objects `ldd` names, by the absolute path the binary loads them from.
    pub libraries: Vec<(String, Vec<u8>)>,
    pub ca_bundle: Vec<u8>,
}

/// The consumer image's two layers: the runtime (shared libraries, CA bundle, the user and
/// group entries, an empty `/tmp` for the pod's emptyDir mount), which changes only when the
/// build host's libraries do, and the binary. No shell and nothing writable: every entry is
/// root-owned; `/tmp` is the only world-writable directory, and the pod mounts over it.
/// `/proc`, `/dev` and `/sys` are empty mount points.
pub fn consumer_layers(binary: Vec<u8>, runtime: &RuntimeFiles) -> Result<Vec<Layer>, ImageError> {
    let uid = platform_contract::CONSUMER_UID;
    let mut files = vec![
        Entry::file(
            "etc/passwd",
            0o644,
            format!(
                "root:x:0:0:root:/root:/sbin/nologin\ncdc-consumer:x:{uid}:{uid}:cdc-consumer:/nonexistent:/sbin/nologin\n"
            ),
        ),
        Entry::file(
            "etc/group",
            0o644,
            format!("root:x:0:\ncdc-consumer:x:{uid}:\n"),
        ),
        // glibc's default without this file asks DNS before /etc/hosts.
        Entry::file("etc/nsswitch.conf", 0o644, "hosts: files dns\n"),
        Entry::file(CA_BUNDLE, 0o644, runtime.ca_bundle.clone()),
        Entry::dir("tmp", 0o1777),
        // Mount points: runtimes mount over them, and cannot create them in a read-only root.
        Entry::dir("proc", 0o555),
        Entry::dir("dev", 0o755),
        Entry::dir("sys", 0o555),
    ];
    for (path, contents) in &runtime.libraries {
        let relative = path.trim_start_matches('/');
        check_path(relative)?;
        files.push(Entry::file(relative, 0o755, contents.clone()));
    }
    let app = vec![Entry::file(CONSUMER_BINARY, 0o755, binary)];
    Ok(vec![
        Layer::with_parents(
            "infra-gen package: shared libraries, CA certificates, user 1001",
            files,
        ),
        Layer::with_parents("infra-gen package: cdc-consumer", app),
    ])
}

/// The consumer's runtime settings: UID 1001, its binary as the entrypoint (no shell), the
/// probe and metrics port exposed.
pub fn consumer_config(architecture: &str, tag: &str) -> RuntimeConfig {
    RuntimeConfig {
        architecture: architecture.to_string(),
        user: platform_contract::CONSUMER_UID.to_string(),
        entrypoint: vec![format!("/{CONSUMER_BINARY}")],
        env: vec![
            "PATH=/usr/local/bin".to_string(),
            format!("SSL_CERT_FILE=/{CA_BUNDLE}"),
        ],
        exposed_tcp_ports: vec![platform_contract::DEFAULT_METRICS_PORT],
        labels: BTreeMap::from([
            (
                "org.opencontainers.image.title".to_string(),
                "cdc-consumer".to_string(),
            ),
            (
                "org.opencontainers.image.version".to_string(),
                tag.to_string(),
            ),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> RuntimeFiles {
        RuntimeFiles {
            libraries: vec![
                ("/lib/x86_64-linux-gnu/libc.so.6".into(), b"libc".to_vec()),
                ("/lib64/ld-linux-x86-64.so.2".into(), b"ld".to_vec()),
            ],
            ca_bundle: b"certs".to_vec(),
        }
    }

    #[test]
    fn ldd_reports_give_the_files_to_copy() {
        let report = "\tlinux-vdso.so.1 (0x00007ffc)\n\
            \tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f)\n\
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
        assert_eq!(
            parse_ldd(report),
            [
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib/x86_64-linux-gnu/libz.so.1",
                "/lib64/ld-linux-x86-64.so.2"
            ]
        );
        assert!(parse_ldd("\tstatically linked\n").is_empty());
    }

    #[test]
    fn layers_list_parents_first_and_fix_every_header_field() {
        let layers = consumer_layers(b"bin".to_vec(), &runtime()).unwrap();
        let tar = layer_tar(&layers[0].entries).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            seen.push((
                entry.path().unwrap().to_string_lossy().into_owned(),
                header.mode().unwrap(),
            ));
        }
        let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        for (path, _) in &seen {
            if let Some((parent, _)) = path.trim_end_matches('/').rsplit_once('/') {
                assert!(paths.contains(&format!("{parent}/").as_str()), "{path}");
            }
        }
        assert!(seen.contains(&("tmp/".to_string(), 0o1777)));
        assert!(seen.contains(&("etc/passwd".to_string(), 0o644)));
        assert!(!paths.iter().any(|p| p.ends_with("sh")), "{paths:?}");
    }

    #[test]
    fn gzip_headers_carry_no_name_or_time() {
        let gz = gzip(b"layer");
        assert_eq!(
            &gz[..4],
            &[0x1f, 0x8b, 8, 0],
            "no FNAME/FCOMMENT/FEXTRA flag"
        );
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime 0");
    }

    #[test]
    fn the_config_names_user_entrypoint_and_port() {
        let layers = consumer_layers(b"bin".to_vec(), &runtime()).unwrap();
        let image = assemble(&consumer_config("amd64", "sha-1"), &layers, "sha-1").unwrap();
        let config: Value = serde_json::from_slice(&image.blobs[0].bytes).unwrap();
        assert_eq!(config["config"]["User"], "1001");
        assert_eq!(
            config["config"]["Entrypoint"],
            json!(["/usr/local/bin/cdc-consumer"])
        );
        assert_eq!(config["config"]["ExposedPorts"], json!({"9090/tcp": {}}));
        assert_eq!(config["architecture"], "amd64");
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        let index: Value = serde_json::from_slice(&image.index_json).unwrap();
        assert_eq!(
            index["manifests"][0]["annotations"][REF_NAME_ANNOTATION],
            "sha-1"
        );
        assert_eq!(index["manifests"][0]["digest"], image.manifest_digest);
        assert_eq!(image.blobs.last().unwrap().digest, image.manifest_digest);
    }

    #[test]
    fn bad_paths_and_duplicates_are_refused() {
        for bad in ["/etc/passwd", "etc/../passwd", "etc//passwd", ""] {
            assert_eq!(
                layer_tar(&[Entry::file(bad, 0o644, "x")]),
                Err(ImageError::BadPath(bad.to_string()))
            );
        }
        assert_eq!(
            layer_tar(&[Entry::file("a", 0o644, "x"), Entry::file("a", 0o644, "y")]),
            Err(ImageError::Duplicate("a".into()))
        );
        assert_eq!(
            oci_architecture("riscv64gc-unknown-linux-gnu"),
            Err(ImageError::UnknownTarget(
                "riscv64gc-unknown-linux-gnu".into()
            ))
        );
        assert_eq!(oci_architecture("x86_64-unknown-linux-gnu"), Ok("amd64"));
    }
}
