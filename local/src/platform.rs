//! Bringing both regions of an environment up, and down again.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api_front::{self, Front};
use crate::aws_api::{self, SignedClient};
use crate::deploy::{self, DeployedRegion};
use crate::functions::{self, Function};
use crate::gateway::{self, DownRegions, Gateway};
use crate::services::{self, Process};
use crate::token::{self, TokenRequest};
use infra_gen::spec::RegionalSpec;

/// How to bring the platform up.
#[derive(Debug, Clone)]
pub struct Options {
    /// The environment (`dev`, ...).
    pub env: String,
    /// A spec directory to synthesise (to a temporary directory) instead of deploying the
    /// committed `generated/` of the repository's `environments/`.
    pub environments: Option<PathBuf>,
    /// The repository root (scripts, `generated/`, `environments/`).
    pub repo_root: PathBuf,
    /// Where moto_server, tansu and python-aws are.
    pub tools_bin: PathBuf,
    /// Where the host-built functions and consumer are.
    pub bin_dir: PathBuf,
}

impl Options {
    /// Defaults for `env`: this checkout, the installed test tools, the Cargo target directory.
    pub fn new(env: &str) -> Self {
        Self {
            env: env.to_string(),
            environments: None,
            repo_root: Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            tools_bin: services::default_tools_bin(),
            bin_dir: functions::default_bin_dir(),
        }
    }
}

/// Where everything is, for printing and for tests.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Endpoints {
    pub env: String,
    pub account: String,
    /// The AWS endpoint every process uses (the gateway in front of the emulator); point the
    /// AWS CLI or an SDK here (`AWS_ENDPOINT_URL`), any credentials.
    pub aws: String,
    /// The emulator itself (moto's dashboard is at `/moto-api/`).
    pub emulator: String,
    /// The temporary directory: logs, broker data; removed on stop.
    pub temp_dir: PathBuf,
    pub regions: Vec<RegionEndpoints>,
}

/// One region's endpoints and resource names.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RegionEndpoints {
    pub region: String,
    pub peer_region: String,
    /// The REST API's stage URL, e.g. `http://127.0.0.1:PORT/dev` (`GET {api}/health`).
    pub api: String,
    pub kafka_bootstrap: String,
    pub bus_name: String,
    pub bus_arn: String,
    pub events_table: String,
    pub idempotency_table: String,
    pub cdc_table: String,
    pub events_dlq_url: String,
    pub stream_failures_dlq_url: String,
    pub cdc_dlq_url: String,
    /// The consumer's `/health`, `/ready` and `/metrics`.
    pub consumer_metrics: String,
    pub jwt_secret_arn: String,
    /// The issuer and audience the authorizer requires.
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// The consumer's topics, as the spec sets them.
    pub cdc_topics: Vec<CdcTopic>,
    /// Whether the consumer publishes a CDC event per applied change (`consumer.publish_cdc_events`).
    pub publish_cdc_events: bool,
    /// The function logs, one file per function.
    pub logs: PathBuf,
}

/// A topic the consumer reads and the table its rows belong to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CdcTopic {
    pub topic: String,
    pub table: String,
    pub key_columns: Vec<String>,
}

struct ConsumerSpec {
    program: PathBuf,
    environment: Vec<(String, String)>,
    log: PathBuf,
}

struct RegionRuntime {
    region: String,
    functions: BTreeMap<String, Arc<Function>>,
    up: watch::Sender<bool>,
    front: Arc<Front>,
    api_address: SocketAddr,
    server: Mutex<Option<JoinHandle<()>>>,
    consumer_spec: ConsumerSpec,
    consumer: Mutex<Option<Process>>,
    spec: RegionalSpec,
}

/// The running platform. Dropping it stops every process and removes the temporary
/// directory; [`Platform::shutdown`] does the same and waits for the tasks.
pub struct Platform {
    endpoints: Endpoints,
    regions: Vec<RegionRuntime>,
    down: DownRegions,
    tasks: Vec<JoinHandle<()>>,
    jwt_secret: String,
    // Declared last: dropped after the processes that use them.
    brokers: Vec<Process>,
    emulator: Option<Process>,
    temp: Option<tempfile::TempDir>,
}

