//! A region's REST API as API Gateway serves it: `/<stage>/<resource path>`, the TOKEN
//! authorizer (the real authorizer function) for methods that use it, then the Lambda proxy
//! integration with API Gateway's REST proxy event.
//!
//! API Gateway's answers are kept: an unknown path or method, 403 `Missing Authentication
//! Token`; no token header, 401 `Unauthorized` without invoking the authorizer; a Deny, 403;
//! an authorizer that fails, 500; a function error or malformed answer, 502.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayProxyRequest, ApiGatewayProxyRequestContext,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::deploy::DeployedApi;
use crate::functions::Function;

/// Requests larger than API Gateway's payload limit are refused.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// What one region's front serves.
pub struct Front {
    pub region: String,
    pub account: String,
    pub api: DeployedApi,
    /// The region's functions by deployed name.
    pub functions: BTreeMap<String, Arc<Function>>,
    cache: Mutex<HashMap<String, (Instant, Decision)>>,
    /// Requests served per resource path (`/live`, ...), whatever the answer.
    served: Mutex<BTreeMap<String, u64>>,
}

#[derive(Debug, Clone)]
enum Decision {
    Allow { principal: String, context: Value },
    Deny,
}

impl Front {
    pub fn new(
        region: &str,
        account: &str,
        api: DeployedApi,
        functions: BTreeMap<String, Arc<Function>>,
    ) -> Self {
        Self {
            region: region.to_string(),
            account: account.to_string(),
            api,
            functions,
            cache: Mutex::new(HashMap::new()),
            served: Mutex::new(BTreeMap::new()),
        }
    }

    /// How many requests for the resource `path` (e.g. `/live`) reached a method.
    pub fn served(&self, path: &str) -> u64 {
        self.served
            .lock()
            .map(|s| s.get(path).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn method_arn(&self, method: &str, path: &str) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{method}{path}",
            self.region, self.account, self.api.id, self.api.stage
        )
    }
}

/// The router serving `front`.
pub fn router(front: Arc<Front>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(front)
}

fn message(status: StatusCode, text: &str) -> Response {
    let mut response = (status, json!({ "message": text }).to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static("local"));
    response
}

async fn handle(State(front): State<Arc<Front>>, request: Request) -> Response {
    let source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let (parts, body) = request.into_parts();
    let Some(resource_path) = parts
        .uri
        .path()
        .strip_prefix(&format!("/{}", front.api.stage))
        .filter(|p| p.is_empty() || p.starts_with('/'))
        .map(|p| if p.is_empty() { "/" } else { p }.to_string())
    else {
        return message(StatusCode::FORBIDDEN, "Missing Authentication Token");
    };
    let Some(method) = front
        .api
        .methods
        .iter()
        .find(|m| m.path == resource_path && m.http_method == parts.method.as_str())
        .cloned()
    else {
        return message(StatusCode::FORBIDDEN, "Missing Authentication Token");
    };
    if let Ok(mut served) = front.served.lock() {
        *served.entry(resource_path.clone()).or_default() += 1;
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Too Long");
    };

    let mut authorizer_context = HashMap::new();
    if let Some(authorizer) = &method.authorizer {
        let Some(token) = parts
            .headers
            .get(front.api.identity_header.as_str())
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
        else {
            return message(StatusCode::UNAUTHORIZED, "Unauthorized");
        };
        let method_arn = front.method_arn(parts.method.as_str(), &resource_path);
        match authorize(&front, authorizer, token, &method_arn).await {
            Ok(Decision::Allow { principal, context }) => {
                authorizer_context.insert("principalId".to_string(), json!(principal));
                for (k, v) in context.as_object().into_iter().flatten() {
                    authorizer_context.insert(k.clone(), v.clone());
                }
            }
            Ok(Decision::Deny) => {
                return message(
                    StatusCode::FORBIDDEN,
                    "User is not authorized to access this resource with an explicit deny",
                );
            }
            Err(AuthorizerFailure::Unauthorized) => {
                return message(StatusCode::UNAUTHORIZED, "Unauthorized");
            }
            Err(AuthorizerFailure::Failed) => {
                return message(StatusCode::INTERNAL_SERVER_ERROR, "");
            }
        }
    }

    let Some(function) = front.functions.get(&method.function) else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    };
    let event = proxy_event(
        &front,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &resource_path,
        &body,
        &source_ip,
        authorizer_context,
    );
    let payload = serde_json::to_vec(&event).unwrap_or_default();
    match function.invoke(payload).await {
        Ok(answer) => proxy_response(&answer)
            .unwrap_or_else(|| message(StatusCode::BAD_GATEWAY, "Internal server error")),
        Err(_) => message(StatusCode::BAD_GATEWAY, "Internal server error"),
    }
}

