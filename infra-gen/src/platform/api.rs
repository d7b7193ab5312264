//! The REST API: `GET /health` (health-checker) behind a TOKEN authorizer (authorizer), one
//! stage per environment with its throttling and KMS-encrypted access logs, and the
//! permissions that let API Gateway invoke both functions; and `GET /live` without
//! authorization: the health-checker's liveness mode (the local checks' status word only,
//! nothing stored, `no-store`), which the peer region's health-checker calls and, with `dns`
//! set, the Route 53 health checks too; neither holds a token. Every environment has it, so
//! the peer check works through the API with or without DNS. It has its own low throttle so that an anonymous
//! caller cannot spend the stage's capacity or much Lambda time.
//!
//! Built in two steps because the authorizer's environment names the API: [`Api::new`] before
//! the functions, [`Api::add_health_route`] after them.

use super::functions::Functions;
use super::{Names, PREFIX, retain};
use crate::construct::grant::KeyHandle;
use crate::construct::*;
use crate::spec::RegionalSpec;
use platform_contract::API_LIVENESS_PATH as LIVENESS_PATH;

pub struct Api {
    pub id: LogicalId,
}

/// The stage, once [`Api::add_health_route`] has made it.
pub struct ApiStageHandle {
    pub id: LogicalId,
}

/// Requests per second the liveness route admits (steady and burst): Route 53's checkers at
/// the 10-second interval send about 1.6 per second, the peer region one a minute.
const LIVENESS_RATE_LIMIT: f64 = 10.0;
const LIVENESS_BURST_LIMIT: u32 = 20;

impl Api {
    pub fn new(stack: &mut Stack, rs: &RegionalSpec, names: &Names) -> Result<Api, ConstructError> {
        let id = stack.add(
            &["Api"],
            ResourceKind::RestApi(RestApi {
                name: names.scoped("api"),
                description: format!("{PREFIX} {} API ({})", rs.env, rs.region),
            }),
            false,
        )?;
        Ok(Api { id })
    }

    /// What the authorizer's Allow covers: every method of the stage, so one cached decision
    /// serves them all.
    pub fn stage_methods_arn(&self, rs: &RegionalSpec) -> Value {
        Value::join([
            Value::str(format!(
                "arn:aws:execute-api:{}:{}:",
                rs.region, rs.spec.account
            )),
            Value::attr(&self.id, Attr::Name),
            Value::str(format!("/{}/*", rs.env)),
        ])
    }

    /// `GET /health` behind the authorizer and `GET /live` without it, the permissions to invoke both functions, the deployment and the stage.
    pub fn add_health_route(
        &self,
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
        key: &KeyHandle,
        functions: &Functions,
    ) -> Result<ApiStageHandle, ConstructError> {
        let api = &self.id;
        let health_resource = stack.add(
            &["Api", "health"],
            ResourceKind::ApiResource(ApiResource {
                api: api.clone(),
                path_part: "health".into(),
            }),
            false,
        )?;
        let authorizer = stack.add(
            &["TokenAuthorizer"],
            ResourceKind::ApiAuthorizer(ApiAuthorizer {
                name: names.scoped("jwt"),
                api: api.clone(),
                function: functions.authorizer.id.clone(),
                identity_header: "Authorization".into(),
                cache_seconds: rs.spec.api.authorizer_cache_seconds,
            }),
            false,
        )?;
        let method = stack.add(
            &["Api", "health", "GET"],
            ResourceKind::ApiMethod(ApiMethod {
                api: api.clone(),
                resource: health_resource,
                http_method: "GET".into(),
                authorizer: Some(authorizer.clone()),
                function: functions.health_checker.id.clone(),
            }),
            false,
        )?;
        stack.add(
            &["Api", "health", "GET", "Permission"],
            ResourceKind::LambdaPermission(LambdaPermission {
                function: functions.health_checker.id.clone(),
                principal: "apigateway.amazonaws.com".into(),
                source_arn: self
                    .execute_api_arn(rs, [Value::str(format!("/{}/GET/health", rs.env))]),
            }),
            false,
        )?;
        stack.add(
            &["TokenAuthorizer", "Permission"],
            ResourceKind::LambdaPermission(LambdaPermission {
                function: functions.authorizer.id.clone(),
                principal: "apigateway.amazonaws.com".into(),
                // This authorizer only, as CDK's TokenAuthorizer scopes it (not `authorizers/*`).
                source_arn: self.execute_api_arn(
                    rs,
                    [
                        Value::str("/authorizers/"),
                        Value::attr(&authorizer, Attr::Name),
                    ],
                ),
            }),
            false,
        )?;
        let liveness = self.add_liveness_route(stack, rs, functions)?;
        self.add_stage(stack, rs, names, key, &[method, liveness])
    }

