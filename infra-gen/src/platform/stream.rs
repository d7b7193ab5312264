//! The events table's stream into stream-processor: the event source mapping (batching,
//! bisect on error, retries, record age, parallelisation, partial batch failures and the
//! on-failure queue) and everything the processor needs for that job: the stream, its
//! idempotency records, the failure queue and the bus it publishes to.

use super::bus::EventBuses;
use super::queues::DeadLetterQueues;
use super::tables::Tables;
use crate::construct::grant::FunctionHandle;
use crate::construct::*;
use crate::spec::RegionalSpec;

pub fn stream_mapping(
    stack: &mut Stack,
    rs: &RegionalSpec,
    tables: &Tables,
    dlqs: &DeadLetterQueues,
    buses: &EventBuses,
    processor: &FunctionHandle,
) -> Result<(), ConstructError> {
    tables.events.grant_stream_read(stack, processor);
    tables
        .idempotency
        .grant(stack, processor, &["dynamodb:GetItem", "dynamodb:PutItem"]);
    dlqs.stream_failures.grant_send(stack, processor);
    buses.local.grant_put_events(stack, processor);
    let stream = &rs.spec.stream;
    stack.add(
        &["stream-processor", "EventSource"],
        ResourceKind::EventSourceMapping(EventSourceMapping {
            function: processor.id.clone(),
            source_arn: Value::attr(&tables.events.id, Attr::StreamArn),
            batch_size: stream.batch_size,
            bisect_on_error: true,
            max_retries: stream.max_retries,
            max_record_age_seconds: stream.max_record_age_seconds,
            parallelization_factor: stream.parallelization_factor,
            report_batch_item_failures: true,
            on_failure_queue: dlqs.stream_failures.id.clone(),
        }),
        false,
    )?;
    Ok(())
}
