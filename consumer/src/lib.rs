//! The Qlik Replicate CDC Kafka consumer.
//!
//! Pure core: [`qlik`] parses messages (JSON and Avro, via [`avro`]) into changes whose
//! [`row`] images borrow from the message, [`transform`] turns a change into a sink write.
//! Edges: [`sink`] (DynamoDB, in memory), [`outputs`] (SQS dead letters, EventBridge events),
//! [`pipeline`] (one partition's ordered work), [`kafka`] (the consumer group, offsets,
//! rebalances, shutdown), [`http`] (probes and metrics).

pub mod app;
pub mod avro;
pub mod config;
pub mod corpus;
pub mod http;
pub mod kafka;
pub mod metrics;
pub mod outputs;
pub mod pipeline;
pub mod qlik;
pub mod row;
pub mod sink;
pub mod transform;
