//! The release-shaped binary as a process behind the local Lambda Runtime API, reading its
//! HS256 key from the emulator's Secrets Manager.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use platform_contract as contract;
use serde_json::{Value, json};
use test_support::lambda_runtime_api::{RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const TIMEOUT: Duration = Duration::from_secs(20);
const HS_SECRET: &str = "process-test-hs256-secret-32-bytes-long!";

fn token(alg: Algorithm, kid: &str, issuer: &str) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_der(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/keys/rsa_private.der"
            ))
            .unwrap(),
        ),
        _ => EncodingKey::from_secret(HS_SECRET.as_bytes()),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    encode(
        &header,
        &json!({"sub": "svc-7", "iss": issuer, "aud": "api", "exp": now + 300, "scp": ["a", "b"]}),
        &key,
    )
    .unwrap()
}

/// An RS256 token with exactly this header and these claims, validly signed.
fn raw_token(header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = EncodingKey::from_rsa_der(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/keys/rsa_private.der"
        ))
        .unwrap(),
    );
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::RS256).unwrap();
    format!("{input}.{signature}")
}

fn invoke(api: &RuntimeApi, token: &str) -> Value {
    let event = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/x"});
    let body = api
        .invoke(event.to_string().as_bytes(), TIMEOUT)
        .unwrap()
        .into_response()
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn authorizes_through_the_runtime_api_with_keys_from_jwks_and_secrets_manager() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let secrets = aws_sdk_secretsmanager::Client::new(
        &test_support::aws::emulator_config(&endpoint, "us-east-1").await,
    );
    let secret_arn = secrets
        .create_secret()
        .name(unique_name("jwt"))
        .secret_string(json!({"kid": "hs-9", "secret": HS_SECRET}).to_string())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let jwks =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/jwks.json"))
            .unwrap();

    let api = RuntimeApi::start().unwrap();
    let mut env: Vec<(&str, String)> = emulator_aws_env(&endpoint, "us-east-1");
    env.extend([
        (contract::STAGE, "test".to_string()),
        (contract::JWT_ISSUER, "https://issuer".to_string()),
        (contract::JWT_AUDIENCE, "api".to_string()),
        (contract::JWT_SECRET_ARN, secret_arn),
        (contract::JWKS_JSON, jwks),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _process = api
        .spawn(
            env!("CARGO_BIN_EXE_authorizer").as_ref(),
            "authorizer",
            &env,
        )
        .unwrap();

    let allowed = invoke(&api, &token(Algorithm::RS256, "rsa-1", "https://issuer"));
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(allowed["context"], json!({"sub": "svc-7", "scopes": "a b"}));
    let hs = invoke(&api, &token(Algorithm::HS256, "hs-9", "https://issuer"));
    assert_eq!(hs["policyDocument"]["Statement"][0]["Effect"], "Allow");
    let wrong_issuer = invoke(&api, &token(Algorithm::HS256, "hs-9", "https://other"));
    assert_eq!(
        wrong_issuer["policyDocument"]["Statement"][0]["Effect"],
        "Deny"
    );
    let garbage = invoke(&api, "not-a-token");
    assert_eq!(garbage["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[test]
fn refuses_to_start_with_a_clear_error_when_configuration_is_missing() {
    let api = RuntimeApi::start().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_authorizer"))
        .env_clear()
        .envs(api.lambda_env("authorizer"))
        .env(contract::STAGE, "test")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in [
        contract::JWT_ISSUER,
        contract::JWT_AUDIENCE,
        contract::JWT_SECRET_ARN,
    ] {
        assert!(
            stderr.contains(&format!("{variable} is required")),
            "{stderr}"
        );
    }
}

#[test]
fn log_lines_carry_the_request_id_and_never_the_token() {
    let api = RuntimeApi::start().unwrap();
    let jwks =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/jwks.json"))
            .unwrap();
    let env = [
        (contract::STAGE, "test"),
        (contract::JWT_ISSUER, "https://issuer"),
        (contract::JWT_AUDIENCE, "api"),
        (
            contract::JWT_SECRET_ARN,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:unused",
        ),
        (contract::JWKS_JSON, jwks.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    let mut process = api
        .spawn_with(
            env!("CARGO_BIN_EXE_authorizer").as_ref(),
            "authorizer",
            &env,
            std::process::Stdio::piped(),
        )
        .unwrap();
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 300;
    let claims = json!({"sub": "svc-7", "iss": "https://issuer", "aud": "api", "exp": exp});
    let mut issuer_array = claims.clone();
    issuer_array["iss"] = json!(["https://issuer"]);
    // Each denied token and the reason its log line must carry.
    let denied = [
        (
            token(Algorithm::RS256, "rsa-1", "https://wrong-issuer"),
            "wrong issuer",
        ),
        (
            raw_token(
                &json!({"alg": "RS256", "kid": "rsa-1", "crit": ["x-ext"], "x-ext": 1}),
                &claims,
            ),
            "crit names an extension this authorizer does not implement",
        ),
        (
            raw_token(&json!({"alg": "RS256", "kid": "rsa-1"}), &issuer_array),
            "claim iss has the wrong type",
        ),
    ];
    for (jwt, _) in &denied {
        let answer = invoke(&api, jwt);
        assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
    }
    process.child.kill().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(process.child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let denial_lines: Vec<Value> = stdout
        .lines()
        .filter(|l| l.contains("\"denied\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(denial_lines.len(), denied.len(), "{stdout}");
    for (line, (jwt, reason)) in denial_lines.iter().zip(&denied) {
        assert_eq!(line["fields"]["reason"], *reason);
        assert!(
            line["span"]["requestId"]
                .as_str()
                .unwrap()
                .starts_with("req-"),
            "{line}"
        );
        let signature = jwt.rsplit('.').next().unwrap();
        assert!(
            !stdout.contains(signature) && !stdout.contains(&jwt[..20]),
            "a log line contains the token"
        );
    }
    assert!(
        stdout.contains("\"lambda_invocations_total\":1.0"),
        "no EMF line:\n{stdout}"
    );
}
