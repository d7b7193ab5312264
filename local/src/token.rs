//! Test tokens the deployed authorizer accepts: HS256 with the signing secret it reads (a bare
//! secret, whose key id is `default`), its issuer and audience.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

/// The key id of a bare secret in Secrets Manager (functions/README.md, authorizer).
pub const BARE_SECRET_KID: &str = "default";

/// What a token says.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub issuer: String,
    pub audience: String,
    pub subject: String,
    pub scope: String,
    pub lifetime_seconds: u64,
}

/// Signs `request` with `secret`.
pub fn mint(secret: &str, request: &TokenRequest) -> Result<String, jsonwebtoken::errors::Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(BARE_SECRET_KID.to_string());
    header.typ = Some("JWT".to_string());
    let claims = json!({
        "iss": request.issuer,
        "aud": request.audience,
        "sub": request.subject,
        "scope": request.scope,
        "iat": now,
        "exp": now + request.lifetime_seconds,
    });
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

/// A random alphanumeric secret of `length` characters (the template asks Secrets Manager for
/// 64 without punctuation), from the kernel's CSPRNG: the platform may listen on loopback for
/// hours, so its signing key should not be guessable.
pub fn random_secret(length: usize) -> std::io::Result<String> {
    use std::io::Read as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut urandom = std::fs::File::open("/dev/urandom")?;
    let mut out = String::with_capacity(length);
    let mut byte = [0u8; 1];
    while out.len() < length {
        urandom.read_exact(&mut byte)?;
        // 248 = 4 x 62: rejecting the rest keeps every character equally likely.
        if byte[0] < 248 {
            out.push(ALPHABET[usize::from(byte[0]) % ALPHABET.len()] as char);
        }
    }
    Ok(out)
}

/// A token for the running platform described by `endpoints`: the signing secret read from
/// its Secrets Manager (through its AWS endpoint), the region's issuer and audience, one hour.
pub async fn mint_for(
    endpoints: &crate::Endpoints,
    region: &crate::RegionEndpoints,
    subject: &str,
) -> anyhow::Result<String> {
    use platform_aws::secrets::SecretSource as _;
    let source = platform_aws::secrets::SecretsManager::new(
        Some(&endpoints.aws),
        &region.region,
        aws_credential_types::Credentials::new(
            crate::aws_api::ACCESS_KEY,
            crate::aws_api::SECRET_KEY,
            None,
            None,
            "local",
        ),
    );
    let secret = source.fetch(&region.jwt_secret_arn).await?;
    Ok(mint(
        &secret,
        &TokenRequest {
            issuer: region.jwt_issuer.clone(),
            audience: region.jwt_audience.clone(),
            subject: subject.to_string(),
            scope: "local".to_string(),
            lifetime_seconds: 3600,
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_alphanumeric_and_differ() {
        let (a, b) = (random_secret(64).unwrap(), random_secret(64).unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }
}
