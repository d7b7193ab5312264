//! A minimal HTTP(S) GET with a timeout, for JWKS documents and the peer region's health
//! endpoint. Uses the hyper/rustls stack the AWS SDK already links, so it adds no new crypto.

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A GET failed: bad URL, connection, TLS, timeout, or a body over the limit.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("invalid URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    #[error("GET {url} timed out after {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("GET {url}: {reason}")]
    Transport { url: String, reason: String },
}

/// A reusable client (connection pool); build once per process.
#[derive(Clone)]
pub struct HttpGetter {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    max_body_bytes: usize,
}

impl HttpGetter {
    /// A client trusting the platform's native roots; bodies over `max_body_bytes` are errors.
    pub fn new(max_body_bytes: usize) -> Result<Self, HttpError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| HttpError::Transport {
                url: String::new(),
                reason: format!("loading native root certificates: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            max_body_bytes,
        })
    }

    /// GETs `url`; returns the status code and body.
    pub async fn get(&self, url: &str, timeout: Duration) -> Result<(u16, Vec<u8>), HttpError> {
        let uri: hyper::Uri =
            url.parse()
                .map_err(|e: hyper::http::uri::InvalidUri| HttpError::Url {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
        let transport = |reason: String| HttpError::Transport {
            url: url.to_string(),
            reason,
        };
        let call = async {
            let response = self
                .client
                .get(uri)
                .await
                .map_err(|e| transport(e.to_string()))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), self.max_body_bytes)
                .collect()
                .await
                .map_err(|e| transport(format!("reading body: {e}")))?
                .to_bytes();
            Ok((status, body.to_vec()))
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| HttpError::Timeout {
                url: url.to_string(),
                timeout,
            })?
    }
}
