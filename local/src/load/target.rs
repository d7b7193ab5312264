//! Where a load run may send traffic. A target the operator typed (`--url`, `--bootstrap`) is
//! taken as given: that is how a deployed environment is loaded. Any other target (found in
//! the environment or the local platform's endpoints) must be a loopback address, so a stray
//! `AWS_ENDPOINT_URL` or a spec's broker list never turns a local run into traffic elsewhere.

use std::net::IpAddr;

/// How a target was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Typed by the operator on the command line.
    Explicit,
    /// Found by the command (the local platform, or a variable such as `AWS_ENDPOINT_URL`).
    Discovered(&'static str),
}

/// A target a load run may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub address: String,
    pub origin: Origin,
}

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error(
        "refusing to load {address} (from {from}): without an explicit target, only loopback \
         addresses (127.0.0.0/8, ::1, localhost) are loaded; to load a deployed environment, \
         pass its address with {flag}"
    )]
    NotLoopback {
        address: String,
        from: &'static str,
        flag: &'static str,
    },
    #[error("`{address}` is not a valid {what}: {reason}")]
    Invalid {
        address: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "no target for this scenario: start the local platform (`local-platform up`) or pass {flag}"
    )]
    Missing { flag: &'static str },
}

/// Whether `host` (a name or an IP literal, IPv6 with or without brackets) is loopback.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host of an `http(s)://` URL.
pub fn url_host(url: &str) -> Result<String, TargetError> {
    let invalid = |reason: &str| TargetError::Invalid {
        address: url.to_string(),
        what: "http(s) URL",
        reason: reason.to_string(),
    };
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| invalid(&e.to_string()))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid("the scheme must be http or https")),
    }
    uri.host()
        .map(str::to_string)
        .ok_or_else(|| invalid("no host"))
}

/// The hosts of a Kafka bootstrap list (`host:port,host:port`).
pub fn bootstrap_hosts(list: &str) -> Result<Vec<String>, TargetError> {
    let invalid = |reason: &str| TargetError::Invalid {
        address: list.to_string(),
        what: "Kafka bootstrap list (host:port,...)",
        reason: reason.to_string(),
    };
    let hosts: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|server| {
            let (host, port) = server
                .rsplit_once(':')
                .ok_or_else(|| invalid(&format!("`{server}` has no port")))?;
            port.parse::<u16>()
                .map_err(|_| invalid(&format!("`{server}`: the port is not a number")))?;
            Ok(host.to_string())
        })
        .collect::<Result<_, TargetError>>()?;
    if hosts.is_empty() {
        return Err(invalid("empty"));
    }
    Ok(hosts)
}

/// What kind of address a scenario targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An `http(s)://` URL (the API, the EventBridge endpoint).
    Url,
    /// A Kafka bootstrap list.
    Bootstrap,
}

/// Chooses a target: the explicit one if given (any address), else the discovered one, which
/// must be loopback. `flag` names the option that sets the target explicitly.
pub fn choose(
    kind: Kind,
    flag: &'static str,
    explicit: Option<&str>,
    discovered: Option<(&'static str, &str)>,
) -> Result<Target, TargetError> {
    let hosts = |address: &str| match kind {
        Kind::Url => url_host(address).map(|h| vec![h]),
        Kind::Bootstrap => bootstrap_hosts(address),
    };
    if let Some(address) = explicit {
        hosts(address)?;
        return Ok(Target {
            address: address.to_string(),
            origin: Origin::Explicit,
        });
    }
    let (from, address) = discovered.ok_or(TargetError::Missing { flag })?;
    if hosts(address)?.iter().all(|h| is_loopback_host(h)) {
        Ok(Target {
            address: address.to_string(),
            origin: Origin::Discovered(from),
        })
    } else {
        Err(TargetError::NotLoopback {
            address: address.to_string(),
            from,
            flag,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised_and_nothing_else() {
        for host in [
            "127.0.0.1",
            "127.8.9.10",
            "localhost",
            "LocalHost",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "0.0.0.0",
            "example.com",
            "localhost.example.com",
            "events.us-west-2.amazonaws.com",
            "[::2]",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_discovered_target_must_be_loopback() {
        let local = choose(
            Kind::Url,
            "--url",
            None,
            Some(("AWS_ENDPOINT_URL", "http://127.0.0.1:45100")),
        )
        .unwrap();
        assert_eq!(local.origin, Origin::Discovered("AWS_ENDPOINT_URL"));

        let refused = choose(
            Kind::Url,
            "--url",
            None,
            Some(("AWS_ENDPOINT_URL", "https://events.us-west-2.amazonaws.com")),
        )
        .unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("refusing to load https://events.us-west-2.amazonaws.com")
                && message.contains("AWS_ENDPOINT_URL")
                && message.contains("--url"),
            "{message}"
        );

        let brokers = choose(
            Kind::Bootstrap,
            "--bootstrap",
            None,
            Some(("the local platform", "127.0.0.1:9092,10.1.2.3:9092")),
        );
        assert!(matches!(brokers, Err(TargetError::NotLoopback { .. })));
    }

    #[test]
    fn an_explicit_target_is_taken_as_given_but_must_parse() {
        let remote = choose(
            Kind::Url,
            "--url",
            Some("https://api.dev.example.com/dev"),
            Some(("the local platform", "http://127.0.0.1:1")),
        )
        .unwrap();
        assert_eq!(remote.origin, Origin::Explicit);
        assert_eq!(remote.address, "https://api.dev.example.com/dev");

        assert!(matches!(
            choose(Kind::Url, "--url", Some("ftp://x"), None),
            Err(TargetError::Invalid { .. })
        ));
        assert!(matches!(
            choose(Kind::Bootstrap, "--bootstrap", Some("broker"), None),
            Err(TargetError::Invalid { .. })
        ));
        assert_eq!(
            choose(Kind::Url, "--url", None, None),
            Err(TargetError::Missing { flag: "--url" })
        );
    }
}
