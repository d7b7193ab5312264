//! The events stream into stream-processor (native: `platform/stream.rs`): the L2
//! `DynamoEventSource` with an `SqsDlq` on-failure destination. The event source grants the
//! stream read and the DLQ send itself; the idempotency table and bus grants are ours.

use aws_cdk_lib::aws_lambda::{Function, StartingPosition};
use aws_cdk_lib::aws_lambda_event_sources::{DynamoEventSource, DynamoEventSourceProps, SqsDlq};
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{Duration, prelude::*};

use super::bus::EventBuses;
use super::queues::DeadLetterQueues;
use super::tables::Tables;
use crate::spec::RegionalSpec;

pub fn stream_mapping(
    rs: &RegionalSpec,
    tables: &Tables,
    dlqs: &DeadLetterQueues,
    buses: &EventBuses,
    processor: &Function,
) -> jsii::Result<()> {
    tables.idempotency.grant(
        processor,
        &[
            "dynamodb:GetItem".to_string(),
            "dynamodb:PutItem".to_string(),
        ],
    )?;
    buses.local.grant_put_events_to(processor, None)?;
    let stream = &rs.spec.stream;
    let source = DynamoEventSource::new(
        &tables.events,
        &DynamoEventSourceProps {
            starting_position: Some(StartingPosition::TrimHorizon),
            batch_size: Some(f64::from(stream.batch_size)),
            bisect_batch_on_error: Some(true),
            retry_attempts: Some(f64::from(stream.max_retries)),
            max_record_age: Some(Duration::seconds(f64::from(stream.max_record_age_seconds))?),
            parallelization_factor: Some(f64::from(stream.parallelization_factor)),
            report_batch_item_failures: Some(true),
            on_failure: Some(SqsDlq::new(&dlqs.stream_failures)?.upcast()),
            ..Default::default()
        },
    )?;
    processor.add_event_source(&source)?;
    Ok(())
}
