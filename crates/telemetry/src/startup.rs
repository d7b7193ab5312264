//! Function start-up: read and validate the configuration once, reporting every problem at
//! once with the variable's name, and record per-invocation metrics.
//!
//! Variable names come from `platform-contract`; this module only reads them.

use std::str::FromStr;
use std::time::Instant;

use crate::emf::{MetricsLine, Unit};
use crate::names;

/// The configuration is invalid; lists each missing or malformed variable.
#[derive(Debug, thiserror::Error)]
#[error("{program}: invalid configuration: {}", problems.join("; "))]
pub struct ConfigError {
    pub program: String,
    pub problems: Vec<String>,
}

/// Looks a variable up by name.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Collects configuration values and problems; call [`EnvReader::finish`] before using them.
pub struct EnvReader<'a> {
    lookup: Lookup<'a>,
    problems: Vec<String>,
}

impl Default for EnvReader<'static> {
    fn default() -> Self {
        Self::from_process()
    }
}

impl<'a> EnvReader<'a> {
    /// Reads the process environment.
    pub fn from_process() -> EnvReader<'static> {
        EnvReader::new(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup` (tests pass a map).
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self {
            lookup: Box::new(lookup),
            problems: Vec::new(),
        }
    }

    /// A set, non-blank variable; empty string (and a recorded problem) when missing.
    pub fn required(&mut self, name: &str) -> String {
        match self.optional(name) {
            Some(value) => value,
            None => {
                self.problems
                    .push(format!("{name} is required but not set"));
                String::new()
            }
        }
    }

    /// The variable when set and not blank.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A parsed variable, or `default` when unset; a malformed value is a problem.
    pub fn parse_or<T: FromStr>(&mut self, name: &str, default: T) -> T
    where
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => default,
            Some(text) => text.parse().unwrap_or_else(|e| {
                self.problems.push(format!("{name}=`{text}`: {e}"));
                default
            }),
        }
    }

    /// Records a problem found while interpreting values (e.g. a bad combination).
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// `Ok` when every value read so far was valid.
    pub fn finish(self, program: &str) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                program: program.to_string(),
                problems: self.problems,
            })
        }
    }
}

/// EMF namespace of the functions' metrics.
pub const METRICS_NAMESPACE: &str = "Platform/Functions";

/// Times one invocation and emits `lambda_invocations_total`, `lambda_errors_total` and
/// `lambda_duration_seconds` as one EMF line when finished.
pub struct InvocationTimer {
    function: &'static str,
    started: Instant,
}

impl InvocationTimer {
    pub fn start(function: &'static str) -> Self {
        Self {
            function,
            started: Instant::now(),
        }
    }

    /// The EMF line for this invocation (`errors` failed items or 1 for a failed invocation).
    pub fn metrics(&self, errors: u64) -> MetricsLine {
        MetricsLine::new(METRICS_NAMESPACE)
            .dimension("FunctionName", self.function)
            .metric(names::LAMBDA_INVOCATIONS_TOTAL, Unit::Count, 1.0)
            .metric(names::LAMBDA_ERRORS_TOTAL, Unit::Count, errors as f64)
            .metric(
                names::LAMBDA_DURATION_SECONDS,
                Unit::Seconds,
                self.started.elapsed().as_secs_f64(),
            )
    }

    /// Emits the line on stdout.
    pub fn finish(self, errors: u64) {
        self.metrics(errors).emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn reports_every_problem_with_the_variable_name() {
        let env: HashMap<&str, &str> = [("A", "x"), ("N", "nope"), ("BLANK", "  ")].into();
        let mut reader = EnvReader::new(|k| env.get(k).map(|v| v.to_string()));
        assert_eq!(reader.required("A"), "x");
        assert_eq!(reader.required("BLANK"), "");
        assert_eq!(reader.parse_or::<u32>("N", 5), 5);
        assert_eq!(reader.parse_or::<u32>("UNSET", 7), 7);
        let error = reader.finish("fn").unwrap_err().to_string();
        assert!(
            error.starts_with("fn: invalid configuration: BLANK is required"),
            "{error}"
        );
        assert!(error.contains("N=`nope`: invalid digit"), "{error}");
    }

    #[test]
    fn invocation_metrics_use_the_seed_names() {
        let line = InvocationTimer::start("authorizer").metrics(2).to_json(0);
        assert_eq!(line["FunctionName"], "authorizer");
        assert_eq!(line[names::LAMBDA_INVOCATIONS_TOTAL], 1.0);
        assert_eq!(line[names::LAMBDA_ERRORS_TOTAL], 2.0);
        assert!(line[names::LAMBDA_DURATION_SECONDS].as_f64().unwrap() >= 0.0);
    }
}
