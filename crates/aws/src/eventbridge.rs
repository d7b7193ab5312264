//! EventBridge publishing within PutEvents limits, retrying only failed entries.

use std::future::Future;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::AwsError;
use crate::retry::RetryPolicy;

/// PutEvents accepts at most this many entries per call.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// PutEvents accepts at most this many bytes per call (entry sizes as AWS computes them).
pub const MAX_CALL_BYTES: usize = 256 * 1024;

/// One event to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishEntry {
    pub event_bus_name: String,
    pub source: String,
    pub detail_type: String,
    /// A JSON object, as text.
    pub detail: String,
    pub resources: Vec<String>,
}

impl PublishEntry {
    /// The entry's size as AWS counts it against the 256 KB limit.
    pub fn size(&self) -> usize {
        self.source.len()
            + self.detail_type.len()
            + self.detail.len()
            + self.resources.iter().map(String::len).sum::<usize>()
    }
}

/// Groups entry indices into calls of at most [`MAX_ENTRIES_PER_CALL`] entries and
/// [`MAX_CALL_BYTES`] bytes, in order. Entries too large for any call are returned separately.
pub fn plan_batches(entries: &[&PublishEntry]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut oversized = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut current_bytes = 0;
    for (index, entry) in entries.iter().enumerate() {
        let size = entry.size();
        if size > MAX_CALL_BYTES {
            oversized.push(index);
            continue;
        }
        if current.len() == MAX_ENTRIES_PER_CALL || current_bytes + size > MAX_CALL_BYTES {
            batches.push(std::mem::take(&mut current));
            current_bytes = 0;
        }
        current.push(index);
        current_bytes += size;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    (batches, oversized)
}

/// The result of one entry of a PutEvents call.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryOutcome {
    Published { event_id: String },
    Failed { code: String, message: String },
}

/// The PutEvents call, abstracted so batching and retries are testable without AWS.
pub trait PutEventsApi: Send + Sync {
    /// Sends one call; returns one outcome per entry, in order. `Err` means the whole call
    /// failed (network, throttling) and every entry is retried.
    fn put_events(
        &self,
        entries: &[PublishEntry],
    ) -> impl Future<Output = Result<Vec<EntryOutcome>, AwsError>> + Send;
}

impl PutEventsApi for aws_sdk_eventbridge::Client {
    async fn put_events(&self, entries: &[PublishEntry]) -> Result<Vec<EntryOutcome>, AwsError> {
        let request_entries = entries
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&e.event_bus_name)
                    .source(&e.source)
                    .detail_type(&e.detail_type)
                    .detail(&e.detail)
                    .set_resources((!e.resources.is_empty()).then(|| e.resources.clone()))
                    .build()
            })
            .collect();
        let output = self
            .put_events()
            .set_entries(Some(request_entries))
            .send()
            .await
            .map_err(|e| AwsError::call("EventBridge PutEvents", e))?;
        let results = output.entries();
        if results.len() != entries.len() {
            return Err(AwsError::Response {
                operation: "EventBridge PutEvents",
                message: format!("{} results for {} entries", results.len(), entries.len()),
            });
        }
        Ok(results
            .iter()
            .map(|r| match (r.error_code(), r.event_id()) {
                (None, Some(id)) => EntryOutcome::Published {
                    event_id: id.to_string(),
                },
                (code, _) => EntryOutcome::Failed {
                    code: code.unwrap_or("Unknown").to_string(),
                    message: r.error_message().unwrap_or_default().to_string(),
                },
            })
            .collect())
    }
}

/// Error codes that will fail the same way again, so they are not retried.
fn is_permanent(code: &str) -> bool {
    matches!(
        code,
        "MalformedDetail"
            | "InvalidArgument"
            | "ValidationException"
            | "AccessDeniedException"
            | "NotAuthorizedForSourceException"
            | "ResourceNotFoundException"
    )
}

/// An entry that was not published after all attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedEntry {
    /// Index in the input.
    pub index: usize,
    pub entry: PublishEntry,
    pub error: String,
    /// 0 when the entry was never sent: it is larger than any call may be.
    pub attempts: u32,
}

/// What a [`Publisher::publish`] call achieved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishReport {
    /// Event ids of published entries, by input index.
    pub published: Vec<(usize, String)>,
    pub failed: Vec<FailedEntry>,
}

/// Batches and retries PutEvents calls.
pub struct Publisher<A> {
    api: A,
    policy: RetryPolicy,
}

impl<A: PutEventsApi> Publisher<A> {
    pub fn new(api: A, policy: RetryPolicy) -> Self {
        Self { api, policy }
    }

    pub fn api(&self) -> &A {
        &self.api
    }

