//! Configuration from the environment, named only through `platform_contract` so that the
//! Kustomize ConfigMap infra-gen writes and this program agree at compile time. Validation
//! reports every problem at once.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use platform_contract as contract;
use platform_contract::TopicTable;

/// Largest number of messages of one partition applied together.
pub const MAX_BATCH_SIZE: usize = 1000;
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// librdkafka's and Kafka's own default.
pub const DEFAULT_FETCH_WAIT_MAX_MS: u32 = 500;
pub const MAX_FETCH_WAIT_MAX_MS: u32 = 5000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub stage: String,
    pub log_level: Option<String>,
    pub region: String,
    pub bootstrap_servers: String,
    pub group_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<TopicTable>,
    pub table_name: String,
    pub dlq_url: String,
    pub event_bus_name: Option<String>,
    pub metrics_address: SocketAddr,
    pub batch_size: usize,
    pub fetch_wait_max_ms: u32,
    /// How long a DELETE's tombstone outlives the delete (see the README's "What is written").
    pub tombstone_ttl: Duration,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut required = |name: &str| {
            get(name).unwrap_or_else(|| {
                problems.push(format!("{name} is required"));
                String::new()
            })
        };
        let stage = required(contract::STAGE);
        let region = required(contract::AWS_REGION);
        let bootstrap_servers = required(contract::KAFKA_BOOTSTRAP_SERVERS);
        let topic_tables = required(contract::CDC_TOPIC_TABLES);
        let table_name = required(contract::CDC_TABLE_NAME);
        let dlq_url = required(contract::CDC_DLQ_URL);

        let topics = if topic_tables.is_empty() {
            Vec::new()
        } else {
            match TopicTable::parse_list(&topic_tables) {
                Ok(entries) => {
                    let mut seen = std::collections::HashSet::new();
                    for entry in &entries {
                        if !seen.insert(entry.topic.as_str()) {
                            problems.push(format!(
                                "{}: topic {} is mapped twice",
                                contract::CDC_TOPIC_TABLES,
                                entry.topic
                            ));
                        }
                    }
                    entries
                }
                Err(e) => {
                    problems.push(format!("{}: {e}", contract::CDC_TOPIC_TABLES));
                    Vec::new()
                }
            }
        };
        let port = parse_optional(
            get(contract::METRICS_PORT),
            contract::METRICS_PORT,
            contract::DEFAULT_METRICS_PORT,
            |_: &u16| true,
            "a port number",
            &mut problems,
        );
        let host = parse_optional(
            get(contract::METRICS_BIND_ADDRESS),
            contract::METRICS_BIND_ADDRESS,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            |_| true,
            "an IP address",
            &mut problems,
        );
        let batch_size = parse_optional(
            get(contract::CDC_BATCH_SIZE),
            contract::CDC_BATCH_SIZE,
            DEFAULT_BATCH_SIZE,
            |n| (1..=MAX_BATCH_SIZE).contains(n),
            &format!("a number from 1 to {MAX_BATCH_SIZE}"),
            &mut problems,
        );
        let fetch_wait_max_ms = parse_optional(
            get(contract::KAFKA_FETCH_WAIT_MAX_MS),
            contract::KAFKA_FETCH_WAIT_MAX_MS,
            DEFAULT_FETCH_WAIT_MAX_MS,
            |n| (1..=MAX_FETCH_WAIT_MAX_MS).contains(n),
            &format!("a number of milliseconds from 1 to {MAX_FETCH_WAIT_MAX_MS}"),
            &mut problems,
        );
        let ttl_range = contract::CDC_TOMBSTONE_TTL_RANGE;
        let tombstone_ttl_seconds = parse_optional(
            get(contract::CDC_TOMBSTONE_TTL_SECONDS),
            contract::CDC_TOMBSTONE_TTL_SECONDS,
            contract::DEFAULT_CDC_TOMBSTONE_TTL_SECONDS,
            |n| ttl_range.contains(n),
            &format!(
                "a number of seconds from {} to {}",
                ttl_range.start(),
                ttl_range.end()
            ),
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Config {
            stage,
            log_level: get(contract::LOG_LEVEL),
            region,
            bootstrap_servers,
            group_id: get(contract::KAFKA_GROUP_ID)
                .unwrap_or_else(|| contract::DEFAULT_CONSUMER_GROUP.to_string()),
            group_instance_id: get(contract::KAFKA_GROUP_INSTANCE_ID),
            topics,
            table_name,
            dlq_url,
            event_bus_name: get(contract::CDC_EVENT_BUS_NAME),
            metrics_address: SocketAddr::new(host, port),
            batch_size,
            fetch_wait_max_ms,
            tombstone_ttl: Duration::from_secs(tombstone_ttl_seconds),
        })
    }
}

