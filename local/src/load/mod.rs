//! `local-platform load`: what the seed's k6 tests intended, on the rlt load-testing crate.
//! Three scenarios: authenticated `GET /health` on a region's API, events put on a region's
//! bus (PutEvents through the AWS SDK), and Qlik CDC messages produced to a region's broker
//! (rdkafka; messages from the consumer's corpus builders, through `feed::qlik_insert`).
//! Each run is bounded by a request count and a time limit, whichever comes first, and
//! reports throughput, p50/p95/p99 and the errors.
//!
//! Targets: the local platform's endpoints (which must be loopback addresses), or a deployed
//! environment's, given explicitly (`--url`, `--bootstrap`); see [`target`].

pub mod report;
mod scenarios;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::FutureProducer;
use rlt::cli::BenchCli;

pub use report::LoadReport;
use target::{Kind, Origin, Target, TargetError};

/// The most requests one run may send.
pub const MAX_REQUESTS: u64 = 1_000_000;
/// The longest one run may take, in seconds.
pub const MAX_SECONDS: u64 = 600;

/// The API's authenticated health route (infra-gen's `platform/api.rs`).
pub const HEALTH_ROUTE: &str = "/health";

/// What to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `GET /health` on the region's API with a bearer token.
    Health,
    /// PutEvents of one `OrderCreated` event per call on the region's bus.
    Events,
    /// Qlik Replicate JSON changes produced to the region's broker.
    Cdc,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::Events => "events",
            Scenario::Cdc => "cdc",
        }
    }
}

/// `local-platform load` options.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// The environment (names the bus: `infra-gen-<env>`).
    #[arg(long, default_value = "dev")]
    pub env: String,
    /// The region to load.
    #[arg(long, default_value = "us-west-2")]
    pub region: String,
    /// Stop after this many requests.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_REQUESTS))]
    pub requests: u64,
    /// Stop after this many seconds, even if requests remain.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub seconds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// health: the API's base URL, stage included (`https://<api>/dev`); events: the
    /// EventBridge endpoint (`https://events.us-west-2.amazonaws.com` for AWS itself). Given
    /// here, any address is loaded; otherwise only the local platform's loopback ones.
    #[arg(long)]
    pub url: Option<String>,
    /// cdc: the broker list (`host:port,...`); like `--url`, any address when given here.
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// health: the bearer token (default: one minted for the local platform).
    #[arg(long)]
    pub token: Option<String>,
    /// cdc: the topic, and the key column of its table.
    #[arg(long, default_value = "qlik.orders")]
    pub topic: String,
    #[arg(long, default_value = "order_id")]
    pub key_column: String,
    /// events: the source and detail-type of the events.
    #[arg(long, default_value = "platform.load")]
    pub source: String,
    #[arg(long, default_value = "OrderCreated")]
    pub detail_type: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// The endpoints file `local-platform up` wrote (default: `$LOCAL_PLATFORM_ENDPOINTS`):
    /// the local targets and the token's signing secret.
    #[arg(long)]
    pub endpoints: Option<std::path::PathBuf>,
}

/// Targets found without the operator typing them: the local platform's endpoints for the
/// region, or the standard variables. Each must be loopback to be used.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// The API's base URL (stage included) and where it was found.
    pub api_url: Option<(&'static str, String)>,
    /// The AWS endpoint (the emulator).
    pub aws_endpoint: Option<(&'static str, String)>,
    /// The region's broker list.
    pub kafka_bootstrap: Option<(&'static str, String)>,
    /// A bearer token the local API accepts.
    pub token: Option<String>,
}

impl Discovered {
    /// What the standard variables say: `AWS_ENDPOINT_URL` for the AWS endpoint.
    pub fn from_env() -> Self {
        Self {
            aws_endpoint: std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| ("AWS_ENDPOINT_URL", v)),
            ..Self::default()
        }
    }
}

/// What the running local platform offers for `region`: its API, AWS endpoint and broker,
/// and a token minted as `local-platform token` mints it. Without an endpoints file, only
/// `AWS_ENDPOINT_URL`.
pub async fn discover(
    endpoints_file: Option<&std::path::Path>,
    region: &str,
) -> anyhow::Result<Discovered> {
    use anyhow::Context;
    let file = endpoints_file
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os("LOCAL_PLATFORM_ENDPOINTS").map(Into::into));
    let Some(file) = file else {
        return Ok(Discovered::from_env());
    };
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "reading {} (is `local-platform up` running?)",
            file.display()
        )
    })?;
    let endpoints: crate::Endpoints = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an endpoints file", file.display()))?;
    let at = endpoints
        .regions
        .iter()
        .find(|r| r.region == region)
        .with_context(|| format!("no region {region} in {}", file.display()))?;
    let token = crate::token::mint_for(&endpoints, at, "load").await?;
    const FROM: &str = "the local platform's endpoints file";
    Ok(Discovered {
        api_url: Some((FROM, at.api.clone())),
        aws_endpoint: Some((FROM, endpoints.aws.clone())),
        kafka_bootstrap: Some((FROM, at.kafka_bootstrap.clone())),
        token: Some(token),
    })
}

