//! Kustomize: the consumer's base (Deployment, ServiceAccount, Service, HPA, PDB,
//! NetworkPolicy) and one overlay per environment and region that sets the namespace, the
//! image, the configuration contract (a ConfigMap whose hash-suffixed name rolls the pods on
//! change), the IRSA role, replicas and resources.
//!
//! The pod meets the Pod Security Standard "restricted": non-root UID, read-only root
//! filesystem, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault.

use platform_contract as contract;
use serde_json::{Value as Json, json};

use super::observability;
use crate::construct::App;
use crate::output::FileSet;
use crate::platform::{CONSUMER_SERVICE_ACCOUNT, Names, consumer_environment};
use crate::spec::Environment;

const APP: &str = "cdc-consumer";
const CONFIG_MAP: &str = "cdc-consumer-config";
/// The image name the base uses; overlays point it at the environment's registry.
const BASE_IMAGE: &str = "cdc-consumer";
const BASE: &str = "kustomize/base/";
/// The directory, inside each overlay, of its Prometheus Operator component.
const OPERATOR_COMPONENT: &str = "prometheus-operator";

pub fn overlay_dir(env: &str, region: &str) -> String {
    format!("kustomize/overlays/{env}-{region}/")
}

pub fn render(_app: &App, environments: &[Environment], image_tag: &str, files: &mut FileSet) {
    files.own(BASE);
    // The base is deployable as it stands, and scanners read its files one by one: every
    // manifest has a namespace (the first environment's in promotion order; each overlay sets
    // its own) and the image a tag (each overlay sets the registry).
    let namespace = crate::render::delivery::promotion_order(environments)
        .first()
        .map(|env| env.spec().consumer.namespace.clone())
        .unwrap_or_else(|| "default".into());
    let mut base = base(image_tag);
    for (_, doc) in &mut base {
        doc["metadata"]["namespace"] = namespace.clone().into();
    }
    for (name, doc) in &base {
        files.add(format!("{BASE}{name}"), yaml(doc));
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "labels": [{ "pairs": service_labels(), "includeSelectors": true }],
        "resources": base.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
    });
    files.add(format!("{BASE}kustomization.yaml"), yaml(&kustomization));
    for env in environments {
        for rs in &env.regions {
            let dir = overlay_dir(&rs.env, &rs.region);
            files.own(dir.clone());
            let spec = &rs.spec;
            let names = Names::new(rs);
            let consumer = &spec.consumer;
            let literals: Vec<String> = consumer_environment(rs)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let mut kustomization = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": consumer.namespace,
                "resources": ["../../base"],
                "labels": [{ "pairs": { "app.kubernetes.io/instance": format!("{}-{}", rs.env, rs.region), "infra-gen/environment": rs.env, "infra-gen/region": rs.region }, "includeSelectors": false }],
                "images": [{
                    "name": BASE_IMAGE,
                    "newName": names.consumer_image(&consumer.image_repository, image_tag).rsplit_once(':').map(|(n, _)| n.to_string()).unwrap_or_default(),
                    "newTag": image_tag,
                }],
                "configMapGenerator": [{ "name": CONFIG_MAP, "literals": literals }],
            });
            // Clusters running the Prometheus Operator take the monitor and rules as a
            // component; the others scrape with observability/<env>/prometheus/.
            if env.spec().observability.prometheus_operator {
                kustomization["components"] = json!([OPERATOR_COMPONENT]);
            }
            for (name, doc) in observability::operator(env, &rs.region, &service_labels()) {
                files.add(format!("{dir}{OPERATOR_COMPONENT}/{name}"), yaml(&doc));
            }
            let patch = [
                json!({
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": { "name": CONSUMER_SERVICE_ACCOUNT, "annotations": { "eks.amazonaws.com/role-arn": names.role_arn(names.consumer_role()) } },
                }),
                json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": { "name": APP },
                    "spec": {
                        "replicas": consumer.replicas.min,
                        "template": { "spec": { "containers": [{
                            "name": APP,
                            "resources": {
                                "requests": { "cpu": consumer.resources.requests.cpu, "memory": consumer.resources.requests.memory },
                                "limits": { "cpu": consumer.resources.limits.cpu, "memory": consumer.resources.limits.memory },
                            },
                        }]}},
                    },
                }),
                json!({
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": { "name": APP },
                    "spec": {
                        "minReplicas": consumer.replicas.min,
                        "maxReplicas": consumer.replicas.max,
                        "metrics": [cpu_metric(consumer.target_cpu_utilization)],
                    },
                }),
            ];
            // Inline, each aimed at its target: a patch file of partial manifests is what
            // `checkov -d` (and any other manifest scanner) reads as whole, broken manifests.
            // The rendered overlay, patches applied, is what gets checked and applied.
            kustomization["patches"] = patch
                .iter()
                .map(|doc| {
                    json!({
                        "target": { "kind": doc["kind"], "name": doc["metadata"]["name"] },
                        "patch": yaml(doc),
                    })
                })
                .collect();
            files.add(format!("{dir}kustomization.yaml"), yaml(&kustomization));
        }
    }
}

