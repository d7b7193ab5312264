//! Secrets Manager reads behind a time-bounded cache.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http_body_util::Full;
use hyper::body::Bytes;
use tokio::sync::Mutex;

use crate::http::HttpClient;
use crate::retry::RetryPolicy;
use crate::{AwsError, Failure};

/// Where secret values come from; implemented by [`SecretsManager`].
pub trait SecretSource: Send + Sync {
    fn fetch(&self, secret_id: &str) -> impl Future<Output = Result<String, AwsError>> + Send;
}

/// Secrets Manager's `GetSecretValue`, spoken directly: an AWS JSON 1.1 POST signed with SigV4
/// and sent over [`HttpClient`]. The authorizer needs this one call, and the SDK behind it was
/// most of its zip and of its cold start; the wire protocol is the same, so it runs unchanged
/// against AWS and the local emulator.
pub struct SecretsManager {
    http: HttpClient,
    endpoint: String,
    /// The endpoint's authority, signed as the `host` header; `None` when it is not a URL.
    host: Option<String>,
    region: String,
    credentials: Credentials,
    retry: RetryPolicy,
}

/// The credentials and place a signed call needs, as the AWS SDKs read them from the
/// environment (Lambda sets all of these for the execution role).
const ENV_REGION: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];
const ENV_ENDPOINT: [&str; 2] = ["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"];
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_RESPONSE_BYTES: usize = 128 * 1024;
const OPERATION: &str = "SecretsManager GetSecretValue";

impl SecretsManager {
    /// Region, endpoint and credentials from the standard AWS environment variables; an error
    /// names the variable that is missing.
    pub fn from_env() -> Result<Self, AwsError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AwsError> {
        let missing = |what: &str| AwsError::Config {
            message: format!("{what} is not set"),
        };
        let region = ENV_REGION
            .iter()
            .find_map(|name| lookup(name))
            .ok_or_else(|| missing("AWS_REGION"))?;
        let access_key = lookup("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?;
        let secret_key =
            lookup("AWS_SECRET_ACCESS_KEY").ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?;
        let endpoint = ENV_ENDPOINT.iter().find_map(|name| lookup(name));
        Ok(Self::new(
            endpoint.as_deref(),
            &region,
            Credentials::new(
                access_key,
                secret_key,
                lookup("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ),
        ))
    }

    /// A client for `region`, at `endpoint` when given (an emulator), else the regional AWS
    /// endpoint.
    pub fn new(endpoint: Option<&str>, region: &str, credentials: Credentials) -> Self {
        let endpoint = endpoint.map_or_else(
            || format!("https://secretsmanager.{region}.amazonaws.com/"),
            |url| format!("{}/", url.trim_end_matches('/')),
        );
        let host = endpoint
            .parse::<hyper::Uri>()
            .ok()
            .and_then(|uri| uri.authority().map(|a| a.to_string()));
        Self {
            http: HttpClient::new(MAX_RESPONSE_BYTES),
            endpoint,
            host,
            region: region.to_string(),
            credentials,
            retry: RetryPolicy::default(),
        }
    }

    fn signed_request(&self, body: &[u8]) -> Result<hyper::Request<Full<Bytes>>, AwsError> {
        let signing_error = |e: &dyn std::fmt::Display| AwsError::Call {
            operation: OPERATION,
            message: format!("signing the request: {e}"),
            failure: Failure::Permanent,
        };
        let host = self.host.as_deref().ok_or_else(|| AwsError::Config {
            message: format!("endpoint `{}` is not a URL", self.endpoint),
        })?;
        let headers = [
            ("host", host),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ];
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("secretsmanager")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| signing_error(&e))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| signing_error(&e))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| signing_error(&e))?
            .into_parts();
        let mut builder = hyper::Request::post(self.endpoint.as_str());
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let mut request = builder
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| signing_error(&e))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }

    async fn call_once(&self, body: &[u8]) -> Result<String, AwsError> {
        let request = self.signed_request(body)?;
        let response = self
            .http
            .send(request, CALL_TIMEOUT)
            .await
            .map_err(|e| AwsError::Call {
                operation: OPERATION,
                failure: if e.is_transient() {
                    Failure::Transient
                } else {
                    Failure::Permanent
                },
                message: e.to_string(),
            })?;
        if response.status == 200 {
            let value: GetSecretValueOutput =
                serde_json::from_slice(&response.body).map_err(|e| AwsError::Response {
                    operation: OPERATION,
                    message: e.to_string(),
                })?;
            return value.secret_string.ok_or(AwsError::Response {
                operation: OPERATION,
                message: "the secret has no string value".into(),
            });
        }
        let failure: ServiceError = serde_json::from_slice(&response.body).unwrap_or_default();
        // `__type` may carry a namespace (`com.amazonaws...#Code`); the code is what follows `#`.
        let code = failure
            .kind
            .rsplit('#')
            .next()
            .unwrap_or_default()
            .to_string();
        Err(AwsError::Call {
            operation: OPERATION,
            message: format!(
                "{} {code}: {}",
                response.status,
                failure.message.unwrap_or_default()
            ),
            failure: if response.status >= 500 || code.contains("Throttling") {
                Failure::Transient
            } else {
                Failure::Permanent
            },
        })
    }
}

