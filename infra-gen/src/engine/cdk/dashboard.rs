//! The functions' CloudWatch dashboard (native: `platform/dashboard.rs`). An L1
//! `CfnDashboard` whose body is the native engine's: a dashboard body is a JSON string naming
//! resources (it cannot hold references), so there is nothing for the L2 `Dashboard` to add,
//! and one definition of the widgets keeps the two engines' dashboards the same. The oracle
//! compares the body's names, not its layout.

use aws_cdk_lib::Stack;
use aws_cdk_lib::aws_cloudwatch::{CfnDashboard, CfnDashboardProps};

use crate::construct::ResourceKind;

/// `native` is the native engine's stack for the same region (pure, built in memory).
pub fn dashboard(stack: &Stack, native: &crate::construct::Stack) -> jsii::Result<()> {
    for resource in &native.resources {
        if let ResourceKind::Dashboard(d) = &resource.kind {
            CfnDashboard::new(
                stack,
                "FunctionsDashboard",
                &CfnDashboardProps {
                    dashboard_name: Some(d.name.clone()),
                    dashboard_body: Some(d.body.to_string()),
                    ..Default::default()
                },
            )?;
        }
    }
    Ok(())
}
