//! DLQ depth and function error alarms (native: `platform/alarms.rs`), as L2 `Alarm`s on
//! explicit metrics (same namespace, metric, dimension, statistic and period as native).

use aws_cdk_lib::aws_cloudwatch::{
    Alarm, AlarmProps, ComparisonOperator, Metric, MetricProps, TreatMissingData,
};
use aws_cdk_lib::aws_lambda::IFunctionExt;
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{Duration, Stack, prelude::*};

use super::functions::Functions;
use super::queues::DeadLetterQueues;
use crate::construct::pascal_case;
use crate::platform::Names;
use crate::spec::RegionalSpec;

pub fn alarms(
    stack: &Stack,
    rs: &RegionalSpec,
    names: &Names,
    dlqs: &DeadLetterQueues,
    functions: &Functions,
) -> jsii::Result<()> {
    let a = &rs.spec.alarms;
    let prefix = names.scoped(&rs.region);
    let alarm = |id: String,
                 name: String,
                 namespace: &str,
                 metric: &str,
                 dimension: (&str, String),
                 statistic: &str,
                 threshold: u32|
     -> jsii::Result<()> {
        let metric = Metric::new(&MetricProps {
            namespace: Some(namespace.into()),
            metric_name: Some(metric.into()),
            dimensions_map: Some([(dimension.0.to_string(), dimension.1)].into()),
            statistic: Some(statistic.into()),
            period: Some(Duration::seconds(f64::from(a.period_seconds))?),
            ..Default::default()
        })?;
        Alarm::new(
            stack,
            &id,
            &AlarmProps {
                alarm_name: Some(name),
                metric: Some(metric.upcast()),
                threshold: Some(f64::from(threshold)),
                evaluation_periods: Some(f64::from(a.evaluation_periods)),
                comparison_operator: Some(ComparisonOperator::GreaterThanOrEqualToThreshold),
                treat_missing_data: Some(TreatMissingData::NotBreaching),
                ..Default::default()
            },
        )?;
        Ok(())
    };
    for (id, q) in dlqs.all() {
        alarm(
            format!("{id}DepthAlarm"),
            format!("{prefix}-{id}-depth"),
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", q.queue_name()?),
            "Maximum",
            a.dlq_depth_threshold,
        )?;
    }
    for (name, function) in functions.all() {
        alarm(
            format!("{}ErrorsAlarm", pascal_case(name)),
            format!("{prefix}-{name}-errors"),
            "AWS/Lambda",
            "Errors",
            ("FunctionName", IFunctionExt::function_name(function)?),
            "Sum",
            a.lambda_error_threshold,
        )?;
    }
    Ok(())
}
