//! Any bytes through every event decoder: the versioned event types, the compression marker
//! decoder, DynamoDB typed JSON and the stream record converter. Errors are fine; panics,
//! hangs and unbounded memory (a zstd bomb) are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platform_events::{
    CdcEvent, CrossRegionEvent, DeadLetter, EventEnvelope, HealthStatus, compression, decode,
    dynamo_json,
};

fuzz_target!(|bytes: &[u8]| {
    let _ = decode::<EventEnvelope>(bytes);
    let _ = decode::<CdcEvent>(bytes);
    let _ = decode::<HealthStatus>(bytes);
    let _ = decode::<DeadLetter>(bytes);
    if let Ok(event) = decode::<CrossRegionEvent>(bytes) {
        let _ = event.into_original();
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = compression::decode_detail(value.clone());
        let _ = dynamo_json::item_to_plain_json(&value);
        let _ = stream_processor::to_cdc_event(&value, "table", "us-east-1");
    }
});