/// An optional variable: `default` when unset, else its parsed value if `accept` takes it;
/// otherwise a problem saying what was expected, and `default` so the other checks go on.
fn parse_optional<T: std::str::FromStr>(
    value: Option<String>,
    name: &str,
    default: T,
    accept: impl Fn(&T) -> bool,
    expected: &str,
    problems: &mut Vec<String>,
) -> T {
    let Some(text) = value else {
        return default;
    };
    match text.parse::<T>() {
        Ok(parsed) if accept(&parsed) => parsed,
        _ => {
            problems.push(format!("{name}: `{text}` is not {expected}"));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn minimal() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            (contract::STAGE, "dev"),
            (contract::AWS_REGION, "us-east-1"),
            (contract::KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:9092"),
            (contract::CDC_TOPIC_TABLES, "qlik.orders=orders:order_id"),
            (contract::CDC_TABLE_NAME, "cdc"),
            (contract::CDC_DLQ_URL, "http://q"),
        ])
    }

    #[test]
    fn defaults_apply_when_optional_variables_are_unset() {
        let env = minimal();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(config.group_id, "cdc-consumers");
        assert_eq!(config.metrics_address.port(), 9090);
        assert_eq!(config.event_bus_name, None);
        assert_eq!(config.batch_size, DEFAULT_BATCH_SIZE);
        assert_eq!(config.fetch_wait_max_ms, DEFAULT_FETCH_WAIT_MAX_MS);
        assert_eq!(config.tombstone_ttl, Duration::from_secs(14 * 24 * 3600));
        assert_eq!(config.topics[0].key_columns, vec!["order_id"]);
    }

    #[test]
    fn the_tombstone_ttl_accepts_an_hour_to_a_year() {
        for (text, accepted) in [
            ("3599", false),
            ("3600", true),
            ("31622400", true),
            ("31622401", false),
        ] {
            let mut env = minimal();
            env.insert(contract::CDC_TOMBSTONE_TTL_SECONDS, text);
            let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string()));
            assert_eq!(
                config.map(|c| c.tombstone_ttl.as_secs().to_string()).ok(),
                accepted.then(|| text.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut env = minimal();
        env.remove(contract::CDC_TABLE_NAME);
        env.insert(contract::METRICS_PORT, "ninety");
        env.insert(contract::CDC_TOPIC_TABLES, "a=t:id;a=u:id");
        env.insert(contract::CDC_BATCH_SIZE, "0");
        env.insert(contract::KAFKA_FETCH_WAIT_MAX_MS, "9000");
        env.insert(contract::CDC_TOMBSTONE_TTL_SECONDS, "59");
        let err = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.problems.len(), 6, "{text}");
        for needle in [
            "CDC_TABLE_NAME is required",
            "METRICS_PORT",
            "mapped twice",
            "CDC_BATCH_SIZE",
            "KAFKA_FETCH_WAIT_MAX_MS: `9000`",
            "CDC_TOMBSTONE_TTL_SECONDS: `59` is not a number of seconds from 3600 to 31622400",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
    }
}
