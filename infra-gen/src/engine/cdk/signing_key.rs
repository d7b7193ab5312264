//! The JWT signing secret, the authorizer's read grant and the resource policy denying every
//! other principal (native: `platform/signing_key.rs`).

use aws_cdk_lib::aws_iam::{AnyPrincipal, Effect, PolicyStatementProps};
use aws_cdk_lib::aws_kms::Key;
use aws_cdk_lib::aws_lambda::Function;
use aws_cdk_lib::aws_secretsmanager::{Secret, SecretProps, SecretStringGenerator};
use aws_cdk_lib::runtime::{FromObjRef as _, JsiiObject as _, Upcast as _};
use aws_cdk_lib::{CfnResource, Stack, prelude::*};
use serde_json::json;

use super::{removal, statement};
use crate::platform::{Names, PREFIX};
use crate::spec::RegionalSpec;

/// Same as native: 64 characters, no punctuation (safe in any header or config file).
const SECRET_LENGTH: f64 = 64.0;

pub struct SigningKey {
    pub secret: Secret,
}

impl SigningKey {
    pub fn new(stack: &Stack, rs: &RegionalSpec, key: &Key) -> jsii::Result<SigningKey> {
        let env = &rs.env;
        let secret = Secret::new(
            stack,
            "JwtSigningKey",
            Some(&SecretProps {
                secret_name: Some(format!("{PREFIX}/{env}/jwt-signing-key")),
                description: Some(format!(
                    "JWT signing key for the {PREFIX} {env} API authorizer"
                )),
                encryption_key: Some(key.upcast()),
                generate_secret_string: Some(SecretStringGenerator {
                    password_length: Some(SECRET_LENGTH),
                    exclude_punctuation: Some(true),
                    ..Default::default()
                }),
                removal_policy: Some(removal(rs)),
                ..Default::default()
            }),
        )?;
        Ok(SigningKey { secret })
    }

    /// The authorizer reads the key (CDK's `grantRead`), and the secret's policy denies
    /// `GetSecretValue` to every other principal, by role name as in the native engine.
    pub fn grant_only_to_authorizer(
        &self,
        names: &Names,
        authorizer: &Function,
    ) -> jsii::Result<()> {
        self.secret.grant_read(authorizer, None)?;
        let deny = statement(&PolicyStatementProps {
            sid: Some("OnlyTheAuthorizerReads".into()),
            effect: Some(Effect::Deny),
            principals: Some(vec![AnyPrincipal::new()?.upcast()]),
            actions: Some(vec!["secretsmanager:GetSecretValue".into()]),
            resources: Some(vec!["*".into()]),
            conditions: Some(
                [(
                    "StringNotEquals".to_string(),
                    json!({ "aws:PrincipalArn": names.role_arn("authorizer") }),
                )]
                .into(),
            ),
            ..Default::default()
        })?;
        self.secret.add_to_resource_policy(&deny)?;
        // Override: the L2 `ResourcePolicy` has no `BlockPublicPolicy`, which native sets so
        // that Secrets Manager refuses any later policy granting the secret broadly. The
        // escape hatch is the policy construct's `CfnResourcePolicy` (child `Policy`, its
        // default child `Resource`).
        let policy = self
            .secret
            .node()?
            .try_find_child("Policy")?
            .expect("add_to_resource_policy created the secret's Policy");
        let resource = policy
            .node()?
            .default_child()?
            .expect("a ResourcePolicy has its CfnResourcePolicy");
        CfnResource::from_obj_ref(resource.jsii_ref().clone())
            .add_property_override("BlockPublicPolicy", &json!(true))?;
        Ok(())
    }
}
