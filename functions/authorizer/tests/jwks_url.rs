//! Keys fetched from a JWKS URL: fetched once and cached, and an unknown kid does not make
//! every request refetch (an attacker cannot turn the authorizer into a request amplifier).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use authorizer::{Config, Denial, KeyStore, verify};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use platform_aws::AwsError;
use platform_aws::secrets::SecretSource;
use serde_json::json;

struct NoSecret;

impl SecretSource for NoSecret {
    async fn fetch(&self, _secret_id: &str) -> Result<String, AwsError> {
        Err(AwsError::Response {
            operation: "test",
            message: "no HS key in this test".into(),
        })
    }
}

/// Serves the test JWKS and counts requests.
fn jwks_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let body =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/jwks.json"))
            .unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (url, hits)
}

fn token(kid: &str) -> String {
    let key = EncodingKey::from_rsa_der(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/keys/rsa_private.der"
        ))
        .unwrap(),
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(
        &header,
        &json!({"sub": "u", "iss": "i", "aud": "a", "exp": now + 60}),
        &key,
    )
    .unwrap()
}

#[tokio::test]
async fn jwks_from_a_url_is_fetched_once_and_cached() {
    let (url, hits) = jwks_server();
    let keys = KeyStore::new(None, Some(url), NoSecret, "s".into()).unwrap();
    let config = Config {
        stage: "t".into(),
        issuer: "i".into(),
        audience: "a".into(),
        leeway_seconds: 0,
        secret_arn: "s".into(),
        jwks_json: None,
        jwks_url: None,
        policy_resource: None,
    };
    for _ in 0..3 {
        assert!(verify(&token("rsa-1"), &keys, &config).await.is_ok());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    for _ in 0..3 {
        assert_eq!(
            verify(&token("rotated-kid"), &keys, &config)
                .await
                .unwrap_err(),
            Denial::UnknownKid
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "unknown kids refetch at most every 30 s"
    );
    // An HS256 token with the secret unavailable is denied, not an error or a panic.
    let hs = encode(
        &Header {
            kid: Some("hs".into()),
            ..Header::new(Algorithm::HS256)
        },
        &json!({}),
        &EncodingKey::from_secret(b"x"),
    )
    .unwrap();
    assert!(matches!(
        verify(&hs, &keys, &config).await.unwrap_err(),
        Denial::KeysUnavailable(_)
    ));
}
