//! The AWS endpoint every local process uses: a pass-through to the emulator that can take one
//! region's AWS out. The emulator serves both regions of the environment's account in one
//! process, so a region outage cannot be had by stopping it; the gateway reads the region from
//! each request's SigV4 credential scope and answers 503 `ServiceUnavailable` for a region
//! that is down (what a caller of an unavailable regional endpoint sees: a transient error).

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The regions currently down, shared with the platform.
pub type DownRegions = Arc<RwLock<BTreeSet<String>>>;

pub struct Gateway {
    /// `http://127.0.0.1:PORT` of the emulator.
    upstream: String,
    client: Client<HttpConnector, Full<Bytes>>,
    down: DownRegions,
}

impl Gateway {
    pub fn new(upstream: String, down: DownRegions) -> Self {
        Self {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
            down,
        }
    }
}

pub fn router(gateway: Arc<Gateway>) -> axum::Router {
    axum::Router::new().fallback(forward).with_state(gateway)
}

/// The region of a SigV4 `Authorization` header (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
pub fn signed_region(authorization: &str) -> Option<&str> {
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split('/').nth(2)
}

async fn forward(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let region = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(signed_region)
        .map(str::to_string);
    if let Some(region) = &region
        && gateway.down.read().is_ok_and(|d| d.contains(region))
    {
        let mut response = (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                r#"{{"__type":"ServiceUnavailable","message":"{region} is down (local platform)"}}"#
            ),
        )
            .into_response();
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        return response;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut upstream = hyper::Request::builder()
        .method(parts.method)
        .uri(format!("{}{path}", gateway.upstream));
    for (name, value) in &parts.headers {
        upstream = upstream.header(name, value);
    }
    let Ok(upstream) = upstream.body(Full::new(body)) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let call = async {
        let response = gateway.client.request(upstream).await.ok()?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.ok()?.to_bytes();
        Some(Response::from_parts(parts, Body::from(bytes)))
    };
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(Some(response)) => response,
        _ => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_read_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=local/20261130/us-east-1/events/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(signed_region(header), Some("us-east-1"));
        assert_eq!(signed_region("Bearer x"), None);
    }
}
