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

/// The HS256 key `hs-1`.
struct FixedSecret(&'static str);

impl SecretSource for FixedSecret {
    async fn fetch(&self, _secret_id: &str) -> Result<String, AwsError> {
        Ok(json!({"kid": "hs-1", "secret": self.0}).to_string())
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
    KeyStore::new(
        Some(&jwks),
        None,
        FixedSecret(HS_SECRET),
        "arn:secret".into(),
    )
    .unwrap()
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

fn signing_key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_der(&key_file("rsa_private.der")),
        Algorithm::ES256 => EncodingKey::from_ec_der(&key_file("ec_private.der")),
        Algorithm::HS256 => EncodingKey::from_secret(HS_SECRET.as_bytes()),
        other => panic!("{other:?}"),
    }
}

fn sign(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    encode(&header, claims, &signing_key(alg)).unwrap()
}

/// A token carrying exactly these header and claims bytes, with a valid signature: what the
/// strictness tests deny is the shape, not the signature.
fn sign_raw(alg: Algorithm, header: &str, claims: impl AsRef<[u8]>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &signing_key(alg), alg).unwrap();
    format!("{input}.{signature}")
}

const RS_HEADER: &str = r#"{"alg":"RS256","kid":"rsa-1","typ":"JWT"}"#;

/// Valid claims as text; `EXP` stands for a time ten minutes ahead.
const CLAIMS: &str = r#"{"sub":"user-1","iss":"https://issuer.example","aud":"platform-api","exp":EXP,"scope":"orders:read"}"#;

fn valid_claims() -> String {
    CLAIMS.replace("EXP", &(now() + 600).to_string())
}

/// [`CLAIMS`] with `from` (which it must contain) replaced by `to`.
fn claims_with(from: &str, to: &str) -> String {
    assert!(CLAIMS.contains(from), "{from}");
    CLAIMS
        .replace(from, to)
        .replace("EXP", &(now() + 600).to_string())
}

/// The outcome for an RS256 token with this header text and the valid claims.
async fn header_outcome(header: &str) -> Result<(), Denial> {
    check(&sign_raw(Algorithm::RS256, header, valid_claims()))
        .await
        .map(drop)
}