async fn listen(port: u16) -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind(("127.0.0.1", port)).await?)
}

fn serve(listener: TcpListener, router: axum::Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    })
}

/// The environment's regional specs from `dir`.
fn load_env(dir: &Path, env: &str) -> anyhow::Result<infra_gen::spec::Environment> {
    let envs = infra_gen::spec::load_dir(dir)
        .with_context(|| format!("loading the specs in {}", dir.display()))?;
    let known: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    envs.into_iter().find(|e| e.name == env).with_context(|| {
        format!(
            "no environment `{env}` in {} (known: {})",
            dir.display(),
            known.join(", ")
        )
    })
}

/// Synthesises the CloudFormation assemblies of `environment` into `out` (infra-gen's
/// library, as `infra-gen synth --format cloudformation` does).
fn synth(
    repo_root: &Path,
    environment: &infra_gen::spec::Environment,
    out: &Path,
) -> anyhow::Result<()> {
    let envs = std::slice::from_ref(environment);
    let hashes = infra_gen::assets::source_hashes(repo_root)?;
    let app = infra_gen::platform::build_app(envs, &hashes)?;
    let files = infra_gen::render::render(
        &app,
        envs,
        &[infra_gen::render::Format::Cloudformation],
        &hashes,
    );
    infra_gen::output::write(out, &files)?;
    Ok(())
}

