//! Delivery files, generated from the same specs as the infrastructure so that adding an
//! environment adds its stage everywhere: the GitHub Actions CI and promotion workflows
//! (`.github/workflows/`) and the Octopus Deploy config-as-code (`.octopus/`). They live at the
//! repository root, where GitHub and Octopus look for them, not under `generated/`.
//!
//! Text templates (`infra-gen/templates/*.hbs`) fit these files: they are mostly fixed text
//! with a loop over stages and regions, and YAML comments (the pinned actions' versions) must
//! survive.

use std::sync::LazyLock;

use handlebars::Handlebars;
use serde::Serialize;

use crate::output::FileSet;
use crate::platform::Names;
use crate::spec::Environment;

/// Third-party actions, pinned to full commit SHAs; the comment names the release.
const ACTIONS: Actions = Actions {
    checkout: "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
    upload_artifact: "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2",
    download_artifact: "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0",
    configure_aws_credentials: "aws-actions/configure-aws-credentials@ececac1a45f3b08a01d2dd070d28d111c5fe6722 # v4.1.0",
};
/// The CDK CLI the deploy jobs run (the version the reference app was verified with).
const CDK_CLI_VERSION: &str = "2.1148.1";
/// Release versions are `<prefix>.<run number>`.
const VERSION_PREFIX: &str = "0.1";

pub const CI_WORKFLOW: &str = ".github/workflows/ci.yml";
pub const PROMOTE_WORKFLOW: &str = ".github/workflows/promote.yml";
pub const OCTOPUS_DIR: &str = ".octopus/";

#[derive(Serialize)]
struct Actions {
    checkout: &'static str,
    upload_artifact: &'static str,
    download_artifact: &'static str,
    configure_aws_credentials: &'static str,
}

#[derive(Serialize)]
struct Stage {
    name: String,
    needs: String,
    /// What this stage's Octopus record waits for: the release, or the previous stage's record
    /// (Octopus's lifecycle takes the stages in order).
    record_needs: String,
    /// The spec's `delivery.requires_approval`: the job's GitHub environment is the gate.
    requires_approval: bool,
    role_arn: String,
    namespace: String,
    regions: Vec<StageRegion>,
}

#[derive(Serialize)]
struct StageRegion {
    region: String,
    cluster: String,
    /// Where the stage publishes the consumer image and its overlay pulls it from.
    registry: String,
    repository: String,
}

#[derive(Serialize)]
struct Context {
    actions: &'static Actions,
    cdk_cli_version: &'static str,
    version_prefix: &'static str,
    stages: Vec<Stage>,
    stage_list: String,
    /// Regions in the order the first environment lists them (all environments share the pair).
    regions: Vec<StageRegion>,
}

/// Environments in promotion order (`delivery.order`, then name).
pub fn promotion_order(environments: &[Environment]) -> Vec<&Environment> {
    let mut ordered: Vec<&Environment> = environments.iter().collect();
    ordered.sort_by_key(|e| (e.spec().delivery.order, e.name.clone()));
    ordered
}

fn context(environments: &[Environment]) -> Context {
    let ordered = promotion_order(environments);
    let mut previous = "build".to_string();
    let mut previous_record = "octopus-release".to_string();
    let stages: Vec<Stage> = ordered
        .iter()
        .map(|env| {
            let spec = env.spec();
            let stage = Stage {
                name: env.name.clone(),
                needs: previous.clone(),
                record_needs: previous_record.clone(),
                requires_approval: spec.delivery.requires_approval,
                role_arn: format!(
                    "arn:aws:iam::{}:role/{}",
                    spec.account, spec.delivery.deploy_role_name
                ),
                namespace: spec.consumer.namespace.clone(),
                regions: env
                    .regions
                    .iter()
                    .map(|r| {
                        let names = Names::new(r);
                        StageRegion {
                            region: r.region.clone(),
                            cluster: r.spec.consumer.eks_cluster_name.clone(),
                            registry: names.registry(),
                            repository: names
                                .consumer_repository(&r.spec.consumer.image_repository),
                        }
                    })
                    .collect(),
            };
            previous = format!("deploy-{}", env.name);
            previous_record = format!("record-{}", env.name);
            stage
        })
        .collect();
    let regions = ordered
        .first()
        .map(|env| {
            env.regions
                .iter()
                .map(|r| StageRegion {
                    region: r.region.clone(),
                    cluster: String::new(),
                    registry: String::new(),
                    repository: String::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    Context {
        actions: &ACTIONS,
        cdk_cli_version: CDK_CLI_VERSION,
        version_prefix: VERSION_PREFIX,
        stage_list: stages
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        stages,
        regions,
    }
}

/// The templates, parsed once per process.
static TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // The outputs are YAML and HCL, not HTML.
    hb.register_escape_fn(handlebars::no_escape);
    for (name, text) in [
        ("ci", include_str!("../../templates/ci.yml.hbs")),
        ("promote", include_str!("../../templates/promote.yml.hbs")),
        (
            "deployment_process",
            include_str!("../../templates/deployment_process.ocl.hbs"),
        ),
        (
            "deployment_settings",
            include_str!("../../templates/deployment_settings.ocl.hbs"),
        ),
    ] {
        hb.register_template_string(name, text)
            .expect("the built-in templates parse");
    }
    hb
});

/// The GitHub Actions workflows.
pub fn render_github(environments: &[Environment], files: &mut FileSet) {
    let hb = &*TEMPLATES;
    let ctx = context(environments);
    for (template, path) in [("ci", CI_WORKFLOW), ("promote", PROMOTE_WORKFLOW)] {
        files.own(path);
        files.add(
            path,
            hb.render(template, &ctx)
                .expect("the built-in templates render"),
        );
    }
}

/// The Octopus Deploy config-as-code.
pub fn render_octopus(environments: &[Environment], files: &mut FileSet) {
    let hb = &*TEMPLATES;
    let ctx = context(environments);
    files.own(OCTOPUS_DIR);
    for name in ["deployment_process", "deployment_settings"] {
        files.add(
            format!("{OCTOPUS_DIR}{name}.ocl"),
            hb.render(name, &ctx)
                .expect("the built-in templates render"),
        );
    }
}

/// The Octopus package id of an environment's infrastructure bundle in one region.
pub fn infra_package_id(names: &Names) -> String {
    format!("infra-gen.infra.{}.{}", names.env, names.region)
}
