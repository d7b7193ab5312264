//! Every fixture decodes, re-encodes to the same JSON value, and decodes again unchanged.

use platform_events::{
    CdcEvent, CdcOperation, CrossRegionEvent, DeadLetter, EventEnvelope, Health, HealthStatus,
    Versioned, compression, decode, encode,
};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn round_trip<T: Versioned + PartialEq + std::fmt::Debug>(name: &str) -> T {
    let bytes = fixture(name);
    let decoded: T = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let encoded = encode(&decoded).unwrap();
    let original: Value = serde_json::from_slice(&bytes).unwrap();
    let reencoded: Value = serde_json::from_slice(&encoded).unwrap();
    assert_eq!(original, reencoded, "{name} changed on re-encoding");
    assert_eq!(decode::<T>(&encoded).unwrap(), decoded);
    decoded
}

#[test]
fn envelope() {
    let e: EventEnvelope = round_trip("envelope.json");
    assert_eq!(e.detail_type, "OrderCreated");
    assert_eq!(e.correlation_id.as_deref(), Some("corr-123"));
}

#[test]
fn cdc_events() {
    let modify: CdcEvent = round_trip("cdc_modify.json");
    assert_eq!(modify.operation, CdcOperation::Modify);
    assert_eq!(modify.detail_type(), "CdcModify");
    assert!(modify.before.is_some() && modify.after.is_some());
    let ttl: CdcEvent = round_trip("cdc_ttl_remove.json");
    assert!(ttl.ttl_expired && ttl.after.is_none());
}

#[test]
fn cross_region_event_and_compressed_variant() {
    let event: CrossRegionEvent = round_trip("cross_region.json");
    let original = event.clone().into_original().unwrap();
    assert_eq!(original, event.event);

    let mut compressed = event.clone();
    let (detail, was) = compression::compress_detail(&event.event.detail, 0).unwrap();
    assert!(was);
    compressed.event.detail = detail;
    let decoded: CrossRegionEvent = decode(&encode(&compressed).unwrap()).unwrap();
    assert_eq!(decoded.into_original().unwrap(), event.event);
}

#[test]
fn health_status() {
    let h: HealthStatus = round_trip("health_status.json");
    assert_eq!(h.status, Health::Degraded);
    assert_eq!(h.checks.len(), 3);
}

#[test]
fn dead_letter() {
    let d: DeadLetter = round_trip("dead_letter.json");
    assert_eq!((d.source.as_str(), d.retry_count), ("event-router", 3));
}

#[test]
fn a_missing_version_reads_as_current() {
    let mut v: Value = serde_json::from_slice(&fixture("envelope.json")).unwrap();
    v.as_object_mut().unwrap().remove("version");
    let e: EventEnvelope = decode(v.to_string().as_bytes()).unwrap();
    assert_eq!(e.version, platform_events::SCHEMA_VERSION);
}