/// The labels the base stamps on every resource, the Service's included.
fn service_labels() -> Json {
    json!({ "app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "infra-gen" })
}

fn cpu_metric(utilization: u32) -> Json {
    json!({ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": utilization } } })
}

/// The base manifests, by file name.
fn base(image_tag: &str) -> Vec<(&'static str, Json)> {
    let port = contract::DEFAULT_METRICS_PORT;
    let uid = contract::CONSUMER_UID;
    let selector = json!({ "app.kubernetes.io/name": APP });
    let probe = |path: &str, period: u32| json!({ "httpGet": { "path": path, "port": "metrics" }, "periodSeconds": period, "timeoutSeconds": 2, "failureThreshold": 3 });
    vec![
        (
            "serviceaccount.yaml",
            json!({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": { "name": CONSUMER_SERVICE_ACCOUNT },
                "automountServiceAccountToken": false,
            }),
        ),
        (
            "deployment.yaml",
            json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": APP,
                    "annotations": {
                        "checkov.io/skip1": "CKV_K8S_43=The image tag is derived from the consumer's source hash and the ECR repository is tag-immutable, so a tag names exactly one image",
                        "checkov.io/skip2": format!("CKV_K8S_40=UID {uid} is the consumer image's own non-root user; the Pod Security Standard restricted profile is met without a UID above 10000"),
                    },
                },
                "spec": {
                    "replicas": 2,
                    "revisionHistoryLimit": 5,
                    "selector": { "matchLabels": selector },
                    "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } },
                    "template": {
                        "metadata": {
                            "labels": selector,
                            "annotations": { "prometheus.io/scrape": "true", "prometheus.io/port": port.to_string(), "prometheus.io/path": contract::METRICS_PATH },
                        },
                        "spec": {
                            "serviceAccountName": CONSUMER_SERVICE_ACCOUNT,
                            "automountServiceAccountToken": false,
                            // The image is built for one architecture (see the contract).
                            "nodeSelector": { "kubernetes.io/arch": contract::CONSUMER_IMAGE_ARCHITECTURE },
                            // The consumer drains and commits within 30 s of SIGTERM.
                            "terminationGracePeriodSeconds": 45,
                            "securityContext": {
                                "runAsNonRoot": true,
                                "runAsUser": uid,
                                "runAsGroup": uid,
                                "fsGroup": uid,
                                "seccompProfile": { "type": "RuntimeDefault" },
                            },
                            "containers": [{
                                "name": APP,
                                "image": format!("{BASE_IMAGE}:{image_tag}"),
                                "imagePullPolicy": "Always",
                                "ports": [{ "name": "metrics", "containerPort": port, "protocol": "TCP" }],
                                "envFrom": [{ "configMapRef": { "name": CONFIG_MAP } }],
                                // Static group membership: a restarted pod rejoins as itself,
                                // without a rebalance of the whole group.
                                "env": [{
                                    "name": contract::KAFKA_GROUP_INSTANCE_ID,
                                    "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } },
                                }],
                                "livenessProbe": probe(contract::HEALTH_PATH, 10),
                                "readinessProbe": probe(contract::READY_PATH, 5),
                                "resources": {
                                    "requests": { "cpu": "250m", "memory": "64Mi" },
                                    "limits": { "cpu": "1", "memory": "128Mi" },
                                },
                                "securityContext": {
                                    "allowPrivilegeEscalation": false,
                                    "readOnlyRootFilesystem": true,
                                    "runAsNonRoot": true,
                                    "runAsUser": uid,
                                    "capabilities": { "drop": ["ALL"] },
                                    "seccompProfile": { "type": "RuntimeDefault" },
                                },
                                "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
                            }],
                            "volumes": [{ "name": "tmp", "emptyDir": { "sizeLimit": "64Mi" } }],
                        },
                    },
                },
            }),
        ),
        (
            "service.yaml",
            json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": { "name": APP },
                "spec": { "type": "ClusterIP", "selector": selector, "ports": [{ "name": "metrics", "port": port, "targetPort": "metrics", "protocol": "TCP" }] },
            }),
        ),
        (
            "hpa.yaml",
            json!({
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": { "name": APP },
                "spec": {
                    "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": APP },
                    "minReplicas": 2,
                    "maxReplicas": 6,
                    "metrics": [cpu_metric(70)],
                },
            }),
        ),
        (
            "pdb.yaml",
            json!({
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": { "name": APP },
                "spec": { "maxUnavailable": 1, "selector": { "matchLabels": selector } },
            }),
        ),
        (
            "networkpolicy.yaml",
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": { "name": APP },
                "spec": {
                    "podSelector": { "matchLabels": selector },
                    "policyTypes": ["Ingress", "Egress"],
                    // Only the metrics port is served; the kubelet's probes are not subject to it.
                    "ingress": [{ "ports": [{ "port": port, "protocol": "TCP" }] }],
                    "egress": [
                        { "ports": [{ "port": 53, "protocol": "UDP" }, { "port": 53, "protocol": "TCP" }] },
                        // Kafka (plaintext, TLS, SASL) and the AWS APIs over HTTPS.
                        { "ports": [{ "port": 9092, "protocol": "TCP" }, { "port": 9094, "protocol": "TCP" }, { "port": 9096, "protocol": "TCP" }, { "port": 443, "protocol": "TCP" }] },
                    ],
                },
            }),
        ),
    ]
}

fn yaml(doc: &Json) -> String {
    serde_saphyr::to_string(doc).expect("a JSON value always serialises to YAML")
}