impl Platform {
    /// Brings both regions of `options.env` up; see the crate documentation.
    pub async fn start(options: Options) -> anyhow::Result<Platform> {
        let started = Instant::now();
        services::ensure_tools(&options.repo_root, &options.tools_bin)?;
        functions::check_binaries(&options.bin_dir)?;
        let specs_dir = options
            .environments
            .clone()
            .unwrap_or_else(|| options.repo_root.join("environments"));
        let environment = load_env(&specs_dir, &options.env)?;
        let account = environment
            .regions
            .first()
            .map(|r| r.spec.account.clone())
            .context("the environment has no region")?;

        let temp = tempfile::Builder::new()
            .prefix("local-platform-")
            .tempdir()
            .context("creating the temporary directory")?;
        let root = temp.path().to_path_buf();
        let logs = root.join("logs");
        let generated = match &options.environments {
            Some(_) => {
                let out = root.join("generated");
                synth(&options.repo_root, &environment, &out)?;
                out
            }
            None => options.repo_root.join("generated"),
        };

        let (emulator, emulator_port) =
            services::start_emulator(&options.tools_bin, &account, &logs).await?;
        let mut brokers = Vec::new();
        let mut bootstrap = BTreeMap::new();
        for rs in &environment.regions {
            let (broker, port) = services::start_broker(
                &options.tools_bin,
                &rs.region,
                &root.join(format!("kafka-{}", rs.region)),
                &logs,
            )
            .await?;
            brokers.push(broker);
            bootstrap.insert(rs.region.clone(), format!("127.0.0.1:{port}"));
        }
        // From here on, the processes die with `platform` if a step fails.
        let mut platform = Platform {
            endpoints: Endpoints {
                env: options.env.clone(),
                account: account.clone(),
                aws: String::new(),
                emulator: format!("http://127.0.0.1:{emulator_port}"),
                temp_dir: root.clone(),
                regions: Vec::new(),
            },
            regions: Vec::new(),
            down: DownRegions::default(),
            tasks: Vec::new(),
            jwt_secret: token::random_secret(64).context("reading /dev/urandom")?,
            brokers,
            emulator: Some(emulator),
            temp: Some(temp),
        };

        let gateway_listener = listen(0).await?;
        let aws = format!("http://{}", gateway_listener.local_addr()?);
        platform.endpoints.aws = aws.clone();
        platform.tasks.push(serve(
            gateway_listener,
            gateway::router(Arc::new(Gateway::new(
                platform.endpoints.emulator.clone(),
                Arc::clone(&platform.down),
            ))),
        ));

        // The stacks, through the cloud assemblies and the real CDK CLI (it wants
        // `localhost` for the emulator; deploy-emulator rewrites 127.0.0.1 itself).
        let assets = root.join("assets");
        deploy::placeholder_assets(
            &generated,
            &environment,
            &root.join("placeholders"),
            &assets,
        )?;
        let regions: Vec<String> = environment
            .regions
            .iter()
            .map(|r| r.region.clone())
            .collect();
        let assemblies = deploy::emulator_assemblies(
            &generated,
            &options.env,
            &regions,
            &root.join("assemblies"),
        )?;
        let request = deploy::DeployRequest {
            repo_root: options.repo_root.clone(),
            assemblies,
            assets,
            emulator: platform.endpoints.emulator.clone(),
            account: account.clone(),
            env: options.env.clone(),
            regions,
            log: logs.join("deploy.log"),
        };
        tokio::task::spawn_blocking(move || deploy::deploy_stacks(&request)).await??;

        // API front listeners first: each region's health-checker needs its peer's URL.
        let mut listeners = BTreeMap::new();
        for rs in &environment.regions {
            listeners.insert(rs.region.clone(), listen(0).await?);
        }

        let mut starting = tokio::task::JoinSet::new();
        for rs in &environment.regions {
            let client = SignedClient::new(&aws, &rs.region);
            let config = aws_api::sdk_config(&aws, &rs.region).await;
            let events = aws_sdk_eventbridge::Client::new(&config);
            let sqs = aws_sdk_sqs::Client::new(&config);
            let deployed = deploy::read_back(
                &client,
                &events,
                &sqs,
                &generated,
                &options.env,
                &account,
                &platform.jwt_secret,
            )
            .await
            .with_context(|| format!("reading back the {} deployment", rs.region))?;
            let peer_api = listeners[&rs.peer_region].local_addr()?;
            let region_logs = logs.join(&rs.region);
            let runtime = platform.prepare_region(
                &options,
                rs,
                &deployed,
                &aws,
                peer_api,
                listeners[&rs.region].local_addr()?,
                &bootstrap[&rs.region],
                &region_logs,
            )?;
            for function in runtime.functions.values() {
                let function = Arc::clone(function);
                starting.spawn(async move { function.start().await });
            }
            platform.spawn_triggers(&runtime, &deployed, sqs, client, &aws);
            platform.endpoints.regions.push(region_endpoints(
                rs,
                &deployed,
                &runtime,
                &bootstrap[&rs.region],
                &aws,
                &region_logs,
            ));
            platform.regions.push(runtime);
        }
        while let Some(result) = starting.join_next().await {
            result??;
        }
        for runtime in &platform.regions {
            let listener = listeners
                .remove(&runtime.region)
                .expect("one listener per region");
            *runtime.server.lock().expect("server lock") = Some(serve(
                listener,
                api_front::router(Arc::clone(&runtime.front)),
            ));
            create_topics(&runtime.spec, &bootstrap[&runtime.region]).await?;
            platform.start_consumer(runtime).await?;
        }
        tracing_free_log(&format!(
            "local-platform: {} up in {:.1} s",
            options.env,
            started.elapsed().as_secs_f64()
        ));
        Ok(platform)
    }