#[derive(serde::Deserialize)]
struct GetSecretValueOutput {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
}

#[derive(Default, serde::Deserialize)]
struct ServiceError {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(alias = "Message")]
    message: Option<String>,
}

impl SecretSource for SecretsManager {
    async fn fetch(&self, secret_id: &str) -> Result<String, AwsError> {
        let body = serde_json::json!({ "SecretId": secret_id }).to_string();
        let mut attempt = 1;
        loop {
            match self.call_once(body.as_bytes()).await {
                Ok(value) => return Ok(value),
                Err(error) if error.is_transient() && attempt < self.retry.max_attempts => {
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
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

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn client_from_the_standard_environment() {
        let keys = [("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK")];
        let aws =
            SecretsManager::from_lookup(lookup(&[keys[0], keys[1], ("AWS_REGION", "eu-west-1")]))
                .unwrap();
        assert_eq!(
            aws.endpoint,
            "https://secretsmanager.eu-west-1.amazonaws.com/"
        );
        let local = SecretsManager::from_lookup(lookup(&[
            keys[0],
            keys[1],
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
        ]))
        .unwrap();
        assert_eq!(
            (local.endpoint.as_str(), local.region.as_str()),
            ("http://127.0.0.1:5000/", "us-east-1")
        );
        let specific = SecretsManager::from_lookup(lookup(&[
            keys[0],
            keys[1],
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:6000"),
        ]))
        .unwrap();
        assert_eq!(specific.endpoint, "http://127.0.0.1:6000/");
    }

    #[test]
    fn a_missing_variable_is_named() {
        let error = SecretsManager::from_lookup(lookup(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AK"),
        ]))
        .err()
        .unwrap();
        assert!(
            error.to_string().contains("AWS_SECRET_ACCESS_KEY"),
            "{error}"
        );
        let error = SecretsManager::from_lookup(lookup(&[])).err().unwrap();
        assert!(error.to_string().contains("AWS_REGION"), "{error}");
    }

    #[test]
    fn requests_are_signed_for_secrets_manager() {
        let client = SecretsManager::new(
            Some("http://127.0.0.1:5000"),
            "us-east-1",
            Credentials::new("AK", "SK", Some("TOKEN".into()), None, "test"),
        );
        let request = client.signed_request(br#"{"SecretId":"s"}"#).unwrap();
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("host"), "127.0.0.1:5000");
        assert_eq!(header("x-amz-target"), "secretsmanager.GetSecretValue");
        assert_eq!(header("x-amz-security-token"), "TOKEN");
        let authorization = header("authorization");
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AK/")
                && authorization.contains("/us-east-1/secretsmanager/aws4_request")
                && authorization.contains("x-amz-target"),
            "{authorization}"
        );
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
