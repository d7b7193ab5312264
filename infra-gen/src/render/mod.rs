//! Renderers: pure functions from the construct tree (and, for Kustomize, the resolved specs)
//! to files. None of them reads the disk or the clock; each writes only under its own
//! top-level directory of `generated/`.
//!
//! Layout of `generated/`:
//! - `cloudformation/<env>-<region>/`: a CDK cloud assembly (`manifest.json`,
//!   `<stack>.template.json`, `<stack>.assets.json`).
//! - `terraform/<env>/<region>/`: a root module (`versions.tf`, `main.tf`, `variables.tf`,
//!   `outputs.tf`).
//! - `kustomize/base/`: the consumer's manifests; `kustomize/overlays/<env>-<region>/`: one
//!   overlay per environment and region (with its optional `prometheus-operator/` component).
//! - `observability/<env>/`: Grafana dashboards, Prometheus rules, their promtool tests and
//!   scrape configs (`observability/mod.rs`).

pub mod cloudformation;
pub mod delivery;
mod hcl;
pub mod kustomize;
pub mod observability;
pub mod terraform;

use crate::assets::SourceHashes;
use crate::construct::{App, ResourceKind, Stack};
use crate::output::FileSet;
use crate::spec::Environment;

/// An output format of `infra-gen synth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    Cloudformation,
    Terraform,
    Kustomize,
    /// Grafana dashboards and Prometheus rules (`observability/`).
    Observability,
    /// `.github/workflows/` at the repository root.
    GithubActions,
    /// `.octopus/` at the repository root.
    Octopus,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Cloudformation,
        Format::Terraform,
        Format::Kustomize,
        Format::Observability,
        Format::GithubActions,
        Format::Octopus,
    ];
}

/// Renders the selected formats of every stack in `app` that live under `generated/`. `environments` must be the specs the
/// app was built from.
pub fn render(
    app: &App,
    environments: &[Environment],
    formats: &[Format],
    assets: &SourceHashes,
) -> FileSet {
    let image_tag = assets.consumer_image_tag();
    let per_stack: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| matches!(f, Format::Cloudformation | Format::Terraform))
        .collect();
    // Stacks render independently, so they are spread over the machine's cores; the FileSet
    // is ordered by path, so the result does not depend on which thread wrote what.
    let stacks: Vec<&Stack> = app.stacks().collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = stacks.len().div_ceil(workers).max(1);
    let parts: Vec<FileSet> = std::thread::scope(|scope| {
        let handles: Vec<_> = stacks
            .chunks(chunk)
            .map(|group| {
                let per_stack = &per_stack;
                scope.spawn(move || {
                    let mut files = FileSet::default();
                    for stack in group {
                        for format in per_stack {
                            match format {
                                Format::Cloudformation => cloudformation::render(stack, &mut files),
                                _ => terraform::render(stack, &mut files),
                            }
                        }
                    }
                    files
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a renderer panicked"))
            .collect()
    });
    let mut files = FileSet::default();
    for part in parts {
        files.extend(part);
    }
    if formats.contains(&Format::Kustomize) {
        kustomize::render(app, environments, &image_tag, &mut files);
    }
    if formats.contains(&Format::Observability) {
        observability::render(environments, &mut files);
    }
    files
}

/// Renders the selected formats that live at the repository root (delivery files).
pub fn render_repository(environments: &[Environment], formats: &[Format]) -> FileSet {
    let mut files = FileSet::default();
    for format in formats {
        match format {
            Format::GithubActions => delivery::render_github(environments, &mut files),
            Format::Octopus => delivery::render_octopus(environments, &mut files),
            Format::Cloudformation
            | Format::Terraform
            | Format::Kustomize
            | Format::Observability => {}
        }
    }
    files
}

/// Pretty JSON with a final newline: stable bytes for stable input.
pub fn to_pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// Checkov checks that do not apply to a resource, each with the reason. The CloudFormation
/// and Terraform renderers write them next to the resource, so a reviewer sees why.
pub fn checkov_skips(kind: &ResourceKind) -> Vec<(&'static str, &'static str)> {
    match kind {
        ResourceKind::Function(f) => {
            let mut skips = vec![
                (
                    "CKV_AWS_117",
                    "The functions call only regional AWS APIs and the peer region's bus; there is nothing in a VPC to reach, and a VPC would add NAT cost and cold-start latency without reducing exposure",
                ),
                (
                    "CKV_AWS_272",
                    "Code is content-addressed: the S3 key is the sha256 of the sources, lockfile and build settings, and infra-gen package verifies it; AWS Signer signing is a tracked follow-up",
                ),
            ];
            if f.dead_letter_queue.is_none() {
                skips.push((
                    "CKV_AWS_116",
                    "Invoked synchronously (API Gateway, or the DynamoDB stream mapping whose failures go to its on-failure queue); a function DLQ only receives failed asynchronous invocations",
                ));
            }
            skips
        }
        ResourceKind::LogGroup(l) if l.retention_days < 365 => vec![(
            "CKV_AWS_338",
            "Retention is set per environment in the spec; non-production environments keep logs for less than a year by design",
        )],
        ResourceKind::Secret(_) => vec![(
            "CKV2_AWS_57",
            "The JWT signing key is rotated by the key-rotation runbook (the authorizer must accept old and new keys during a rotation); no rotation Lambda is deployed",
        )],
        ResourceKind::ApiMethod(m) if m.authorizer.is_some() => vec![(
            "CKV2_AWS_53",
            "GET /health takes no body or parameters; the TOKEN authorizer validates the only input, the Authorization header",
        )],
        ResourceKind::ApiMethod(_) => vec![
            (
                "CKV_AWS_59",
                "GET /live is the Route 53 health check's target, and Route 53 cannot send credentials; it answers only the region's status word, caches nothing and has its own low throttle",
            ),
            (
                "CKV2_AWS_53",
                "GET /live reads no body, header or parameter: there is no input to validate",
            ),
        ],
        ResourceKind::ApiStage(s) => vec![
            (
                "CKV_AWS_120",
                "GET /health must report live status, so responses are not cached; the authorizer's result cache covers the expensive path",
            ),
            (
                "CKV_AWS_225",
                "Caching is off (see CKV_AWS_120), so there is no cache to encrypt",
            ),
            (
                "CKV2_AWS_51",
                "Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda proxy",
            ),
            (
                "CKV2_AWS_29",
                if s.method_throttles.is_empty() {
                    "The API serves one read-only, authorized, throttled endpoint; a WebACL is an account-level decision outside this stack"
                } else {
                    "The API serves read-only, throttled endpoints: GET /health authorized, GET /live open with its own low throttle and a status word as its only output; a WebACL is an account-level decision outside this stack"
                },
            ),
        ],
        _ => Vec::new(),
    }
}