    /// `GET /live`, open: see the module documentation.
    fn add_liveness_route(
        &self,
        stack: &mut Stack,
        rs: &RegionalSpec,
        functions: &Functions,
    ) -> Result<LogicalId, ConstructError> {
        let path = LIVENESS_PATH.trim_start_matches('/');
        let resource = stack.add(
            &["Api", path],
            ResourceKind::ApiResource(ApiResource {
                api: self.id.clone(),
                path_part: path.into(),
            }),
            false,
        )?;
        let method = stack.add(
            &["Api", path, "GET"],
            ResourceKind::ApiMethod(ApiMethod {
                api: self.id.clone(),
                resource,
                http_method: "GET".into(),
                authorizer: None,
                function: functions.health_checker.id.clone(),
            }),
            false,
        )?;
        stack.add(
            &["Api", path, "GET", "Permission"],
            ResourceKind::LambdaPermission(LambdaPermission {
                function: functions.health_checker.id.clone(),
                principal: "apigateway.amazonaws.com".into(),
                source_arn: self
                    .execute_api_arn(rs, [Value::str(format!("/{}/GET/{path}", rs.env))]),
            }),
            false,
        )?;
        Ok(method)
    }

    /// The deployment (after the method it serves) and the stage, with throttling and access
    /// logs.
    fn add_stage(
        &self,
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
        key: &KeyHandle,
        methods: &[LogicalId],
    ) -> Result<ApiStageHandle, ConstructError> {
        let api = &self.id;
        // Changes whenever the routes do, so CloudFormation deploys them again.
        let fingerprint = format!("GET /health CUSTOM, GET {LIVENESS_PATH} NONE");
        let deployment = stack.add(
            &["Api", "Deployment"],
            ResourceKind::ApiDeployment(ApiDeployment {
                api: api.clone(),
                fingerprint,
            }),
            false,
        )?;
        for method in methods {
            stack.depend(&deployment, method);
        }
        let access_logs = stack.add(
            &["Api", "AccessLogs"],
            ResourceKind::LogGroup(LogGroup {
                name: format!("/aws/apigateway/{}", names.scoped("api")),
                // The health checker's retention: the function the API fronts.
                retention_days: rs.spec.functions["health-checker"].log_retention_days,
                kms_key: key.id.clone(),
            }),
            retain(rs),
        )?;
        let stage = stack.add(
            &["Api", "Stage"],
            ResourceKind::ApiStage(ApiStage {
                name: rs.env.clone(),
                api: api.clone(),
                deployment,
                access_log_group: access_logs,
                throttle_rate_limit: rs.spec.api.throttle_rate_limit,
                throttle_burst_limit: rs.spec.api.throttle_burst_limit,
                method_throttles: vec![MethodThrottle {
                    path: LIVENESS_PATH.trim_start_matches('/').into(),
                    http_method: "GET".into(),
                    rate_limit: LIVENESS_RATE_LIMIT,
                    burst_limit: LIVENESS_BURST_LIMIT,
                }],
            }),
            false,
        )?;
        Ok(ApiStageHandle { id: stage })
    }

    /// The ARN API Gateway invokes a function with, for `suffix` (`/<stage>/<method>/<path>`
    /// or `/authorizers/<id>`).
    fn execute_api_arn(&self, rs: &RegionalSpec, suffix: impl IntoIterator<Item = Value>) -> Value {
        Value::join(
            [
                Value::str("arn:"),
                Value::Pseudo(Pseudo::Partition),
                Value::str(format!(":execute-api:{}:{}:", rs.region, rs.spec.account)),
                Value::attr(&self.id, Attr::Name),
            ]
            .into_iter()
            .chain(suffix),
        )
    }

    /// The base URL of the stage (a stack output).
    pub fn url(&self, rs: &RegionalSpec) -> Value {
        Value::join([
            Value::str("https://"),
            Value::attr(&self.id, Attr::Name),
            Value::str(format!(
                ".execute-api.{}.amazonaws.com/{}/",
                rs.region, rs.env
            )),
        ])
    }
}
