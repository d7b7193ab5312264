//! The attack suite: every forged, stale or malformed token is denied without panicking, and
//! valid RS256, ES256 and HS256 tokens are allowed with the right context.

use std::time::{SystemTime, UNIX_EPOCH};

use authorizer::{Config, Denial, KeyStore, authorize, verify};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use platform_aws::AwsError;
use platform_aws::secrets::SecretSource;
use serde_json::{Value, json};

const HS_SECRET: &str = "an-hs256-test-secret-of-at-least-32-bytes";
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "platform-api";
const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/orders";

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

struct FixedSecret;

impl SecretSource for FixedSecret {
    async fn fetch(&self, _secret_id: &str) -> Result<String, AwsError> {
        Ok(json!({"kid": "hs-1", "secret": HS_SECRET}).to_string())
    }
}

fn config() -> Config {
    Config {
        stage: "test".into(),
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        leeway_seconds: 30,
        secret_arn: "arn:secret".into(),
        jwks_json: None,
        jwks_url: None,
        policy_resource: None,
    }
}

fn keys() -> KeyStore<FixedSecret> {
    let jwks = String::from_utf8(key_file("jwks.json")).unwrap();
    KeyStore::new(Some(&jwks), None, FixedSecret, "arn:secret".into()).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims() -> Value {
    json!({"sub": "user-1", "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600, "scope": "orders:read orders:write"})
}

fn sign(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_der(&key_file("rsa_private.der")),
        Algorithm::ES256 => EncodingKey::from_ec_der(&key_file("ec_private.der")),
        Algorithm::HS256 => EncodingKey::from_secret(HS_SECRET.as_bytes()),
        other => panic!("{other:?}"),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    encode(&header, claims, &key).unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn check(token: &str) -> Result<authorizer::Claims, Denial> {
    verify(token, &keys(), &config()).await
}

#[tokio::test]
async fn valid_tokens_of_each_algorithm_are_allowed_with_context() {
    for (alg, kid) in [
        (Algorithm::RS256, "rsa-1"),
        (Algorithm::ES256, "ec-1"),
        (Algorithm::HS256, "hs-1"),
    ] {
        let token = sign(alg, kid, &claims());
        let event = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": METHOD_ARN});
        let (response, outcome) = authorize(&event, &keys(), &config()).await;
        assert_eq!(outcome, Ok(()), "{alg:?}");
        assert_eq!(response["principalId"], "user-1");
        assert_eq!(
            response["policyDocument"]["Statement"][0]["Effect"],
            "Allow"
        );
        assert_eq!(
            response["policyDocument"]["Statement"][0]["Resource"],
            METHOD_ARN
        );
        assert_eq!(
            response["context"],
            json!({"sub": "user-1", "scopes": "orders:read orders:write"})
        );
    }
}

#[tokio::test]
async fn request_authorizer_reads_the_authorization_header_and_configured_resource() {
    let token = sign(Algorithm::RS256, "rsa-1", &claims());
    let event = json!({"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"AUTHORIZATION": format!("bearer {token}")}});
    let mut config = config();
    config.policy_resource = Some("arn:aws:execute-api:us-east-1:123456789012:api/*".into());
    let (response, outcome) = authorize(&event, &keys(), &config).await;
    assert_eq!(outcome, Ok(()));
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Resource"],
        "arn:aws:execute-api:us-east-1:123456789012:api/*"
    );
    let (denied, outcome) = authorize(
        &json!({"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {}}),
        &keys(),
        &config,
    )
    .await;
    assert_eq!(outcome, Err(Denial::MissingToken));
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[tokio::test]
async fn alg_none_is_denied() {
    for alg in ["none", "None", "NONE"] {
        let token = format!(
            "{}.{}.",
            b64(&json!({"alg": alg, "kid": "rsa-1"})),
            b64(&claims())
        );
        assert_eq!(check(&token).await.unwrap_err(), Denial::Algorithm, "{alg}");
    }
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_denied() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let forged = encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(&key_file("rsa_public.pem")),
    )
    .unwrap();
    assert_eq!(check(&forged).await.unwrap_err(), Denial::UnknownKid);
    // The same forgery naming the HS key's kid fails its signature check.
    header.kid = Some("hs-1".into());
    let forged = encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(&key_file("rsa_public.pem")),
    )
    .unwrap();
    assert_eq!(check(&forged).await.unwrap_err(), Denial::Signature);
    // And an RS256 token cannot borrow the HS key's kid.
    let borrowed = sign(Algorithm::RS256, "hs-1", &claims());
    assert_eq!(check(&borrowed).await.unwrap_err(), Denial::UnknownKid);
    // ES256 token naming the RSA key: the key only accepts RS256.
    let crossed = sign(Algorithm::ES256, "rsa-1", &claims());
    assert_eq!(check(&crossed).await.unwrap_err(), Denial::Algorithm);
}

#[tokio::test]
async fn time_claims_are_enforced_with_leeway() {
    let mut c = claims();
    c["exp"] = json!(now() - 120);
    assert_eq!(
        check(&sign(Algorithm::RS256, "rsa-1", &c))
            .await
            .unwrap_err(),
        Denial::Expired
    );
    c["exp"] = json!(now() - 10);
    assert!(
        check(&sign(Algorithm::RS256, "rsa-1", &c)).await.is_ok(),
        "within leeway"
    );
    let mut c = claims();
    c["nbf"] = json!(now() + 120);
    assert_eq!(
        check(&sign(Algorithm::RS256, "rsa-1", &c))
            .await
            .unwrap_err(),
        Denial::NotYetValid
    );
    c["nbf"] = json!(now() + 10);
    assert!(
        check(&sign(Algorithm::RS256, "rsa-1", &c)).await.is_ok(),
        "within leeway"
    );
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(
        check(&sign(Algorithm::RS256, "rsa-1", &c))
            .await
            .unwrap_err(),
        Denial::MissingClaim("exp".into())
    );
}

#[tokio::test]
async fn wrong_issuer_audience_and_kid_are_denied() {
    let mut c = claims();
    c["iss"] = json!("https://evil.example");
    assert_eq!(
        check(&sign(Algorithm::RS256, "rsa-1", &c))
            .await
            .unwrap_err(),
        Denial::Issuer
    );
    let mut c = claims();
    c["aud"] = json!("other-api");
    assert_eq!(
        check(&sign(Algorithm::ES256, "ec-1", &c))
            .await
            .unwrap_err(),
        Denial::Audience
    );
    assert_eq!(
        check(&sign(Algorithm::RS256, "rsa-404", &claims()))
            .await
            .unwrap_err(),
        Denial::UnknownKid
    );
    assert_eq!(
        check(&sign(Algorithm::HS256, "hs-2", &claims()))
            .await
            .unwrap_err(),
        Denial::UnknownKid
    );
    let mut header = Header::new(Algorithm::RS256);
    header.kid = None;
    let no_kid = encode(
        &header,
        &claims(),
        &EncodingKey::from_rsa_der(&key_file("rsa_private.der")),
    )
    .unwrap();
    assert_eq!(check(&no_kid).await.unwrap_err(), Denial::UnknownKid);
}

#[tokio::test]
async fn tampered_signature_and_payload_are_denied() {
    for (alg, kid) in [
        (Algorithm::RS256, "rsa-1"),
        (Algorithm::ES256, "ec-1"),
        (Algorithm::HS256, "hs-1"),
    ] {
        let token = sign(alg, kid, &claims());
        let (head, signature) = token.rsplit_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
        bytes[5] ^= 0x01;
        let tampered = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(
            check(&tampered).await.unwrap_err(),
            Denial::Signature,
            "{alg:?}"
        );

        let parts: Vec<&str> = token.split('.').collect();
        let mut c = claims();
        c["sub"] = json!("admin");
        let forged = format!("{}.{}.{}", parts[0], b64(&c), parts[2]);
        assert_eq!(
            check(&forged).await.unwrap_err(),
            Denial::Signature,
            "{alg:?}"
        );
    }
}

#[tokio::test]
async fn malformed_and_oversized_tokens_are_denied_without_panicking() {
    let valid = sign(Algorithm::RS256, "rsa-1", &claims());
    let oversized = format!("{valid}{}", "A".repeat(authorizer::MAX_TOKEN_BYTES));
    assert_eq!(check(&oversized).await.unwrap_err(), Denial::Oversized);
    let cases = [
        String::new(),
        "abc".into(),
        "a.b".into(),
        "!!!.@@@.###".into(),
        format!("{}.!!!.sig", b64(&json!({"alg": "RS256", "kid": "rsa-1"}))),
        format!(
            "{}.{}.%%%",
            b64(&json!({"alg": "RS256", "kid": "rsa-1"})),
            b64(&claims())
        ),
        format!("{}.{}.", URL_SAFE_NO_PAD.encode("not json"), b64(&claims())),
        format!(
            "{}.{}.sig",
            b64(&json!({"alg": "RS256", "kid": "rsa-1"})),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe])
        ),
        format!(
            "{}.{}.sig",
            b64(&json!({"alg": "XX999", "kid": "rsa-1"})),
            b64(&claims())
        ),
        format!("{}.{}.sig", b64(&json!([1, 2])), b64(&claims())),
        "..".into(),
        "....".into(),
        "\u{0}\u{1}.\u{ffff}.é".into(),
    ];
    for token in cases {
        assert!(check(&token).await.is_err(), "{token:?} was accepted");
    }
    // Garbage events are denied, not errors.
    for event in [
        json!(null),
        json!([1]),
        json!({"authorizationToken": 5}),
        json!({"headers": "x"}),
    ] {
        let (response, outcome) = authorize(&event, &keys(), &config()).await;
        assert!(outcome.is_err());
        assert_eq!(response["policyDocument"]["Statement"][0]["Effect"], "Deny");
    }
}

#[test]
fn configuration_errors_name_every_variable() {
    use platform_telemetry::startup::EnvReader;
    let env = std::collections::HashMap::from([
        ("STAGE", "test"),
        ("JWT_LEEWAY_SECONDS", "forever"),
        (
            "JWKS_JSON",
            r#"{"keys":[{"kty":"oct","kid":"x","k":"AAAA"}]}"#,
        ),
    ]);
    let error = Config::from_env(EnvReader::new(|k| env.get(k).map(|v| v.to_string())))
        .unwrap_err()
        .to_string();
    for expected in [
        "JWT_ISSUER is required",
        "JWT_AUDIENCE is required",
        "JWT_SECRET_ARN is required",
        "JWT_LEEWAY_SECONDS=`forever`",
        "JWKS_JSON: JWKS: key `x`",
    ] {
        assert!(error.contains(expected), "{expected} missing from: {error}");
    }
}

#[test]
fn weak_or_malformed_hs_secrets_are_refused() {
    assert!(authorizer::keys::parse_hmac_secret("short").is_err());
    assert!(authorizer::keys::parse_hmac_secret(r#"{"secret": "no kid"}"#).is_err());
    let (kid, _) = authorizer::keys::parse_hmac_secret(HS_SECRET).unwrap();
    assert_eq!(kid, "default");
}
