//! The REST API (native: `platform/api.rs`): `GET /health` behind the TOKEN authorizer and the
//! open `GET /live` with its own throttle, through `RestApi`, `TokenAuthorizer` and
//! `LambdaIntegration` (which add the invoke permissions, scoped to the stage and method).
//!
//! Native adds the stage after the routes; the L2 creates its deployment and stage with the
//! API (the deployment hashes the methods at synthesis), so the access log group and the stage
//! settings are made in [`Api::new`]. The API comes before the functions, as in the native
//! engine, because the authorizer's environment names it.

use aws_cdk_lib::aws_apigateway::{
    AccessLogFormat, AuthorizationType, EndpointType, IdentitySource, LambdaIntegration,
    LambdaIntegrationOptions, LogGroupLogDestination, MethodDeploymentOptions, MethodLoggingLevel,
    MethodOptions, RestApi, RestApiProps, StageOptions, TokenAuthorizer, TokenAuthorizerProps,
};
use aws_cdk_lib::aws_kms::Key;
use aws_cdk_lib::aws_lambda::Function;
use aws_cdk_lib::aws_logs::{LogGroup, LogGroupProps};
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{Duration, Stack, prelude::*};
use platform_contract::API_LIVENESS_PATH as LIVENESS_PATH;

use super::functions::Functions;
use super::{removal, retention};
use crate::platform::{Names, PREFIX};
use crate::render::cloudformation::ACCESS_LOG_FORMAT;
use crate::spec::RegionalSpec;

/// Same as native: the liveness route's own throttle.
const LIVENESS_RATE_LIMIT: f64 = 10.0;
const LIVENESS_BURST_LIMIT: f64 = 20.0;

pub struct Api {
    pub api: RestApi,
}

impl Api {
    pub fn new(stack: &Stack, rs: &RegionalSpec, names: &Names, key: &Key) -> jsii::Result<Api> {
        let access_logs = LogGroup::new(
            stack,
            "ApiAccessLogs",
            Some(&LogGroupProps {
                log_group_name: Some(format!("/aws/apigateway/{}", names.scoped("api"))),
                retention: Some(retention(
                    rs.spec.functions["health-checker"].log_retention_days,
                )),
                encryption_key: Some(key.upcast()),
                removal_policy: Some(removal(rs)),
                ..Default::default()
            }),
        )?;
        let logging = |rate: f64, burst: f64| MethodDeploymentOptions {
            metrics_enabled: Some(true),
            logging_level: Some(MethodLoggingLevel::Error),
            throttling_rate_limit: Some(rate),
            throttling_burst_limit: Some(burst),
            ..Default::default()
        };
        let api = RestApi::new(
            stack,
            "Api",
            Some(&RestApiProps {
                rest_api_name: Some(names.scoped("api")),
                description: Some(format!("{PREFIX} {} API ({})", rs.env, rs.region)),
                endpoint_types: Some(vec![EndpointType::Regional]),
                // The account-wide API Gateway logging role is not this stack's to own.
                cloud_watch_role: Some(false),
                deploy: Some(true),
                deploy_options: Some(StageOptions {
                    stage_name: Some(rs.env.clone()),
                    tracing_enabled: Some(true),
                    access_log_destination: Some(
                        LogGroupLogDestination::new(&access_logs)?.upcast(),
                    ),
                    access_log_format: Some(AccessLogFormat::custom(ACCESS_LOG_FORMAT)?),
                    metrics_enabled: Some(true),
                    logging_level: Some(MethodLoggingLevel::Error),
                    throttling_rate_limit: Some(rs.spec.api.throttle_rate_limit),
                    throttling_burst_limit: Some(f64::from(rs.spec.api.throttle_burst_limit)),
                    method_options: Some(
                        [(
                            format!("{LIVENESS_PATH}/GET"),
                            logging(LIVENESS_RATE_LIMIT, LIVENESS_BURST_LIMIT),
                        )]
                        .into(),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        )?;
        Ok(Api { api })
    }

    /// What the authorizer's policies allow: every method of this stage (native spells the
    /// partition `aws` here too).
    pub fn stage_methods_arn(&self, rs: &RegionalSpec) -> jsii::Result<String> {
        Ok(format!(
            "arn:aws:execute-api:{}:{}:{}/{}/*",
            rs.region,
            rs.spec.account,
            self.api.rest_api_id()?,
            rs.env
        ))
    }

    pub fn add_health_route(
        &self,
        rs: &RegionalSpec,
        names: &Names,
        functions: &Functions,
    ) -> jsii::Result<()> {
        let authorizer = TokenAuthorizer::new(
            &self.api,
            "TokenAuthorizer",
            &TokenAuthorizerProps {
                handler: Some(functions.authorizer.upcast()),
                identity_source: Some(IdentitySource::header("Authorization")?),
                authorizer_name: Some(names.scoped("jwt")),
                results_cache_ttl: Some(Duration::seconds(f64::from(
                    rs.spec.api.authorizer_cache_seconds,
                ))?),
                ..Default::default()
            },
        )?;
        let root = self.api.root()?;
        root.add_resource("health", None)?.add_method(
            "GET",
            Some(&proxy(&functions.health_checker)?),
            Some(&MethodOptions {
                authorization_type: Some(AuthorizationType::Custom),
                authorizer: Some(authorizer.upcast()),
                ..Default::default()
            }),
        )?;
        root.add_resource(LIVENESS_PATH.trim_start_matches('/'), None)?
            .add_method("GET", Some(&proxy(&functions.health_checker)?), None)?;
        Ok(())
    }

    pub fn url(&self) -> jsii::Result<String> {
        self.api.url()
    }
}

/// A Lambda proxy integration; without the console's test-invoke permission, which native
/// does not grant either.
fn proxy(function: &Function) -> jsii::Result<LambdaIntegration> {
    LambdaIntegration::new(
        function,
        Some(&LambdaIntegrationOptions {
            allow_test_invoke: Some(false),
            ..Default::default()
        }),
    )
}