#[allow(clippy::too_many_arguments)]
fn proxy_event(
    front: &Front,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    resource_path: &str,
    body: &[u8],
    source_ip: &str,
    authorizer: HashMap<String, Value>,
) -> ApiGatewayProxyRequest {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (k.to_string(), v.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut single: HashMap<String, String> = HashMap::new();
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in query {
        single.insert(k.clone(), v.clone());
        multi.entry(k).or_default().push(v);
    }
    let mut context = ApiGatewayProxyRequestContext::default();
    context.account_id = Some(front.account.clone());
    context.resource_id = Some(resource_path.to_string());
    context.stage = Some(front.api.stage.clone());
    context.request_id = Some(format!("local-{:016x}", fastrand::u64(..)));
    context.resource_path = Some(resource_path.to_string());
    context.http_method = method.clone();
    context.apiid = Some(front.api.id.clone());
    context.path = Some(format!("/{}{resource_path}", front.api.stage));
    context.protocol = Some("HTTP/1.1".to_string());
    context.identity.source_ip = Some(source_ip.to_string());
    context.authorizer.fields = authorizer;
    let mut event = ApiGatewayProxyRequest::default();
    event.resource = Some(resource_path.to_string());
    event.path = Some(resource_path.to_string());
    event.http_method = method.clone();
    event.headers = headers.clone();
    event.multi_value_headers = headers.clone();
    event.query_string_parameters = single.into();
    event.multi_value_query_string_parameters = multi.into();
    event.request_context = context;
    event.body = (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned());
    event.is_base64_encoded = false;
    event
}

/// The function's proxy answer as an HTTP response; `None` when it is not one.
fn proxy_response(answer: &[u8]) -> Option<Response> {
    let answer: Value = serde_json::from_slice(answer).ok()?;
    let status = StatusCode::from_u16(answer["statusCode"].as_u64()? as u16).ok()?;
    let body = match answer["body"].as_str() {
        Some(text) if answer["isBase64Encoded"] == true => {
            use base64_engine::Engine as _;
            base64_engine::STANDARD.decode(text).ok()?
        }
        Some(text) => text.as_bytes().to_vec(),
        None => Vec::new(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::try_from(name.as_str()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    for (name, values) in answer["multiValueHeaders"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let Ok(name) = HeaderName::try_from(name.as_str()) else {
            continue;
        };
        for value in values.as_array().into_iter().flatten() {
            if let Some(Ok(value)) = value.as_str().map(HeaderValue::from_str) {
                headers.append(name.clone(), value);
            }
        }
    }
    Some(response)
}

mod base64_engine {
    pub use base64::Engine;
    pub use base64::engine::general_purpose::STANDARD;
}

enum AuthorizerFailure {
    /// The authorizer raised `Unauthorized` (API Gateway answers 401).
    Unauthorized,
    /// Any other error or malformed answer (500).
    Failed,
}

async fn authorize(
    front: &Front,
    authorizer: &str,
    token: &str,
    method_arn: &str,
) -> Result<Decision, AuthorizerFailure> {
    let ttl = Duration::from_secs(front.api.authorizer_cache_seconds);
    if !ttl.is_zero()
        && let Some((at, decision)) = front.cache.lock().ok().and_then(|c| c.get(token).cloned())
        && at.elapsed() < ttl
    {
        return Ok(decision);
    }
    let function = front
        .functions
        .get(authorizer)
        .ok_or(AuthorizerFailure::Failed)?;
    let mut request = ApiGatewayCustomAuthorizerRequest::default();
    request.type_ = Some("TOKEN".to_string());
    request.authorization_token = Some(token.to_string());
    request.method_arn = Some(method_arn.to_string());
    let payload = serde_json::to_vec(&request).map_err(|_| AuthorizerFailure::Failed)?;
    let answer = match function.invoke(payload).await {
        Ok(answer) => answer,
        Err(crate::functions::InvokeError::Function(error)) if error.contains("Unauthorized") => {
            return Err(AuthorizerFailure::Unauthorized);
        }
        Err(_) => return Err(AuthorizerFailure::Failed),
    };
    let answer: Value = serde_json::from_slice(&answer).map_err(|_| AuthorizerFailure::Failed)?;
    let decision = decide(&answer, method_arn).ok_or(AuthorizerFailure::Failed)?;
    if !ttl.is_zero()
        && let Ok(mut cache) = front.cache.lock()
    {
        cache.insert(token.to_string(), (Instant::now(), decision.clone()));
    }
    Ok(decision)
}

/// Evaluates an authorizer's policy for `method_arn` as API Gateway does: an explicit Deny
/// wins, else an Allow of `execute-api:Invoke` on a matching resource, else deny. `None` for
/// an answer without a principal or policy (API Gateway answers 500).
fn decide(answer: &Value, method_arn: &str) -> Option<Decision> {
    let principal = answer["principalId"].as_str()?.to_string();
    let statements = answer["policyDocument"]["Statement"].as_array()?;
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let matches = |statement: &Value| {
        list(&statement["Action"])
            .iter()
            .any(|a| wildcard_match(a, "execute-api:Invoke"))
            && list(&statement["Resource"])
                .iter()
                .any(|r| wildcard_match(r, method_arn))
    };
    let effect = |statement: &Value, wanted: &str| {
        statement["Effect"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
    };
    if statements.iter().any(|s| effect(s, "Deny") && matches(s)) {
        return Some(Decision::Deny);
    }
    if statements.iter().any(|s| effect(s, "Allow") && matches(s)) {
        return Some(Decision::Allow {
            principal,
            context: answer["context"].clone(),
        });
    }
    Some(Decision::Deny)
}

/// IAM-style matching: `*` any run of characters, `?` one character.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-west-2:1:abc/dev/GET/health";

    fn policy(effect: &str, resource: &str) -> Value {
        json!({
            "principalId": "user",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
            ]},
            "context": {"sub": "user"}
        })
    }

    #[test]
    fn policies_are_evaluated_like_api_gateway() {
        assert!(matches!(
            decide(
                &policy("Allow", "arn:aws:execute-api:us-west-2:1:abc/dev/*"),
                ARN
            ),
            Some(Decision::Allow { .. })
        ));
        assert!(matches!(
            decide(
                &policy("Allow", "arn:aws:execute-api:us-west-2:1:other/dev/*"),
                ARN
            ),
            Some(Decision::Deny)
        ));
        assert!(matches!(
            decide(&policy("Deny", "*"), ARN),
            Some(Decision::Deny)
        ));
        assert!(decide(&json!({"policyDocument": {}}), ARN).is_none());
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a*d", "abc"));
    }
}