/// The outcome for an RS256 token with the valid header and this claims text.
async fn claims_outcome(claims: &str) -> Result<(), Denial> {
    check(&sign_raw(Algorithm::RS256, RS_HEADER, claims))
        .await
        .map(drop)
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
        Denial::MissingClaim("exp")
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

#[tokio::test]
async fn raw_signed_tokens_of_the_valid_shape_are_allowed() {
    // The control for every strictness test below: the same construction, valid shape.
    assert_eq!(header_outcome(RS_HEADER).await, Ok(()));
    for (alg, header) in [
        (Algorithm::ES256, r#"{"alg":"ES256","kid":"ec-1"}"#),
        (Algorithm::HS256, r#"{"alg":"HS256","kid":"hs-1"}"#),
    ] {
        let token = sign_raw(alg, header, valid_claims());
        assert!(check(&token).await.is_ok(), "{alg:?}");
    }
}

#[tokio::test]
async fn crit_is_denied_unless_every_extension_is_understood() {
    // RFC 7515 §4.1.11. No extension is implemented, so every well-formed crit is refused.
    for (alg, kid) in [
        (Algorithm::RS256, "rsa-1"),
        (Algorithm::ES256, "ec-1"),
        (Algorithm::HS256, "hs-1"),
    ] {
        let header = format!(r#"{{"alg":"{alg:?}","kid":"{kid}","crit":["x-ext"],"x-ext":true}}"#);
        let token = sign_raw(alg, &header, valid_claims());
        assert_eq!(
            check(&token).await.unwrap_err(),
            Denial::UnsupportedCritical,
            "{alg:?}"
        );
    }
    // Naming a registered parameter, or the unencoded-payload option (RFC 7797).
    for crit in [r#"["exp"],"exp":1"#, r#"["b64"],"b64":false"#, r#"["kid"]"#] {
        let header = format!(r#"{{"alg":"RS256","kid":"rsa-1","crit":{crit}}}"#);
        assert_eq!(
            header_outcome(&header).await,
            Err(Denial::UnsupportedCritical),
            "{crit}"
        );
    }
    // Not a non-empty array of names.
    for crit in [
        "[]",
        r#""x-ext""#,
        "[1]",
        r#"["x-ext",null]"#,
        "null",
        "{}",
        "true",
    ] {
        let header = format!(r#"{{"alg":"RS256","kid":"rsa-1","crit":{crit}}}"#);
        assert_eq!(
            header_outcome(&header).await,
            Err(Denial::InvalidCritical),
            "{crit}"
        );
    }
}

#[tokio::test]
async fn iss_and_sub_must_be_single_strings() {
    let iss = r#""iss":"https://issuer.example""#;
    for wrong in [
        r#"["https://issuer.example"]"#,
        r#"["https://issuer.example","https://other.example"]"#,
        "[]",
        "5",
        "null",
        r#"{"iss":"https://issuer.example"}"#,
    ] {
        assert_eq!(
            claims_outcome(&claims_with(iss, &format!(r#""iss":{wrong}"#))).await,
            Err(Denial::ClaimType("iss")),
            "{wrong}"
        );
    }
    assert_eq!(
        claims_outcome(&claims_with(&format!("{iss},"), "")).await,
        Err(Denial::MissingClaim("iss"))
    );
    // StringOrURI values compare exactly (RFC 7519 §2), after JSON unescaping.
    assert_eq!(
        claims_outcome(&claims_with(iss, r#""iss":"https://ISSUER.example""#)).await,
        Err(Denial::Issuer)
    );
    assert_eq!(
        claims_outcome(&claims_with(iss, r#""iss":"https:\/\/issuer.example""#)).await,
        Ok(())
    );
    for wrong in ["5", r#"["user-1"]"#, "true"] {
        assert_eq!(
            claims_outcome(&claims_with(
                r#""sub":"user-1""#,
                &format!(r#""sub":{wrong}"#)
            ))
            .await,
            Err(Denial::ClaimType("sub")),
            "{wrong}"
        );
    }
}

#[tokio::test]
async fn aud_is_one_string_or_an_array_of_strings_naming_this_api() {
    let aud = r#""aud":"platform-api""#;
    for allowed in [r#"["platform-api"]"#, r#"["other-api","platform-api"]"#] {
        assert_eq!(
            claims_outcome(&claims_with(aud, &format!(r#""aud":{allowed}"#))).await,
            Ok(()),
            "{allowed}"
        );
    }
    for (shape, denial) in [
        ("[]", Denial::Audience),
        (r#"["other-api"]"#, Denial::Audience),
        (r#"["platform-api",5]"#, Denial::ClaimType("aud")),
        (r#"[["platform-api"]]"#, Denial::ClaimType("aud")),
        ("5", Denial::ClaimType("aud")),
        ("null", Denial::ClaimType("aud")),
        (r#"{"platform-api":true}"#, Denial::ClaimType("aud")),
    ] {
        assert_eq!(
            claims_outcome(&claims_with(aud, &format!(r#""aud":{shape}"#))).await,
            Err(denial),
            "{shape}"
        );
    }
    assert_eq!(
        claims_outcome(&claims_with(&format!("{aud},"), "")).await,
        Err(Denial::MissingClaim("aud"))
    );
}

#[tokio::test]
async fn numeric_dates_are_numbers_which_may_have_fractions() {
    let exp = r#""exp":EXP"#;
    let later = now() + 600;
    assert_eq!(
        claims_outcome(&claims_with(exp, &format!(r#""exp":{later}.75"#))).await,
        Ok(())
    );
    assert_eq!(
        claims_outcome(&claims_with(
            exp,
            r#""exp":EXP,"nbf":1.5,"iat":1700000000.25"#
        ))
        .await,
        Ok(())
    );
    for (shape, denial) in [
        (format!(r#""exp":"{later}""#), Denial::ClaimType("exp")),
        (r#""exp":true"#.to_string(), Denial::ClaimType("exp")),
        (r#""exp":null"#.to_string(), Denial::ClaimType("exp")),
        (format!(r#""exp":[{later}]"#), Denial::ClaimType("exp")),
        (
            r#""exp":EXP,"nbf":"0""#.to_string(),
            Denial::ClaimType("nbf"),
        ),
        (
            r#""exp":EXP,"iat":"1700000000""#.to_string(),
            Denial::ClaimType("iat"),
        ),
        (format!(r#""exp":{}.5"#, now() - 120), Denial::Expired),
    ] {
        assert_eq!(
            claims_outcome(&claims_with(exp, &shape)).await,
            Err(denial),
            "{shape}"
        );
    }
}

#[tokio::test]
async fn duplicate_names_in_header_or_claims_are_denied() {
    for header in [
        r#"{"alg":"RS256","kid":"rsa-1","kid":"rsa-1"}"#,
        r#"{"alg":"HS256","kid":"rsa-1","alg":"RS256"}"#,
        r#"{"alg":"RS256","kid":"rsa-1","x-ext":1,"x-ext":1}"#,
        // The same name after unescaping.
        r#"{"alg":"RS256","kid":"rsa-1","k\u0069d":"rsa-1"}"#,
    ] {
        assert_eq!(
            header_outcome(header).await,
            Err(Denial::DuplicateHeaderParameter),
            "{header}"
        );
    }
    for (from, to) in [
        (
            r#""iss":"https://issuer.example""#,
            r#""iss":"https://evil.example","iss":"https://issuer.example""#,
        ),
        (r#""sub":"user-1""#, r#""sub":"user-1","sub":"admin""#),
        (
            r#""sub":"user-1""#,
            r#""sub":"user-1","role":"user","role":"admin""#,
        ),
        (r#""sub":"user-1""#, r#""sub":"user-1","\u0073ub":"admin""#),
    ] {
        assert_eq!(
            claims_outcome(&claims_with(from, to)).await,
            Err(Denial::DuplicateClaim),
            "{to}"
        );
    }
    // Names inside a member's value are that member's business.
    assert_eq!(
        claims_outcome(&claims_with(
            r#""sub":"user-1""#,
            r#""sub":"user-1","realm":{"roles":["a"],"roles":["b"]}"#
        ))
        .await,
        Ok(())
    );
}

#[tokio::test]
async fn header_parameters_have_their_registered_types() {
    for (header, denial) in [
        (r#"{"alg":"RS256","kid":5}"#, Denial::HeaderType("kid")),
        (
            r#"{"alg":"RS256","kid":["rsa-1"]}"#,
            Denial::HeaderType("kid"),
        ),
        (
            r#"{"alg":["RS256"],"kid":"rsa-1"}"#,
            Denial::HeaderType("alg"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","typ":5}"#,
            Denial::HeaderType("typ"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","jku":5}"#,
            Denial::HeaderType("jku"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","x5u":{}}"#,
            Denial::HeaderType("x5u"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","x5t":1}"#,
            Denial::HeaderType("x5t"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","x5t#S256":[]}"#,
            Denial::HeaderType("x5t#S256"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","x5c":"MIIB"}"#,
            Denial::HeaderType("x5c"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","x5c":[]}"#,
            Denial::HeaderType("x5c"),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1","jwk":"key"}"#,
            Denial::HeaderType("jwk"),
        ),
        (r#"{"alg":"rs256","kid":"rsa-1"}"#, Denial::Algorithm),
        (r#"{"kid":"rsa-1"}"#, Denial::Algorithm),
        (r#"{"alg":"RS256"}"#, Denial::UnknownKid),
    ] {
        assert_eq!(header_outcome(header).await, Err(denial), "{header}");
    }
    // Well-typed key-carrying parameters are allowed and never used: the kid alone picks the
    // key. Unknown parameters are ignored (RFC 7515 §4); an escaped kid is the same kid.
    for header in [
        r#"{"alg":"RS256","kid":"rsa-1","x5t":"abc","x5c":["MIIB"],"jwk":{"kty":"oct","k":"AA"}}"#,
        r#"{"alg":"RS256","kid":"rsa-1","x-ext":[1,{"a":null}]}"#,
        r#"{"alg":"RS256","kid":"rsa\u002d1"}"#,
    ] {
        assert_eq!(header_outcome(header).await, Ok(()), "{header}");
    }
}

#[tokio::test]
async fn typ_must_name_a_jwt_and_cty_is_refused() {
    for typ in [
        "JWT",
        "jwt",
        "application/jwt",
        "at+jwt",
        "application/at+JWT",
    ] {
        let header = format!(r#"{{"alg":"RS256","kid":"rsa-1","typ":"{typ}"}}"#);
        assert_eq!(header_outcome(&header).await, Ok(()), "{typ}");
    }
    // Other kinds of JWT (RFC 8725 §3.11) and other media types.
    for typ in ["dpop+jwt", "secevent+jwt", "JOSE", "text/jwt", ""] {
        let header = format!(r#"{{"alg":"RS256","kid":"rsa-1","typ":"{typ}"}}"#);
        assert_eq!(
            header_outcome(&header).await,
            Err(Denial::TokenType),
            "{typ}"
        );
    }
    // A nested token (RFC 7519 §5.2): the outer signature says nothing about the inner claims.
    for cty in [r#""JWT""#, r#""json""#, "5"] {
        let header = format!(r#"{{"alg":"RS256","kid":"rsa-1","cty":{cty}}}"#);
        assert_eq!(
            header_outcome(&header).await,
            Err(Denial::ContentType),
            "{cty}"
        );
    }
}

#[tokio::test]
async fn other_claims_and_payload_shapes() {
    let sub = r#""sub":"user-1""#;
    let scope = r#""scope":"orders:read""#;
    for (from, to, denial) in [
        (sub, r#""sub":"user-1","jti":5"#, Denial::ClaimType("jti")),
        (
            scope,
            r#""scope":["orders:read"]"#,
            Denial::ClaimType("scope"),
        ),
        (scope, r#""scp":"orders:read""#, Denial::ClaimType("scp")),
        (
            scope,
            r#""scp":["orders:read",1]"#,
            Denial::ClaimType("scp"),
        ),
    ] {
        assert_eq!(
            claims_outcome(&claims_with(from, to)).await,
            Err(denial),
            "{to}"
        );
    }
    assert_eq!(
        claims_outcome(&claims_with(scope, r#""scp":["orders:read"],"jti":"id-1""#)).await,
        Ok(())
    );
    // A signed payload that is not one UTF-8 JSON object.
    let valid = valid_claims();
    let mut invalid_utf8 = valid.clone().into_bytes();
    invalid_utf8.splice(1..1, *b"\"x\":\"\xff\",");
    for payload in [
        format!("{valid} {{}}").into_bytes(),
        format!("[{valid}]").into_bytes(),
        b"\"token\"".to_vec(),
        invalid_utf8,
    ] {
        let token = sign_raw(Algorithm::RS256, RS_HEADER, &payload);
        assert!(
            matches!(check(&token).await, Err(Denial::Malformed(_))),
            "{}",
            String::from_utf8_lossy(&payload)
        );
    }
}

/// The fuzz seeds are signed with the fuzz target's HS256 key, so mutation starts past the
/// signature check: each must still reach the check it is named for.
#[tokio::test]
async fn fuzz_seeds_reach_the_check_they_are_named_for() {
    let jwks = String::from_utf8(key_file("jwks.json")).unwrap();
    let keys = KeyStore::new(
        Some(&jwks),
        None,
        FixedSecret("an-hs256-fuzz-secret-of-at-least-32-bytes"),
        "secret".into(),
    )
    .unwrap();
    let config = Config {
        issuer: "https://issuer".into(),
        audience: "api".into(),
        ..config()
    };
    let expected = [
        ("alg_none", Denial::Algorithm),
        ("rs256_shape", Denial::Signature),
        ("crit_unknown", Denial::UnsupportedCritical),
        ("crit_empty", Denial::InvalidCritical),
        ("crit_string", Denial::InvalidCritical),
        ("typ_dpop", Denial::TokenType),
        ("cty_nested", Denial::ContentType),
        ("kid_number", Denial::HeaderType("kid")),
        ("x5c_string", Denial::HeaderType("x5c")),
        ("header_duplicate_alg", Denial::DuplicateHeaderParameter),
        ("header_duplicate_escaped", Denial::DuplicateHeaderParameter),
        ("iss_array", Denial::ClaimType("iss")),
        ("sub_number", Denial::ClaimType("sub")),
        ("aud_empty", Denial::Audience),
        ("aud_mixed", Denial::ClaimType("aud")),
        ("exp_string", Denial::ClaimType("exp")),
        ("nbf_string", Denial::ClaimType("nbf")),
        ("iat_string", Denial::ClaimType("iat")),
        ("claims_duplicate_iss", Denial::DuplicateClaim),
        ("claims_not_utf8", Denial::Malformed("invalid UTF-8")),
        ("claims_trailing", Denial::Malformed("invalid JSON")),
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds/jwt_verify");
    let mut seeds: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    seeds.sort();
    let mut named: Vec<String> = expected.iter().map(|(name, _)| name.to_string()).collect();
    named.sort();
    assert_eq!(seeds, named, "every seed has an expected denial here");
    for (name, denial) in expected {
        let token = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        assert_eq!(
            verify(&token, &keys, &config).await.unwrap_err(),
            denial,
            "{name}"
        );
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
