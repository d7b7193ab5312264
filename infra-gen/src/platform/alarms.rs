//! The CloudWatch alarms: the depth of each dead-letter queue, and each function's errors,
//! with the environment's thresholds and periods.

use super::Names;
use super::functions::Functions;
use super::queues::DeadLetterQueues;
use crate::construct::*;
use crate::spec::RegionalSpec;

pub fn alarms(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    dlqs: &DeadLetterQueues,
    functions: &Functions,
) -> Result<(), ConstructError> {
    let a = &rs.spec.alarms;
    let prefix = names.scoped(&rs.region);
    for q in dlqs.all() {
        stack.add(
            &[q.id.as_str(), "DepthAlarm"],
            ResourceKind::Alarm(Alarm {
                name: format!("{prefix}-{}-depth", q.id),
                namespace: "AWS/SQS".into(),
                metric: "ApproximateNumberOfMessagesVisible".into(),
                dimension: ("QueueName".into(), Value::attr(&q.id, Attr::Name)),
                statistic: "Maximum".into(),
                period_seconds: a.period_seconds,
                threshold: a.dlq_depth_threshold,
                evaluation_periods: a.evaluation_periods,
            }),
            false,
        )?;
    }
    for (name, function) in functions.all() {
        stack.add(
            &[name, "ErrorsAlarm"],
            ResourceKind::Alarm(Alarm {
                name: format!("{prefix}-{name}-errors"),
                namespace: "AWS/Lambda".into(),
                metric: "Errors".into(),
                dimension: ("FunctionName".into(), Value::attr(&function.id, Attr::Name)),
                statistic: "Sum".into(),
                period_seconds: a.period_seconds,
                threshold: a.lambda_error_threshold,
                evaluation_periods: a.evaluation_periods,
            }),
            false,
        )?;
    }
    Ok(())
}
