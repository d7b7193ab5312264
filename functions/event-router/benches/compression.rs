//! zstd ratio and cost on representative cross-region events (above the default 8 KB
//! threshold): order events with line items, CDC events with wide before/after images, and a
//! customer profile. Values vary like real data (ids, prices, timestamps from a PRNG), so the
//! ratio is not inflated by repeated strings. `cargo bench -p event-router --bench compression`

use std::time::{Duration, Instant};

use platform_events::compression::{compress_detail, decode_detail};
use serde_json::{Value, json};
use test_support::lambda_runtime_api::percentile;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit((self.next() % 16) as u32, 16).unwrap())
            .collect()
    }
}

fn order(rng: &mut Lcg, lines: usize) -> Value {
    json!({
        "orderId": format!("ord-{}", rng.hex(12)), "customerId": format!("cus-{}", rng.hex(10)),
        "correlationId": rng.hex(32), "currency": "USD", "channel": "web", "placedAt": format!("2026-11-27T{:02}:{:02}:{:02}.{:03}Z", rng.next() % 24, rng.next() % 60, rng.next() % 60, rng.next() % 1000),
        "shippingAddress": {"line1": format!("{} Market Street", rng.next() % 9999), "city": "San Francisco", "region": "CA", "postalCode": format!("94{:03}", rng.next() % 1000), "country": "US"},
        "lines": (0..lines).map(|i| json!({
            "lineNumber": i + 1, "sku": format!("SKU-{:06}", rng.next() % 1_000_000), "description": "Stainless steel water bottle, 750 ml",
            "quantity": 1 + rng.next() % 5, "unitPrice": (rng.next() % 20000) as f64 / 100.0, "discount": (rng.next() % 500) as f64 / 100.0,
            "warehouse": format!("us-east-1{}", ["a", "b", "c"][(rng.next() % 3) as usize]), "status": "ALLOCATED"
        })).collect::<Vec<_>>()
    })
}

fn cdc(rng: &mut Lcg, rows: usize) -> Value {
    let row = |rng: &mut Lcg, status: &str| {
        json!({
            "pk": format!("ORDER#{}", rng.hex(12)), "sk": format!("LINE#{:04}", rng.next() % 10000), "status": status,
            "amount": (rng.next() % 100000) as f64 / 100.0, "updatedAt": 1_764_000_000 + rng.next() % 1_000_000,
            "updatedBy": format!("svc-{}", rng.hex(6)), "version": rng.next() % 50, "tags": ["priority", "gift-wrap"], "notes": "Leave at front desk"
        })
    };
    json!({"table": "orders", "changes": (0..rows).map(|_| json!({
        "operation": "MODIFY", "sequence": format!("{}", 100_000_000_000_000_000u64 + rng.next()),
        "before": row(rng, "PENDING"), "after": row(rng, "SHIPPED")
    })).collect::<Vec<_>>()})
}

fn profile(rng: &mut Lcg) -> Value {
    json!({"customerId": format!("cus-{}", rng.hex(10)), "segments": ["loyalty-gold", "newsletter"],
           "addresses": (0..6).map(|i| json!({"label": format!("address-{i}"), "line1": format!("{} Pine Road", rng.next() % 9999), "city": "Seattle", "postalCode": format!("98{:03}", rng.next() % 1000)})).collect::<Vec<_>>(),
           "orderHistory": (0..120).map(|_| json!({"orderId": format!("ord-{}", rng.hex(12)), "total": (rng.next() % 50000) as f64 / 100.0, "placedAt": format!("2026-{:02}-{:02}", 1 + rng.next() % 12, 1 + rng.next() % 28)})).collect::<Vec<_>>()})
}

fn main() {
    let mut rng = Lcg(42);
    let cases = [
        ("order, 60 lines", order(&mut rng, 60)),
        ("order, 300 lines", order(&mut rng, 300)),
        ("CDC batch, 40 row changes", cdc(&mut rng, 40)),
        ("customer profile, 120 orders", profile(&mut rng)),
    ];
    let mut total_in = 0usize;
    let mut total_out = 0usize;
    for (name, detail) in &cases {
        let original = serde_json::to_vec(detail).unwrap().len();
        let (sent, compressed) = compress_detail(detail, 8192).unwrap();
        assert!(compressed, "{name} is below the threshold");
        let wire = serde_json::to_vec(&sent).unwrap().len();
        total_in += original;
        total_out += wire;
        let mut compress_times = Vec::new();
        let mut decode_times = Vec::new();
        for _ in 0..300 {
            let t = Instant::now();
            let (sent, _) = compress_detail(detail, 8192).unwrap();
            compress_times.push(t.elapsed());
            let t = Instant::now();
            let back = decode_detail(sent).unwrap();
            decode_times.push(t.elapsed());
            assert_eq!(&back, detail);
        }
        compress_times.sort_unstable();
        decode_times.sort_unstable();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{name}: {original} B -> {wire} B on the wire (zstd + base64 marker), ratio {:.1}x; compress p50 {:.0} us p99 {:.0} us; decode p50 {:.0} us p99 {:.0} us",
            original as f64 / wire as f64,
            us(percentile(&compress_times, 50.0)),
            us(percentile(&compress_times, 99.0)),
            us(percentile(&decode_times, 50.0)),
            us(percentile(&decode_times, 99.0)),
        );
    }
    println!(
        "all cases: {total_in} B -> {total_out} B, ratio {:.1}x",
        total_in as f64 / total_out as f64
    );
}
