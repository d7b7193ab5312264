//! `local-platform`: the platform on one machine (see `docs/local.md`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use local_platform::{Endpoints, Options, Platform, RegionEndpoints, feed, token};

#[derive(Parser)]
#[command(about = "Both regions of an environment on this machine")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Bring both regions up; Ctrl-C stops everything.
    Up {
        #[arg(long, default_value = "dev")]
        env: String,
        /// A spec directory to synthesise instead of the committed generated/.
        #[arg(long)]
        environments: Option<PathBuf>,
    },
    /// Put an event on a region's bus, or Qlik CDC messages on a region's broker.
    Feed {
        #[command(subcommand)]
        what: Feed,
    },
    /// Load a region (health, events or cdc scenario), bounded in count and time.
    Load(local_platform::load::LoadArgs),
    /// Re-drive a region's dead letters (local platform or AWS; docs/runbooks/disaster-recovery.md).
    Redrive(local_platform::redrive::RedriveArgs),
    /// Print a bearer token the running platform's authorizers accept.
    Token {
        #[command(flatten)]
        at: At,
        #[arg(long, default_value = "local-user")]
        subject: String,
    },
}

/// Which running platform and region.
#[derive(clap::Args)]
struct At {
    /// The endpoints file `up` printed (default: `$LOCAL_PLATFORM_ENDPOINTS`).
    #[arg(long)]
    endpoints: Option<PathBuf>,
    #[arg(long, default_value = "us-west-2")]
    region: String,
}

#[derive(Subcommand)]
enum Feed {
    /// PutEvents of one event on the region's bus.
    Event {
        #[command(flatten)]
        at: At,
        #[arg(long, default_value = "local.feed")]
        source: String,
        /// Defaults to an event the transform rule routes and the transformer's schema accepts.
        #[arg(long, default_value = "OrderCreated")]
        detail_type: String,
        /// The detail, JSON.
        #[arg(
            long,
            default_value = r#"{"orderId":"o-1","customerId":"c-1","amount":1,"currency":"EUR"}"#
        )]
        detail: String,
    },
    /// Qlik INSERTs of `count` rows into the first topic the consumer reads (or `--topic`).
    Cdc {
        #[command(flatten)]
        at: At,
        #[arg(long)]
        topic: Option<String>,
        #[arg(long, default_value_t = 10)]
        count: u64,
    },
}

fn read_endpoints(at: &At) -> anyhow::Result<(Endpoints, RegionEndpoints)> {
    let file = at
        .endpoints
        .clone()
        .or_else(|| std::env::var_os("LOCAL_PLATFORM_ENDPOINTS").map(PathBuf::from))
        .context("no --endpoints and no LOCAL_PLATFORM_ENDPOINTS: run `local-platform up` first")?;
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "reading {} (is `local-platform up` running?)",
            file.display()
        )
    })?;
    let endpoints: Endpoints = serde_json::from_str(&text)?;
    let region = endpoints
        .regions
        .iter()
        .find(|r| r.region == at.region)
        .cloned()
        .with_context(|| format!("no region {} in {}", at.region, file.display()))?;
    Ok((endpoints, region))
}

fn print_endpoints(endpoints: &Endpoints, file: &std::path::Path) {
    println!(
        "local platform `{}` (account {})",
        endpoints.env, endpoints.account
    );
    println!("  AWS endpoint (any credentials): {}", endpoints.aws);
    println!("  emulator (moto):                {}", endpoints.emulator);
    for r in &endpoints.regions {
        println!("  {} (peer {}):", r.region, r.peer_region);
        println!(
            "    API:               {}  (GET /health with a token, GET /live open)",
            r.api
        );
        println!("    Kafka bootstrap:   {}", r.kafka_bootstrap);
        println!("    bus:               {}", r.bus_arn);
        println!(
            "    tables:            {}, {}, {}",
            r.events_table, r.idempotency_table, r.cdc_table
        );
        println!(
            "    DLQs:              {} {} {}",
            r.events_dlq_url, r.stream_failures_dlq_url, r.cdc_dlq_url
        );
        println!("    consumer metrics:  {}/metrics", r.consumer_metrics);
        println!("    logs:              {}", r.logs.display());
    }
    println!("export LOCAL_PLATFORM_ENDPOINTS={}", file.display());
    println!("Ctrl-C stops everything.");
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Cmd::Up { env, environments } => {
            let mut options = Options::new(&env);
            options.environments = environments;
            // Ctrl-C while starting drops what was started (processes, temporary directory).
            let platform = tokio::select! {
                started = Platform::start(options) => started?,
                _ = tokio::signal::ctrl_c() => {
                    eprintln!("local-platform: interrupted while starting");
                    return Ok(());
                }
            };
            let file = platform.endpoints().temp_dir.join("endpoints.json");
            std::fs::write(&file, serde_json::to_vec_pretty(platform.endpoints())?)?;
            print_endpoints(platform.endpoints(), &file);
            tokio::signal::ctrl_c().await?;
            eprintln!("local-platform: stopping");
            platform.shutdown().await;
            Ok(())
        }
        Cmd::Load(args) => local_platform::load::command(&args).await,
        Cmd::Redrive(args) => local_platform::redrive::command(&args).await,
        Cmd::Token { at, subject } => {
            let (endpoints, region) = read_endpoints(&at)?;
            let source = platform_aws::secrets::SecretsManager::new(
                Some(&endpoints.aws),
                &region.region,
                aws_credential_types::Credentials::new(
                    local_platform::aws_api::ACCESS_KEY,
                    local_platform::aws_api::SECRET_KEY,
                    None,
                    None,
                    "local",
                ),
            );
            use platform_aws::secrets::SecretSource as _;
            let secret = source.fetch(&region.jwt_secret_arn).await?;
            let minted = token::mint(
                &secret,
                &token::TokenRequest {
                    issuer: region.jwt_issuer.clone(),
                    audience: region.jwt_audience.clone(),
                    subject,
                    scope: "local".to_string(),
                    lifetime_seconds: 3600,
                },
            )?;
            println!("{minted}");
            Ok(())
        }
        Cmd::Feed {
            what:
                Feed::Event {
                    at,
                    source,
                    detail_type,
                    detail,
                },
        } => {
            let (endpoints, region) = read_endpoints(&at)?;
            let detail: serde_json::Value =
                serde_json::from_str(&detail).context("--detail is not JSON")?;
            let id = feed::put_event(
                &endpoints.aws,
                &region.region,
                &region.bus_name,
                &source,
                &detail_type,
                &detail,
            )
            .await?;
            println!("{id}");
            Ok(())
        }
        Cmd::Feed {
            what: Feed::Cdc { at, topic, count },
        } => {
            let (_, region) = read_endpoints(&at)?;
            let topic = match topic {
                Some(name) => region.cdc_topics.iter().find(|t| t.topic == name),
                None => region.cdc_topics.first(),
            }
            .cloned()
            .context("the consumer does not read that topic")?;
            let key_column = topic
                .key_columns
                .first()
                .context("the topic has no key column")?;
            let producer = feed::producer(&region.kafka_bootstrap)?;
            let base = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            for i in 0..count {
                let id = format!("local-{base}-{i}");
                let value =
                    feed::qlik_insert(base + i, &[(key_column, &id), ("name", "fed locally")]);
                feed::produce(&producer, &topic.topic, &id, &value).await?;
            }
            println!(
                "{count} INSERTs produced to {} on {} (rows in {})",
                topic.topic, region.kafka_bootstrap, region.cdc_table
            );
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
