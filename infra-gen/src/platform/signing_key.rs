//! The API's JWT signing key: a generated Secrets Manager secret under the data key, readable
//! by the authorizer alone. The grant and the resource policy that denies every other
//! principal are made together, by [`SigningKey::grant_only_to_authorizer`], so they cannot disagree.

use super::{Names, PREFIX, retain};
use crate::construct::grant::{FunctionHandle, KeyHandle, SecretHandle};
use crate::construct::*;
use crate::spec::RegionalSpec;

pub struct SigningKey {
    pub secret: SecretHandle,
}

impl SigningKey {
    pub fn new(
        stack: &mut Stack,
        rs: &RegionalSpec,
        key: &KeyHandle,
    ) -> Result<SigningKey, ConstructError> {
        let env = &rs.env;
        let id = stack.add(
            &["JwtSigningKey"],
            ResourceKind::Secret(Secret {
                name: format!("{PREFIX}/{env}/jwt-signing-key"),
                description: format!("JWT signing key for the {PREFIX} {env} API authorizer"),
                kms_key: key.id.clone(),
                generated_length: 64,
            }),
            retain(rs),
        )?;
        Ok(SigningKey {
            secret: SecretHandle {
                id,
                key: key.clone(),
            },
        })
    }

    /// Lets the authorizer read the key, and denies every other principal (the policy names
    /// the authorizer's role by its deterministic ARN).
    pub fn grant_only_to_authorizer(
        &self,
        stack: &mut Stack,
        names: &Names,
        authorizer: &FunctionHandle,
    ) -> Result<(), ConstructError> {
        self.secret.grant_read(stack, authorizer);
        stack.add(
            &[self.secret.id.as_str(), "Policy"],
            ResourceKind::SecretPolicy(SecretPolicy {
                secret: self.secret.id.clone(),
                statements: vec![
                    Statement::allow(&["secretsmanager:GetSecretValue"], [Value::str("*")])
                        .deny()
                        .with_sid("OnlyTheAuthorizerReads")
                        .with_principal(Principal::Any)
                        .with_condition(
                            "StringNotEquals",
                            "aws:PrincipalArn",
                            vec![Value::str(names.role_arn("authorizer"))],
                        ),
                ],
            }),
            false,
        )?;
        Ok(())
    }
}
