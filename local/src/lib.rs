//! The whole platform on one machine: both regions of an environment running together.
//!
//! `local-platform up --env dev` (see `docs/local.md`) and the journeys in `tests/` use the
//! same [`Platform`]: one AWS emulator (moto; both regions of the environment share its
//! account), one Kafka broker (tansu) per region, each region's stack deployed from the cloud
//! assembly, the five functions of each region as host-built processes behind local Lambda
//! Runtime APIs with the environment they were deployed with, their triggers read back from
//! the emulator (bus rules, the table stream's event source mapping, the schedule), an HTTP
//! front per region for the REST API (TOKEN authorizer, then the Lambda proxy integration),
//! and one CDC consumer per region. What the emulator cannot do and the platform does instead
//! is listed in [`deploy`]. Every process and the temporary directory go away when the
//! [`Platform`] is shut down or dropped (also on a panic).
//!
//! # Driving it from a test
//!
//! ```no_run
//! # async fn journey() -> anyhow::Result<()> {
//! use local_platform::{Options, Platform, feed};
//! let mut options = Options::new("dev");
//! // Optional: a spec directory of your own, synthesised to a temporary directory.
//! // options.environments = Some(my_specs_dir);
//! let platform = Platform::start(options).await?;
//! let west = platform.region("us-west-2")?.clone();
//! let aws = platform.endpoints().aws.clone(); // AWS_ENDPOINT_URL for SDK clients
//! feed::put_event(&aws, "us-west-2", &west.bus_name, "test", "OrderCreated",
//!     &serde_json::json!({"orderId": "o-1", "customerId": "c-1", "amount": 1, "currency": "EUR"}))
//!     .await?;
//! let token = platform.token("tester")?;
//! // GET {west.api}/health with `Authorization: Bearer {token}` ...
//! platform.take_down("us-east-1").await?; // functions, API front, consumer stop; its AWS 503s
//! platform.bring_up("us-east-1").await?;
//! platform.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! - Use a multi-threaded runtime (`#[tokio::test(flavor = "multi_thread")]`): invocations
//!   wait on blocking threads.
//! - SDK clients for the platform: [`aws_api::sdk_config`]`(&endpoints.aws, region)`.
//! - The host binaries must be built (`cargo build --workspace`, or `cargo test --workspace`,
//!   which builds them before any test runs); [`Options::bin_dir`] says where they are.
//! - [`Platform::take_down`] / [`Platform::bring_up`] simulate a regional outage (the drill).

pub mod api_front;
pub mod aws_api;
pub mod deploy;
pub mod feed;
pub mod functions;
pub mod gateway;
pub mod load;
mod platform;
pub mod redrive;
pub mod services;
pub mod token;
pub mod triggers;

pub use platform::{CdcTopic, Endpoints, Options, Platform, RegionEndpoints};
