//! Secrets Manager reads behind a time-bounded cache.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::AwsError;

/// Where secret values come from; implemented by the Secrets Manager client.
pub trait SecretSource: Send + Sync {
    fn fetch(&self, secret_id: &str) -> impl Future<Output = Result<String, AwsError>> + Send;
}

impl SecretSource for aws_sdk_secretsmanager::Client {
    async fn fetch(&self, secret_id: &str) -> Result<String, AwsError> {
        let output = self
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| AwsError::call("SecretsManager GetSecretValue", e))?;
        output
            .secret_string()
            .map(str::to_string)
            .ok_or(AwsError::Response {
                operation: "SecretsManager GetSecretValue",
                message: format!("secret `{secret_id}` has no string value"),
            })
    }
}

/// Caches each secret for `ttl`; a failed refresh is returned as an error (a stale value is
/// never served past its ttl, so a rotated or revoked key stops working within `ttl`).
pub struct CachedSecrets<S> {
    source: S,
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, String)>>,
}

impl<S: SecretSource> CachedSecrets<S> {
    pub fn new(source: S, ttl: Duration) -> Self {
        Self {
            source,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The secret's string value, from the cache when fresh.
    pub async fn get(&self, secret_id: &str) -> Result<String, AwsError> {
        self.get_at(secret_id, Instant::now()).await
    }

    async fn get_at(&self, secret_id: &str, now: Instant) -> Result<String, AwsError> {
        // Held across the fetch so concurrent misses make one call, not many.
        let mut entries = self.entries.lock().await;
        if let Some((fetched, value)) = entries.get(secret_id)
            && now.saturating_duration_since(*fetched) < self.ttl
        {
            return Ok(value.clone());
        }
        let value = self.source.fetch(secret_id).await?;
        entries.insert(secret_id.to_string(), (now, value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl SecretSource for Counting {
        async fn fetch(&self, secret_id: &str) -> Result<String, AwsError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(format!("{secret_id}-v{n}"))
        }
    }

    #[tokio::test]
    async fn serves_from_cache_until_the_ttl_passes() {
        let cache = CachedSecrets::new(Counting(AtomicUsize::new(0)), Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(cache.get_at("k", t0).await.unwrap(), "k-v0");
        assert_eq!(
            cache
                .get_at("k", t0 + Duration::from_secs(59))
                .await
                .unwrap(),
            "k-v0"
        );
        assert_eq!(cache.get_at("other", t0).await.unwrap(), "other-v1");
        assert_eq!(
            cache
                .get_at("k", t0 + Duration::from_secs(60))
                .await
                .unwrap(),
            "k-v2"
        );
    }
}
