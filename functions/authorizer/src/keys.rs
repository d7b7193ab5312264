//! Verification keys: RS256/ES256 from a JWKS (inline and/or URL, cached), HS256 from a
//! Secrets Manager secret (cached). Each key carries the one algorithm it may verify.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use platform_aws::http::HttpClient;
use platform_aws::secrets::{CachedSecrets, SecretSource};
use serde::Deserialize;
use tokio::sync::Mutex;

/// How long a fetched JWKS is trusted before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(600);
/// An unknown kid refetches the JWKS (key rotation) at most this often.
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);
const JWKS_TIMEOUT: Duration = Duration::from_secs(2);
const JWKS_MAX_BYTES: usize = 256 * 1024;
/// HS256 secrets are re-read this often, so a rotation takes effect within it.
pub const SECRET_TTL: Duration = Duration::from_secs(300);

/// A key and the only algorithm it verifies.
pub struct VerifyingKey {
    pub algorithm: Algorithm,
    pub decoding: DecodingKey,
}

/// Keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("JWKS: {0}")]
    Jwks(String),
    #[error("HS256 secret: {0}")]
    Secret(String),
}

/// Looks up the key a token's `kid` names, for the algorithm its header claims.
pub trait Keys: Send + Sync {
    fn key(
        &self,
        kid: &str,
        algorithm: Algorithm,
    ) -> impl Future<Output = Result<Option<Arc<VerifyingKey>>, KeyError>> + Send;
}

/// Parses a JWKS, keeping RS256 and ES256 (P-256) signing keys by kid. Symmetric (`oct`) keys
/// are refused here: the HS256 key comes only from Secrets Manager.
pub fn parse_jwks(json: &str) -> Result<HashMap<String, Arc<VerifyingKey>>, KeyError> {
    let set: JwkSet = serde_json::from_str(json).map_err(|e| KeyError::Jwks(e.to_string()))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            return Err(KeyError::Jwks("a key has no kid".into()));
        };
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            _ => {
                return Err(KeyError::Jwks(format!(
                    "key `{kid}`: only RS256 (RSA) and ES256 (P-256) keys are accepted"
                )));
            }
        };
        let decoding =
            DecodingKey::from_jwk(jwk).map_err(|e| KeyError::Jwks(format!("key `{kid}`: {e}")))?;
        if keys
            .insert(
                kid.clone(),
                Arc::new(VerifyingKey {
                    algorithm,
                    decoding,
                }),
            )
            .is_some()
        {
            return Err(KeyError::Jwks(format!("kid `{kid}` appears twice")));
        }
    }
    Ok(keys)
}

#[derive(Deserialize)]
struct HmacSecret {
    kid: String,
    secret: String,
}

/// The kid and bytes of the HS256 key: `{"kid": "...", "secret": "..."}`, or a bare secret
/// whose kid is `default`.
pub fn parse_hmac_secret(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    let (kid, secret) = match serde_json::from_str::<HmacSecret>(text) {
        Ok(parsed) => (parsed.kid, parsed.secret),
        Err(_) if text.trim_start().starts_with('{') => {
            return Err(KeyError::Secret(
                "JSON secret must be {\"kid\": ..., \"secret\": ...}".into(),
            ));
        }
        Err(_) => ("default".to_string(), text.to_string()),
    };
    // RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
    if secret.len() < 32 {
        return Err(KeyError::Secret("the key must be at least 32 bytes".into()));
    }
    Ok((kid, secret.into_bytes()))
}

struct FetchedJwks {
    fetched_at: Instant,
    keys: HashMap<String, Arc<VerifyingKey>>,
}

/// The production key source.
pub struct KeyStore<S> {
    inline: HashMap<String, Arc<VerifyingKey>>,
    jwks_url: Option<(String, HttpClient)>,
    fetched: Mutex<Option<FetchedJwks>>,
    secrets: CachedSecrets<S>,
    secret_id: String,
}

impl<S: SecretSource> KeyStore<S> {
    pub fn new(
        inline_jwks: Option<&str>,
        jwks_url: Option<String>,
        secrets: S,
        secret_id: String,
    ) -> Result<Self, KeyError> {
        let inline = inline_jwks.map(parse_jwks).transpose()?.unwrap_or_default();
        let jwks_url = jwks_url.map(|url| (url, HttpClient::new(JWKS_MAX_BYTES)));
        Ok(Self {
            inline,
            jwks_url,
            fetched: Mutex::new(None),
            secrets: CachedSecrets::new(secrets, SECRET_TTL),
            secret_id,
        })
    }

    async fn url_key(&self, kid: &str) -> Result<Option<Arc<VerifyingKey>>, KeyError> {
        let Some((url, http)) = &self.jwks_url else {
            return Ok(None);
        };
        let mut fetched = self.fetched.lock().await;
        let now = Instant::now();
        let age = fetched.as_ref().map(|f| now.duration_since(f.fetched_at));
        let known = fetched.as_ref().and_then(|f| f.keys.get(kid).cloned());
        let stale = age.is_none_or(|a| a >= JWKS_TTL);
        let may_refetch_for_rotation = known.is_none() && age.is_none_or(|a| a >= JWKS_MIN_REFETCH);
        if !stale && !may_refetch_for_rotation {
            return Ok(known);
        }
        let response = http
            .get(url, JWKS_TIMEOUT)
            .await
            .map_err(|e| KeyError::Jwks(e.to_string()))?;
        if response.status != 200 {
            return Err(KeyError::Jwks(format!(
                "GET {url} answered {}",
                response.status
            )));
        }
        let text =
            String::from_utf8(response.body).map_err(|_| KeyError::Jwks("not UTF-8".into()))?;
        let keys = parse_jwks(&text)?;
        let key = keys.get(kid).cloned();
        *fetched = Some(FetchedJwks {
            fetched_at: now,
            keys,
        });
        Ok(key)
    }
}

impl<S: SecretSource> Keys for KeyStore<S> {
    async fn key(
        &self,
        kid: &str,
        algorithm: Algorithm,
    ) -> Result<Option<Arc<VerifyingKey>>, KeyError> {
        match algorithm {
            Algorithm::HS256 => {
                let text = self
                    .secrets
                    .get(&self.secret_id)
                    .await
                    .map_err(|e| KeyError::Secret(e.to_string()))?;
                let (secret_kid, bytes) = parse_hmac_secret(&text)?;
                Ok((secret_kid == kid).then(|| {
                    Arc::new(VerifyingKey {
                        algorithm: Algorithm::HS256,
                        decoding: DecodingKey::from_secret(&bytes),
                    })
                }))
            }
            _ => match self.inline.get(kid) {
                Some(key) => Ok(Some(Arc::clone(key))),
                None => self.url_key(kid).await,
            },
        }
    }
}