    /// Publishes every entry, retrying only those that failed, and reports the rest.
    pub async fn publish(&self, entries: &[PublishEntry]) -> PublishReport {
        let mut report = PublishReport::default();
        let mut pending: Vec<usize> = (0..entries.len()).collect();
        let mut last_error: Vec<String> = vec![String::new(); entries.len()];
        let mut attempt = 0;
        while !pending.is_empty() && attempt < self.policy.max_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(self.policy.delay(attempt)).await;
            }
            attempt += 1;
            let refs: Vec<&PublishEntry> = pending.iter().map(|&i| &entries[i]).collect();
            let (batches, oversized) = plan_batches(&refs);
            for position in oversized {
                let index = pending[position];
                report.failed.push(FailedEntry {
                    index,
                    entry: entries[index].clone(),
                    error: format!(
                        "entry of {} bytes exceeds the {MAX_CALL_BYTES}-byte PutEvents limit",
                        entries[index].size()
                    ),
                    attempts: 0,
                });
            }
            let mut retry = Vec::new();
            for batch in batches {
                let indices: Vec<usize> = batch.iter().map(|&p| pending[p]).collect();
                let call: Vec<PublishEntry> = indices.iter().map(|&i| entries[i].clone()).collect();
                match self.api.put_events(&call).await {
                    Ok(outcomes) => {
                        for (index, outcome) in indices.into_iter().zip(outcomes) {
                            match outcome {
                                EntryOutcome::Published { event_id } => {
                                    report.published.push((index, event_id))
                                }
                                EntryOutcome::Failed { code, message } => {
                                    last_error[index] = format!("{code}: {message}");
                                    if is_permanent(&code) {
                                        report.failed.push(FailedEntry {
                                            index,
                                            entry: entries[index].clone(),
                                            error: last_error[index].clone(),
                                            attempts: attempt,
                                        });
                                    } else {
                                        retry.push(index);
                                    }
                                }
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, entries = indices.len(), attempt, "PutEvents call failed");
                        for index in indices {
                            last_error[index] = error.to_string();
                            retry.push(index);
                        }
                    }
                }
            }
            pending = retry;
        }
        for index in pending {
            report.failed.push(FailedEntry {
                index,
                entry: entries[index].clone(),
                error: std::mem::take(&mut last_error[index]),
                attempts: attempt,
            });
        }
        report.published.sort_unstable_by_key(|(i, _)| *i);
        report.failed.sort_unstable_by_key(|f| f.index);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    fn entry(detail_bytes: usize) -> PublishEntry {
        PublishEntry {
            event_bus_name: "bus".into(),
            source: "s".into(),
            detail_type: "t".into(),
            detail: "x".repeat(detail_bytes),
            resources: vec![],
        }
    }

    #[test]
    fn batches_respect_count_and_size_limits() {
        let small: Vec<PublishEntry> = (0..23).map(|_| entry(10)).collect();
        let refs: Vec<&PublishEntry> = small.iter().collect();
        let (batches, oversized) = plan_batches(&refs);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 10, 3]
        );
        assert!(oversized.is_empty());

        let big = [
            entry(100 * 1024),
            entry(100 * 1024),
            entry(100 * 1024),
            entry(300 * 1024),
            entry(10),
        ];
        let refs: Vec<&PublishEntry> = big.iter().collect();
        let (batches, oversized) = plan_batches(&refs);
        assert_eq!(batches, vec![vec![0, 1], vec![2, 4]]);
        assert_eq!(oversized, vec![3]);
    }

    /// Fails each entry whose detail is in `flaky` until it has been sent `fail_times` times.
    struct FakeApi {
        fail_times: usize,
        flaky: Vec<String>,
        permanent: Vec<String>,
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl PutEventsApi for FakeApi {
        async fn put_events(
            &self,
            entries: &[PublishEntry],
        ) -> Result<Vec<EntryOutcome>, AwsError> {
            let mut calls = self.calls.lock().unwrap();
            calls.push(entries.iter().map(|e| e.detail.clone()).collect());
            Ok(entries
                .iter()
                .map(|e| {
                    let seen = calls.iter().flatten().filter(|d| **d == e.detail).count();
                    if self.permanent.contains(&e.detail) {
                        EntryOutcome::Failed {
                            code: "MalformedDetail".into(),
                            message: "bad".into(),
                        }
                    } else if self.flaky.contains(&e.detail) && seen <= self.fail_times {
                        EntryOutcome::Failed {
                            code: "ThrottlingException".into(),
                            message: "slow down".into(),
                        }
                    } else {
                        EntryOutcome::Published {
                            event_id: format!("id-{}", e.detail),
                        }
                    }
                })
                .collect())
        }
    }

    fn named(n: usize) -> Vec<PublishEntry> {
        (0..n)
            .map(|i| PublishEntry {
                detail: format!("e{i}"),
                ..entry(0)
            })
            .collect()
    }

    fn fast_policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn retries_only_failed_entries_and_reports_the_rest() {
        let api = FakeApi {
            fail_times: 1,
            flaky: vec!["e3".into(), "e11".into()],
            permanent: vec!["e5".into()],
            calls: Mutex::new(vec![]),
        };
        let publisher = Publisher::new(api, fast_policy(3));
        let report = publisher.publish(&named(12)).await;
        assert_eq!(report.published.len(), 11);
        assert_eq!(report.failed.len(), 1);
        assert_eq!((report.failed[0].index, report.failed[0].attempts), (5, 1));
        assert!(report.failed[0].error.starts_with("MalformedDetail"));
        let calls = publisher.api().calls.lock().unwrap();
        assert_eq!(
            calls.len(),
            3,
            "two first-attempt batches, then one retry batch"
        );
        assert_eq!(calls[2], vec!["e3".to_string(), "e11".to_string()]);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let api = FakeApi {
            fail_times: 99,
            flaky: vec!["e0".into()],
            permanent: vec![],
            calls: Mutex::new(vec![]),
        };
        let report = Publisher::new(api, fast_policy(2)).publish(&named(2)).await;
        assert_eq!(report.published, vec![(1, "id-e1".to_string())]);
        assert_eq!(report.failed[0].attempts, 2);
        assert!(report.failed[0].error.contains("ThrottlingException"));
    }
}