    #[allow(clippy::too_many_arguments)]
    fn prepare_region(
        &self,
        options: &Options,
        rs: &RegionalSpec,
        deployed: &DeployedRegion,
        aws: &str,
        peer_api: SocketAddr,
        own_api: SocketAddr,
        bootstrap: &str,
        logs: &Path,
    ) -> anyhow::Result<RegionRuntime> {
        let mut functions_by_name = BTreeMap::new();
        for function in deployed.functions.values() {
            let mut overrides: BTreeMap<String, String> =
                lambda_local::emulator_aws_env(aws, &rs.region)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
            overrides.insert("AWS_ACCESS_KEY_ID".into(), aws_api::ACCESS_KEY.into());
            overrides.insert("AWS_SECRET_ACCESS_KEY".into(), aws_api::SECRET_KEY.into());
            // The peer's API is its local front: same path, local address.
            if let Some(url) = function.environment.get(platform_contract::PEER_HEALTH_URL) {
                overrides.insert(
                    platform_contract::PEER_HEALTH_URL.to_string(),
                    local_url(url, peer_api),
                );
            }
            let prepared = functions::prepare(
                function,
                &options.bin_dir,
                &overrides,
                &logs.join(format!("{}.log", function.program)),
            )?;
            functions_by_name.insert(function.name.clone(), Arc::new(prepared));
        }
        let front = Arc::new(Front::new(
            &rs.region,
            &deployed.account,
            deployed.api.clone(),
            functions_by_name.clone(),
        ));
        let mut consumer_env: Vec<(String, String)> = infra_gen::platform::consumer_environment(rs)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let metrics_port = services::free_port()?;
        let replaced = [
            (
                platform_contract::KAFKA_BOOTSTRAP_SERVERS,
                bootstrap.to_string(),
            ),
            (platform_contract::METRICS_PORT, metrics_port.to_string()),
            ("METRICS_BIND_ADDRESS", "127.0.0.1".to_string()),
            // tansu answers a fetch only at its deadline (consumer/README.md).
            ("KAFKA_FETCH_WAIT_MAX_MS", "10".to_string()),
        ];
        for (name, value) in replaced {
            consumer_env.retain(|(k, _)| k != name);
            consumer_env.push((name.to_string(), value));
        }
        for (k, v) in lambda_local::emulator_aws_env(aws, &rs.region) {
            consumer_env.push((k.to_string(), v));
        }
        consumer_env.push(("AWS_ACCESS_KEY_ID".into(), aws_api::ACCESS_KEY.into()));
        consumer_env.push(("AWS_SECRET_ACCESS_KEY".into(), aws_api::SECRET_KEY.into()));
        let (up, _) = watch::channel(true);
        Ok(RegionRuntime {
            region: rs.region.clone(),
            functions: functions_by_name,
            up,
            front,
            api_address: own_api,
            server: Mutex::new(None),
            consumer_spec: ConsumerSpec {
                program: options.bin_dir.join("cdc-consumer"),
                environment: consumer_env,
                log: logs.join("cdc-consumer.log"),
            },
            consumer: Mutex::new(None),
            spec: rs.clone(),
        })
    }

    fn spawn_triggers(
        &mut self,
        runtime: &RegionRuntime,
        deployed: &DeployedRegion,
        sqs: aws_sdk_sqs::Client,
        streams: SignedClient,
        aws: &str,
    ) {
        for target in &deployed.rules {
            let Some(function) = runtime.functions.get(&target.function).cloned() else {
                continue;
            };
            if target.shadow_queue_url.is_some() {
                let dead_letter = target
                    .dead_letter_arn
                    .as_deref()
                    .and_then(|arn| deploy::queue_url_from_arn(aws, arn));
                self.tasks.push(tokio::spawn(crate::triggers::run_rule(
                    sqs.clone(),
                    target.clone(),
                    function,
                    dead_letter,
                    runtime.up.subscribe(),
                )));
            } else {
                self.tasks.push(tokio::spawn(crate::triggers::run_schedule(
                    target.clone(),
                    runtime.region.clone(),
                    deployed.account.clone(),
                    function,
                    runtime.up.subscribe(),
                )));
            }
        }
        if let Some(mapping) = &deployed.stream
            && let Some(function) = runtime.functions.get(&mapping.function).cloned()
        {
            let on_failure = mapping
                .on_failure_arn
                .as_deref()
                .and_then(|arn| deploy::queue_url_from_arn(aws, arn));
            self.tasks.push(tokio::spawn(crate::triggers::run_stream(
                streams,
                sqs,
                mapping.clone(),
                function,
                on_failure,
                runtime.up.subscribe(),
            )));
        }
    }

