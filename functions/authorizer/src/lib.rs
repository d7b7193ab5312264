//! API Gateway Lambda authorizer: verifies a JWT and answers with an IAM policy.
//!
//! Contract (see `functions/README.md`):
//! - Input: a TOKEN event (`authorizationToken`, `methodArn`) or a REQUEST event whose
//!   `Authorization` header carries the token; `Bearer ` is optional.
//! - Keys: RS256/ES256 public keys from a JWKS (inline `JWKS_JSON` and/or `JWKS_URL`, cached),
//!   and one HS256 key from the Secrets Manager secret `JWT_SECRET_ARN` (cached), whose value is
//!   `{"kid": "...", "secret": "..."}` or a bare secret (kid `default`).
//! - A token's `kid` selects exactly one key, and that key accepts only its own algorithm, so
//!   `none`, HS/RS confusion and cross-key use are all rejected.
//! - `iss`, `aud`, `exp` are required; `exp`/`nbf` allow `JWT_LEEWAY_SECONDS` of skew.
//! - The header and claims are read strictly (module `jose`): duplicate names, registered
//!   members of the wrong type, an `iss` array, any `crit`, a non-JWT `typ` and `cty` are denied.
//! - Output: `Allow` on `JWT_POLICY_RESOURCE` (default: the `methodArn`) with context
//!   `{sub, scopes}`, otherwise `Deny`. The token is never logged.

mod jose;
pub mod keys;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use platform_contract as contract;
use platform_telemetry::startup::{ConfigError, EnvReader};
use serde::Deserialize;
use serde_json::{Value, json};

pub use keys::{KeyError, KeyStore, Keys};

/// Tokens longer than this are refused before any parsing (real tokens are < 2 KB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The authorizer's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub stage: String,
    pub issuer: String,
    pub audience: String,
    pub leeway_seconds: u64,
    pub secret_arn: String,
    pub jwks_json: Option<String>,
    pub jwks_url: Option<String>,
    pub policy_resource: Option<String>,
}

impl Config {
    pub fn from_env(mut env: EnvReader<'_>) -> Result<Self, ConfigError> {
        let config = Self {
            stage: env.required(contract::STAGE),
            issuer: env.required(contract::JWT_ISSUER),
            audience: env.required(contract::JWT_AUDIENCE),
            leeway_seconds: env.parse_or(contract::JWT_LEEWAY_SECONDS, 30),
            secret_arn: env.required(contract::JWT_SECRET_ARN),
            jwks_json: env.optional(contract::JWKS_JSON),
            jwks_url: env.optional(contract::JWKS_URL),
            policy_resource: env.optional(contract::JWT_POLICY_RESOURCE),
        };
        if config.leeway_seconds > 300 {
            env.problem(format!(
                "{} must be at most 300 seconds",
                contract::JWT_LEEWAY_SECONDS
            ));
        }
        if let Some(json) = &config.jwks_json
            && let Err(e) = keys::parse_jwks(json)
        {
            env.problem(format!("{}: {e}", contract::JWKS_JSON));
        }
        env.finish("authorizer")?;
        Ok(config)
    }
}

/// Why a request was denied. Carries no token material, so it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("no token")]
    MissingToken,
    #[error("token longer than {MAX_TOKEN_BYTES} bytes")]
    Oversized,
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("duplicate header parameter")]
    DuplicateHeaderParameter,
    #[error("header parameter {0} has the wrong type")]
    HeaderType(&'static str),
    #[error("crit names an extension this authorizer does not implement")]
    UnsupportedCritical,
    #[error("crit is not a non-empty array of names")]
    InvalidCritical,
    #[error("typ is not a JWT type")]
    TokenType,
    #[error("cty present: nested or non-JWT content")]
    ContentType,
    #[error("unknown kid")]
    UnknownKid,
    #[error("invalid signature")]
    Signature,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("missing required claim {0}")]
    MissingClaim(&'static str),
    #[error("duplicate claim")]
    DuplicateClaim,
    #[error("claim {0} has the wrong type")]
    ClaimType(&'static str),
    #[error("keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// The claims the authorizer passes on, from a token that passed every check.
#[derive(Debug, Clone)]
pub struct Claims {
    pub sub: Option<String>,
    /// Space-separated scopes (OAuth 2 `scope`).
    pub scope: Option<String>,
    /// Array form used by some issuers.
    pub scp: Option<Vec<String>>,
}

impl Claims {
    pub fn scopes(&self) -> String {
        match (&self.scope, &self.scp) {
            (Some(scope), _) => scope.clone(),
            (None, Some(list)) => list.join(" "),
            (None, None) => String::new(),
        }
    }
}

/// The parts of a TOKEN or REQUEST authorizer event that are used.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizerEvent {
    #[serde(default)]
    authorization_token: Option<String>,
    #[serde(default)]
    method_arn: Option<String>,
    #[serde(default)]
    headers: Option<serde_json::Map<String, Value>>,
}

/// The token of a TOKEN event, or of a REQUEST event's `Authorization` header, without the
/// optional `Bearer ` prefix.
pub fn extract_token(event: &Value) -> (Option<String>, Option<String>) {
    let parsed: AuthorizerEvent = serde_json::from_value(event.clone()).unwrap_or_default();
    let raw = parsed.authorization_token.or_else(|| {
        parsed.headers.and_then(|headers| {
            headers
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .and_then(|(_, value)| value.as_str().map(str::to_string))
        })
    });
    let token = raw.map(|raw| {
        let trimmed = raw.trim();
        match trimmed.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => {
                trimmed[7..].trim().to_string()
            }
            _ => trimmed.to_string(),
        }
    });
    (token, parsed.method_arn)
}