/// `local-platform load`: runs the scenario and prints its report.
pub async fn command(args: &LoadArgs) -> anyhow::Result<()> {
    let discovered = discover(args.endpoints.as_deref(), &args.region).await?;
    let report = run(args, &discovered).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// Why a load run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(
        "the health scenario needs a bearer token: pass --token (for a deployed environment), \
         or load the local platform, whose tokens this command mints"
    )]
    MissingToken,
    #[error("creating the Kafka producer for {bootstrap}: {source}")]
    Producer {
        bootstrap: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },
    #[error("running the load: {0}")]
    Run(String),
    #[error(transparent)]
    Report(#[from] report::ReportError),
}

/// Runs one scenario within its bounds and reports what it measured.
pub async fn run(args: &LoadArgs, discovered: &Discovered) -> Result<LoadReport, LoadError> {
    let run_id = format!(
        "load-{}-{}",
        std::process::id(),
        platform_events::now_rfc3339()
    )
    .replace([':', '.'], "");
    match args.scenario {
        Scenario::Health => {
            let target = target::choose(
                Kind::Url,
                "--url",
                args.url.as_deref(),
                discovered
                    .api_url
                    .as_ref()
                    .map(|(from, url)| (*from, url.as_str())),
            )?;
            let token = args
                .token
                .clone()
                .or_else(|| discovered.token.clone())
                .ok_or(LoadError::MissingToken)?;
            let url = format!("{}{}", target.address.trim_end_matches('/'), HEALTH_ROUTE);
            let suite = scenarios::Health {
                client: Arc::new(platform_aws::http::HttpClient::new(1 << 20)),
                url: url.clone(),
                token,
            };
            bench(args, &url, suite).await
        }
        Scenario::Events => {
            let target = target::choose(
                Kind::Url,
                "--url",
                args.url.as_deref(),
                discovered
                    .aws_endpoint
                    .as_ref()
                    .map(|(from, url)| (*from, url.as_str())),
            )?;
            let config = sdk_config(&target, &args.region).await;
            let bus = format!("infra-gen-{}", args.env);
            let suite = scenarios::Events {
                client: aws_sdk_eventbridge::Client::new(&config),
                bus: bus.clone(),
                source: args.source.clone(),
                detail_type: args.detail_type.clone(),
                run: run_id,
            };
            let label = format!("{} bus {bus} in {}", target.address, args.region);
            bench(args, &label, suite).await
        }
        Scenario::Cdc => {
            let target = target::choose(
                Kind::Bootstrap,
                "--bootstrap",
                args.bootstrap.as_deref(),
                discovered
                    .kafka_bootstrap
                    .as_ref()
                    .map(|(from, list)| (*from, list.as_str())),
            )?;
            let producer: FutureProducer = ClientConfig::new()
                .set("bootstrap.servers", &target.address)
                .set("linger.ms", "1")
                .set("message.timeout.ms", "10000")
                .create()
                .map_err(|source| LoadError::Producer {
                    bootstrap: target.address.clone(),
                    source,
                })?;
            let suite = scenarios::Cdc {
                producer,
                topic: args.topic.clone(),
                key_column: args.key_column.clone(),
                run: run_id,
            };
            let label = format!("{} topic {}", target.address, args.topic);
            bench(args, &label, suite).await
        }
    }
}

/// The SDK configuration for a target: an explicit endpoint uses the standard credential
/// chain (a deployed environment); a discovered loopback one is the emulator, which takes
/// any credentials.
async fn sdk_config(target: &Target, region: &str) -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(&target.address);
    match target.origin {
        Origin::Explicit => loader.load().await,
        Origin::Discovered(_) => {
            loader
                .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
                    "test", "test", None, None, "emulator",
                ))
                .load()
                .await
        }
    }
}

/// Runs `suite` through rlt within the run's bounds, silently, and reads its JSON report.
async fn bench<S>(args: &LoadArgs, label: &str, suite: S) -> Result<LoadReport, LoadError>
where
    S: rlt::BenchSuite + Send + 'static,
    S::WorkerState: Send + 'static,
{
    let dir = tempfile::tempdir().map_err(|e| LoadError::Run(e.to_string()))?;
    let out = dir.path().join("report.json");
    let cli = rlt_options(args, &out).map_err(|e| LoadError::Run(e.to_string()))?;
    rlt::cli::run(cli, suite)
        .await
        .map_err(|e| LoadError::Run(format!("{e:#}")))?;
    let json = std::fs::read_to_string(&out).map_err(|e| LoadError::Run(e.to_string()))?;
    Ok(report::from_rlt_json(args.scenario.name(), label, &json)?)
}

/// rlt's options for a run: the bounds, quiet, a JSON report in `out`.
fn rlt_options(args: &LoadArgs, out: &std::path::Path) -> Result<BenchCli, clap::Error> {
    use clap::Parser;
    let seconds = Duration::from_secs(args.seconds.min(MAX_SECONDS)).as_secs();
    BenchCli::try_parse_from([
        "load".to_string(),
        "--concurrency".into(),
        args.concurrency.to_string(),
        "--iterations".into(),
        args.requests.min(MAX_REQUESTS).to_string(),
        "--duration".into(),
        format!("{seconds}s"),
        "--quiet".into(),
        "--output".into(),
        "json".into(),
        "--output-file".into(),
        out.display().to_string(),
    ])
}
