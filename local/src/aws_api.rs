//! Signed calls to the emulator's control-plane APIs the workspace has no SDK crate for
//! (Lambda, API Gateway, DynamoDB Streams, Secrets Manager's CreateSecret): SigV4 with
//! `aws-sigv4` over `platform_aws::http`, as the authorizer's secret reader does. The data
//! plane (EventBridge, SQS, DynamoDB) goes through the SDK clients in [`sdk_config`].

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http_body_util::Full;
use hyper::body::Bytes;
use platform_aws::http::HttpClient;
use serde_json::Value;

/// The static credentials every local process uses (the emulator checks no signature, but
/// reads the region from the credential scope).
pub const ACCESS_KEY: &str = "local";
pub const SECRET_KEY: &str = "local-secret";

const CALL_TIMEOUT: Duration = Duration::from_secs(15);
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A failed control-plane call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{operation}: {message}")]
    Call { operation: String, message: String },
    #[error("{operation} answered {status}: {body}")]
    Status {
        operation: String,
        status: u16,
        body: String,
    },
}

/// SDK configuration for one region of the emulator.
pub async fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "local",
        ))
        .load()
        .await
}

/// Signed JSON calls to one region of the emulator.
pub struct SignedClient {
    http: HttpClient,
    endpoint: String,
    region: String,
    credentials: Credentials,
}

impl SignedClient {
    pub fn new(endpoint: &str, region: &str) -> Self {
        Self {
            http: HttpClient::new(MAX_RESPONSE_BYTES),
            endpoint: endpoint.trim_end_matches('/').to_string(),
            region: region.to_string(),
            credentials: Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "local"),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// An AWS JSON protocol call (`X-Amz-Target`), e.g. `("dynamodb", "1.0",
    /// "DynamoDBStreams_20120810.GetRecords", body)`.
    pub async fn json(
        &self,
        service: &str,
        json_version: &str,
        target: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let content_type = format!("application/x-amz-json-{json_version}");
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.call(
            target,
            service,
            "POST",
            "/",
            &[("content-type", &content_type), ("x-amz-target", target)],
            &bytes,
        )
        .await
    }

    /// A REST-JSON call (Lambda, API Gateway): `GET /2015-03-31/functions/{name}/configuration`.
    pub async fn rest(
        &self,
        service: &str,
        method: &str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        let operation = format!("{service} {method} {path_and_query}");
        self.call(
            &operation,
            service,
            method,
            path_and_query,
            &[("content-type", "application/json")],
            &bytes,
        )
        .await
    }

    async fn call(
        &self,
        operation: &str,
        service: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let failed = |message: String| ApiError::Call {
            operation: operation.to_string(),
            message,
        };
        let url = format!("{}{path_and_query}", self.endpoint);
        let host = url
            .parse::<hyper::Uri>()
            .ok()
            .and_then(|u| u.authority().map(|a| a.to_string()))
            .ok_or_else(|| failed(format!("`{url}` is not a URL")))?;
        let mut all_headers = vec![("host", host.as_str())];
        all_headers.extend_from_slice(headers);
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| failed(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url.as_str(),
            all_headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| failed(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| failed(e.to_string()))?
            .into_parts();
        let mut builder = hyper::Request::builder().method(method).uri(url.as_str());
        for (name, value) in &all_headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| failed(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        let response = self
            .http
            .send(request, CALL_TIMEOUT)
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !(200..300).contains(&response.status) {
            return Err(ApiError::Status {
                operation: operation.to_string(),
                status: response.status,
                body: String::from_utf8_lossy(&response.body).into_owned(),
            });
        }
        if response.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&response.body).map_err(|e| failed(format!("reading JSON: {e}")))
    }
}

/// Percent-encodes one path segment or query value (unreserved characters kept).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
