//! A circuit breaker per destination: closed; open after consecutive failures or a failure
//! rate over a sliding window; half-open with a limited number of probes after a timeout.
//! Pure: the caller passes the time, so every transition is unit-tested without sleeping.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use platform_telemetry::CircuitStateValue;

/// When the breaker opens and how it recovers.
#[derive(Debug, Clone, Copy)]
pub struct CircuitConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// Failure ratio over the window that opens the circuit (0.0-1.0).
    pub failure_rate: f64,
    /// Outcomes remembered for the rate.
    pub window: usize,
    /// The rate is only judged once the window holds this many outcomes.
    pub min_calls: usize,
    /// How long the circuit stays open before probing.
    pub open_for: Duration,
    /// Probes allowed while half-open; all must succeed to close.
    pub half_open_probes: u32,
}

impl Default for CircuitConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            failure_rate: 0.5,
            window: 20,
            min_calls: 10,
            open_for: Duration::from_secs(30),
            half_open_probes: 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Open { since: Instant },
    HalfOpen { admitted: u32, succeeded: u32 },
}

/// One destination's breaker.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: CircuitConfig,
    state: State,
    consecutive_failures: u32,
    outcomes: VecDeque<bool>,
}

impl CircuitBreaker {
    pub fn new(config: CircuitConfig) -> Self {
        Self {
            config,
            state: State::Closed,
            consecutive_failures: 0,
            outcomes: VecDeque::with_capacity(config.window),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The `circuit_breaker_state` metric value.
    pub fn metric_value(&self) -> CircuitStateValue {
        match self.state {
            State::Closed => CircuitStateValue::Closed,
            State::Open { .. } => CircuitStateValue::Open,
            State::HalfOpen { .. } => CircuitStateValue::HalfOpen,
        }
    }

    /// Whether a call may be attempted now. In half-open, each `true` admits one probe.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { since } => {
                if now.saturating_duration_since(since) >= self.config.open_for {
                    self.state = State::HalfOpen {
                        admitted: 1,
                        succeeded: 0,
                    };
                    true
                } else {
                    false
                }
            }
            State::HalfOpen {
                admitted,
                succeeded,
            } => {
                if admitted < self.config.half_open_probes {
                    self.state = State::HalfOpen {
                        admitted: admitted + 1,
                        succeeded,
                    };
                    true
                } else {
                    false
                }
            }
        }
    }

    pub fn record_success(&mut self) {
        match self.state {
            State::HalfOpen {
                admitted,
                succeeded,
            } => {
                if succeeded + 1 >= self.config.half_open_probes {
                    self.close();
                } else {
                    self.state = State::HalfOpen {
                        admitted,
                        succeeded: succeeded + 1,
                    };
                }
            }
            State::Closed => {
                self.consecutive_failures = 0;
                self.push(true);
            }
            State::Open { .. } => {}
        }
    }

    pub fn record_failure(&mut self, now: Instant) {
        match self.state {
            State::HalfOpen { .. } => self.state = State::Open { since: now },
            State::Closed => {
                self.consecutive_failures += 1;
                self.push(false);
                let failures = self.outcomes.iter().filter(|ok| !**ok).count();
                let rate_exceeded = self.outcomes.len() >= self.config.min_calls
                    && failures as f64 / self.outcomes.len() as f64 >= self.config.failure_rate;
                if self.consecutive_failures >= self.config.failure_threshold || rate_exceeded {
                    self.state = State::Open { since: now };
                }
            }
            State::Open { .. } => {}
        }
    }

    fn push(&mut self, ok: bool) {
        if self.outcomes.len() == self.config.window {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back(ok);
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.consecutive_failures = 0;
        self.outcomes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CircuitConfig {
        CircuitConfig {
            failure_threshold: 3,
            failure_rate: 0.5,
            window: 10,
            min_calls: 6,
            open_for: Duration::from_secs(30),
            half_open_probes: 2,
        }
    }

    #[test]
    fn opens_after_consecutive_failures_and_a_success_resets_the_count() {
        let t = Instant::now();
        let mut b = CircuitBreaker::new(config());
        b.record_failure(t);
        b.record_failure(t);
        b.record_success();
        b.record_failure(t);
        b.record_failure(t);
        assert_eq!(b.state(), State::Closed);
        b.record_failure(t);
        assert_eq!(b.state(), State::Open { since: t });
        assert!(!b.allow(t + Duration::from_secs(29)));
        assert_eq!(b.metric_value(), CircuitStateValue::Open);
    }

    #[test]
    fn opens_on_failure_rate_without_consecutive_failures() {
        let t = Instant::now();
        let mut b = CircuitBreaker::new(config());
        for _ in 0..3 {
            b.record_success();
            b.record_failure(t);
        }
        // 3 failures in 6 calls = 50%, never 3 in a row.
        assert!(matches!(b.state(), State::Open { .. }));
    }

    #[test]
    fn half_open_admits_limited_probes_then_closes_or_reopens() {
        let t = Instant::now();
        let mut b = CircuitBreaker::new(config());
        for _ in 0..3 {
            b.record_failure(t);
        }
        let later = t + Duration::from_secs(30);
        assert!(b.allow(later));
        assert!(b.allow(later));
        assert!(!b.allow(later), "only two probes");
        assert_eq!(b.metric_value(), CircuitStateValue::HalfOpen);
        b.record_success();
        assert!(matches!(b.state(), State::HalfOpen { .. }));
        b.record_success();
        assert_eq!(b.state(), State::Closed);

        for _ in 0..3 {
            b.record_failure(later);
        }
        let probe_time = later + Duration::from_secs(31);
        assert!(b.allow(probe_time));
        b.record_failure(probe_time);
        assert_eq!(b.state(), State::Open { since: probe_time });
    }
}