    async fn start_consumer(&self, runtime: &RegionRuntime) -> anyhow::Result<()> {
        let spec = &runtime.consumer_spec;
        let mut command = Command::new(&spec.program);
        command.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command.envs(spec.environment.iter().map(|(k, v)| (k, v)));
        let process = Process::spawn(
            &format!("cdc-consumer ({})", runtime.region),
            command,
            &spec.log,
        )?;
        *runtime.consumer.lock().expect("consumer lock") = Some(process);
        Ok(())
    }

    /// Where everything is.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// One region's endpoints.
    pub fn region(&self, region: &str) -> anyhow::Result<&RegionEndpoints> {
        self.endpoints
            .regions
            .iter()
            .find(|r| r.region == region)
            .with_context(|| format!("no region {region}"))
    }

    fn runtime(&self, region: &str) -> anyhow::Result<&RegionRuntime> {
        self.regions
            .iter()
            .find(|r| r.region == region)
            .with_context(|| format!("no region {region}"))
    }

    /// A token the deployed authorizers accept (both regions share the signing secret).
    pub fn token(&self, subject: &str) -> anyhow::Result<String> {
        let spec = &self.regions.first().context("no region")?.spec.spec;
        Ok(token::mint(
            &self.jwt_secret,
            &TokenRequest {
                issuer: spec.api.jwt_issuer.clone(),
                audience: spec.api.jwt_audience.clone(),
                subject: subject.to_string(),
                scope: "local".to_string(),
                lifetime_seconds: 3600,
            },
        )?)
    }

    /// Takes `region` down as a regional outage looks from outside: its functions stop (and
    /// its triggers pause), its API front stops accepting connections, its consumer stops, and
    /// its AWS endpoint answers 503 to every call signed for it (the peer's router too).
    pub async fn take_down(&self, region: &str) -> anyhow::Result<()> {
        let runtime = self.runtime(region)?;
        self.down
            .write()
            .map_err(|_| anyhow::anyhow!("down-regions lock poisoned"))?
            .insert(region.to_string());
        runtime.up.send_replace(false);
        let server = runtime.server.lock().expect("server lock").take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
        for function in runtime.functions.values() {
            function.stop();
        }
        runtime.consumer.lock().expect("consumer lock").take();
        Ok(())
    }

    /// Brings `region` back after [`Platform::take_down`]: same ports, same environment.
    pub async fn bring_up(&self, region: &str) -> anyhow::Result<()> {
        let runtime = self.runtime(region)?;
        self.down
            .write()
            .map_err(|_| anyhow::anyhow!("down-regions lock poisoned"))?
            .remove(region);
        for function in runtime.functions.values() {
            function.start().await?;
        }
        let listener = listen(runtime.api_address.port()).await?;
        *runtime.server.lock().expect("server lock") = Some(serve(
            listener,
            api_front::router(Arc::clone(&runtime.front)),
        ));
        self.start_consumer(runtime).await?;
        runtime.up.send_replace(true);
        Ok(())
    }

    /// How many requests `region`'s API front served for the resource `path` (`/live`,
    /// `/health`): proof that a call went through the API path.
    pub fn api_requests(&self, region: &str, path: &str) -> anyhow::Result<u64> {
        Ok(self.runtime(region)?.front.served(path))
    }

    /// Whether `region` is up.
    pub fn is_up(&self, region: &str) -> bool {
        self.down.read().is_ok_and(|d| !d.contains(region))
    }