/// Verifies `token` against the key its `kid` names, enforcing that key's algorithm, then
/// reads its claims. The header is read before the signature is checked (it names the key);
/// the claims only after.
pub async fn verify<K: Keys>(token: &str, keys: &K, config: &Config) -> Result<Claims, Denial> {
    if token.is_empty() {
        return Err(Denial::MissingToken);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Denial::Oversized);
    }
    // RFC 7515 §7.1: header, payload and signature; a JWE (five parts) is not accepted.
    let mut parts = token.split('.');
    let (Some(header_part), Some(payload_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Denial::Malformed("not three dot-separated parts"));
    };
    let header_json = decode_part(header_part)?;
    let header = jose::Header::parse(&header_json)?;
    let key = keys
        .key(&header.kid, header.alg)
        .await
        .map_err(|e| Denial::KeysUnavailable(e.to_string()))?
        .ok_or(Denial::UnknownKid)?;
    if key.algorithm != header.alg {
        return Err(Denial::Algorithm);
    }
    // RFC 7515 §5.2: the signing input is the first two parts exactly as they were sent.
    let signing_input = &token[..header_part.len() + 1 + payload_part.len()];
    match jsonwebtoken::crypto::verify(
        signature_part,
        signing_input.as_bytes(),
        &key.decoding,
        key.algorithm,
    ) {
        Ok(true) => {}
        Ok(false) => return Err(Denial::Signature),
        Err(e) if matches!(e.kind(), ErrorKind::Base64(_)) => {
            return Err(Denial::Malformed("invalid base64url"));
        }
        // Otherwise the key is of another family than its algorithm, which `VerifyingKey`
        // rules out; deny all the same.
        Err(_) => return Err(Denial::Signature),
    }
    let claims_json = decode_part(payload_part)?;
    jose::claims(
        &claims_json,
        &jose::Expected {
            issuer: &config.issuer,
            audience: &config.audience,
            leeway_seconds: config.leeway_seconds,
            now: jsonwebtoken::get_current_timestamp(),
        },
    )
}

/// One base64url part (RFC 7515 §2: no padding) as UTF-8 text (RFC 7515 §5.2, RFC 7519 §7.2).
/// The whole part is checked for UTF-8 once, so skipped members cannot hide invalid bytes.
fn decode_part(part: &str) -> Result<String, Denial> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Denial::Malformed("invalid base64url"))?;
    String::from_utf8(bytes).map_err(|_| Denial::Malformed("invalid UTF-8"))
}

/// An API Gateway authorizer response.
pub fn policy(effect: &str, principal: &str, resource: &str, context: Option<Value>) -> Value {
    let mut response = json!({
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]
        }
    });
    if let Some(context) = context {
        response["context"] = context;
    }
    response
}

/// Handles one authorizer event: `Allow` with context, or `Deny`.
pub async fn authorize<K: Keys>(
    event: &Value,
    keys: &K,
    config: &Config,
) -> (Value, Result<(), Denial>) {
    let (token, method_arn) = extract_token(event);
    let resource = config
        .policy_resource
        .clone()
        .or(method_arn)
        .unwrap_or_else(|| "*".to_string());
    let outcome = match token {
        None => Err(Denial::MissingToken),
        Some(token) => verify(&token, keys, config).await,
    };
    match outcome {
        Ok(claims) => {
            let subject = claims.sub.clone().unwrap_or_default();
            let context = json!({"sub": subject, "scopes": claims.scopes()});
            (policy("Allow", &subject, &resource, Some(context)), Ok(()))
        }
        Err(denial) => (policy("Deny", "anonymous", &resource, None), Err(denial)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Every variable read is in the authorizer's contract, and every required one is read:
    /// the templates infra-gen renders from the same list set exactly what this reads.
    #[test]
    fn reads_exactly_its_contract() {
        let read = RefCell::new(Vec::new());
        let _ = Config::from_env(EnvReader::new(|name| {
            read.borrow_mut().push(name.to_string());
            None
        }));
        let contract = contract::env_contract("authorizer").unwrap();
        for name in read.borrow().iter() {
            assert!(
                contract.iter().any(|v| v.name == name),
                "{name} is not in the contract"
            );
        }
        for var in contract.iter().filter(|v| v.required) {
            assert!(
                read.borrow().iter().any(|n| n == var.name),
                "{} is never read",
                var.name
            );
        }
    }
}
