//! A minimal HTTP(S) client with a timeout and a body limit: JWKS documents, the peer region's
//! health endpoint, and the signed Secrets Manager call in [`crate::secrets`]. Uses the
//! hyper/rustls/aws-lc stack the AWS SDK already links, so it adds no new crypto, and lets the
//! authorizer read its secret without linking the SDK.

use std::sync::OnceLock;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A request failed: bad URL, connection, TLS, timeout, or a body over the limit.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("invalid URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    #[error("{method} {url} timed out after {timeout:?}")]
    Timeout {
        method: hyper::Method,
        url: String,
        timeout: Duration,
    },
    #[error("{method} {url}: {reason}")]
    Transport {
        method: hyper::Method,
        url: String,
        reason: String,
    },
}

impl HttpError {
    /// A timeout or a failed connection: worth another attempt.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Url { .. })
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A response: status code and the whole body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A reusable client (connection pool); build once per process. The TLS roots are loaded on
/// the first request, not at construction: a function that never calls out (an authorizer
/// with inline keys) does not pay for parsing the system's certificates at cold start.
pub struct HttpClient {
    client: OnceLock<Result<HttpsClient, String>>,
    max_body_bytes: usize,
}

impl HttpClient {
    /// A client trusting the platform's native roots; bodies over `max_body_bytes` are errors.
    pub fn new(max_body_bytes: usize) -> Self {
        Self {
            client: OnceLock::new(),
            max_body_bytes,
        }
    }

    fn client(&self) -> Result<&HttpsClient, String> {
        self.client
            .get_or_init(|| {
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(|e| format!("loading native root certificates: {e}"))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(connector))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// GETs `url`.
    pub async fn get(&self, url: &str, timeout: Duration) -> Result<Response, HttpError> {
        let request = hyper::Request::get(url)
            .body(Full::default())
            .map_err(|e| HttpError::Url {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        self.send(request, timeout).await
    }

    /// Sends `request` (built by the caller, e.g. signed) and reads the response.
    pub async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let method = request.method().clone();
        let url = request.uri().to_string();
        let transport = |reason: String| HttpError::Transport {
            method: method.clone(),
            url: url.clone(),
            reason,
        };
        let client = self.client().map_err(transport)?;
        let call = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| transport(e.to_string()))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), self.max_body_bytes)
                .collect()
                .await
                .map_err(|e| transport(format!("reading body: {e}")))?
                .to_bytes();
            Ok(Response {
                status,
                body: body.to_vec(),
            })
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| HttpError::Timeout {
                method: method.clone(),
                url: url.clone(),
                timeout,
            })?
    }
}