    /// The process ids of everything the platform started (for checks that none is left).
    pub fn process_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.emulator.iter().map(Process::id).collect();
        ids.extend(self.brokers.iter().map(Process::id));
        for runtime in &self.regions {
            ids.extend(runtime.functions.values().filter_map(|f| f.pid()));
            if let Some(consumer) = runtime.consumer.lock().expect("consumer lock").as_ref() {
                ids.push(consumer.id());
            }
        }
        ids
    }

    /// Stops everything and removes the temporary directory.
    pub async fn shutdown(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        for runtime in &self.regions {
            let server = runtime.server.lock().expect("server lock").take();
            if let Some(server) = server {
                server.abort();
                let _ = server.await;
            }
        }
        // Dropping kills the processes, then removes the directory.
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for runtime in &self.regions {
            if let Ok(mut server) = runtime.server.lock()
                && let Some(server) = server.take()
            {
                server.abort();
            }
            for function in runtime.functions.values() {
                function.stop();
            }
            if let Ok(mut consumer) = runtime.consumer.lock() {
                consumer.take();
            }
        }
        self.brokers.clear();
        self.emulator.take();
        if let Some(temp) = self.temp.take() {
            let _ = temp.close();
        }
    }
}

/// `url` with its scheme and authority replaced by the local `address` (path kept).
fn local_url(url: &str, address: SocketAddr) -> String {
    let path = url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]))
        .unwrap_or(url);
    format!("http://{address}{path}")
}

fn region_endpoints(
    rs: &RegionalSpec,
    deployed: &DeployedRegion,
    runtime: &RegionRuntime,
    bootstrap: &str,
    aws: &str,
    logs: &Path,
) -> RegionEndpoints {
    let queue = |logical: &str| {
        let name = deployed.property(logical, "QueueName").unwrap_or_default();
        format!("{aws}/{}/{name}", deployed.account)
    };
    let bus_name = deployed.property("Bus", "Name").unwrap_or_default();
    let metrics_port = runtime
        .consumer_spec
        .environment
        .iter()
        .find(|(k, _)| k == platform_contract::METRICS_PORT)
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    RegionEndpoints {
        region: rs.region.clone(),
        peer_region: rs.peer_region.clone(),
        api: format!("http://{}/{}", runtime.api_address, deployed.api.stage),
        kafka_bootstrap: bootstrap.to_string(),
        bus_arn: format!(
            "arn:aws:events:{}:{}:event-bus/{bus_name}",
            rs.region, deployed.account
        ),
        bus_name,
        events_table: deployed
            .property("EventsTable", "TableName")
            .unwrap_or_default(),
        idempotency_table: deployed
            .property("IdempotencyTable", "TableName")
            .unwrap_or_default(),
        cdc_table: deployed
            .property("CdcStateTable", "TableName")
            .unwrap_or_default(),
        events_dlq_url: queue("EventsDlq"),
        stream_failures_dlq_url: queue("StreamFailureDlq"),
        cdc_dlq_url: queue("CdcDlq"),
        consumer_metrics: format!("http://127.0.0.1:{metrics_port}"),
        jwt_secret_arn: deployed.jwt_secret_arn.clone(),
        jwt_issuer: rs.spec.api.jwt_issuer.clone(),
        jwt_audience: rs.spec.api.jwt_audience.clone(),
        cdc_topics: rs
            .spec
            .consumer
            .topics
            .iter()
            .map(|t| CdcTopic {
                topic: t.topic.clone(),
                table: t.table.clone(),
                key_columns: t.key_columns.clone(),
            })
            .collect(),
        publish_cdc_events: rs.spec.consumer.publish_cdc_events,
        logs: logs.to_path_buf(),
    }
}

/// Creates the consumer's topics (3 partitions each) on the region's broker.
async fn create_topics(rs: &RegionalSpec, bootstrap: &str) -> anyhow::Result<()> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let topics: Vec<NewTopic> = rs
        .spec
        .consumer
        .topics
        .iter()
        .map(|t| NewTopic::new(&t.topic, 3, TopicReplication::Fixed(1)))
        .collect();
    let results = admin
        .create_topics(
            &topics,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await?;
    for result in results {
        if let Err((topic, code)) = result
            && code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists
        {
            bail!("creating topic {topic}: {code}");
        }
    }
    Ok(())
}

/// Progress lines go to stderr; the endpoints to stdout.
fn tracing_free_log(line: &str) {
    eprintln!("{line}");
}
