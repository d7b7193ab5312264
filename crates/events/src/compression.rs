//! zstd compression of an event's `detail` for cross-region transfer, with the marker that
//! tells receivers to decode it.
//!
//! A compressed detail is replaced by a JSON object whose only key is [`MARKER_KEY`]:
//! `{"_platformCompressed": {"encoding": "zstd+base64", "originalBytes": N, "data": "..."}}`.
//! EventBridge requires `detail` to be a JSON object, so the bytes travel base64-encoded.
//! Receivers call [`decode_detail`], which passes uncompressed details through unchanged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::EventError;

/// The key that marks a compressed detail.
pub const MARKER_KEY: &str = "_platformCompressed";
/// The only encoding written and read.
pub const ENCODING: &str = "zstd+base64";
/// A decompressed detail larger than this is refused (bounds memory on hostile input).
pub const MAX_DECOMPRESSED_BYTES: usize = 4 * 1024 * 1024;
/// zstd level: 3 is zstd's default, a good ratio at sub-millisecond cost for 10-100 KB.
const LEVEL: i32 = 3;

/// The marker's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompressedDetail {
    pub encoding: String,
    pub original_bytes: usize,
    pub data: String,
}

/// Compresses `detail` when its JSON form is larger than `threshold_bytes`; otherwise returns
/// it unchanged. Returns the detail to send and whether it was compressed.
pub fn compress_detail(
    detail: &Value,
    threshold_bytes: usize,
) -> Result<(Value, bool), EventError> {
    let json = serde_json::to_vec(detail).map_err(|source| EventError::Json {
        what: "event detail",
        source,
    })?;
    if json.len() <= threshold_bytes {
        return Ok((detail.clone(), false));
    }
    if json.len() > MAX_DECOMPRESSED_BYTES {
        return Err(EventError::Compression(format!(
            "detail of {} bytes exceeds the {MAX_DECOMPRESSED_BYTES}-byte limit",
            json.len()
        )));
    }
    let compressed = zstd::bulk::compress(&json, LEVEL)
        .map_err(|e| EventError::Compression(format!("zstd compress: {e}")))?;
    let marker = CompressedDetail {
        encoding: ENCODING.to_string(),
        original_bytes: json.len(),
        data: STANDARD.encode(compressed),
    };
    let mut object = serde_json::Map::new();
    object.insert(
        MARKER_KEY.to_string(),
        serde_json::to_value(marker).map_err(|source| EventError::Json {
            what: "compression marker",
            source,
        })?,
    );
    Ok((Value::Object(object), true))
}

/// True when `detail` is a compression marker.
pub fn is_compressed(detail: &Value) -> bool {
    matches!(detail, Value::Object(map) if map.len() == 1 && map.contains_key(MARKER_KEY))
}

/// Returns the original detail: decompresses a marker, passes anything else through.
pub fn decode_detail(detail: Value) -> Result<Value, EventError> {
    if !is_compressed(&detail) {
        return Ok(detail);
    }
    let Value::Object(mut map) = detail else {
        unreachable!("is_compressed checked the shape")
    };
    let marker: CompressedDetail =
        serde_json::from_value(map.remove(MARKER_KEY).unwrap_or_default()).map_err(|source| {
            EventError::Json {
                what: "compression marker",
                source,
            }
        })?;
    if marker.encoding != ENCODING {
        return Err(EventError::Compression(format!(
            "unknown encoding `{}`",
            marker.encoding
        )));
    }
    if marker.original_bytes > MAX_DECOMPRESSED_BYTES {
        return Err(EventError::Compression(format!(
            "declared size {} exceeds the {MAX_DECOMPRESSED_BYTES}-byte limit",
            marker.original_bytes
        )));
    }
    let compressed = STANDARD
        .decode(marker.data.as_bytes())
        .map_err(|e| EventError::Compression(format!("base64: {e}")))?;
    let json = zstd::bulk::decompress(&compressed, marker.original_bytes)
        .map_err(|e| EventError::Compression(format!("zstd decompress: {e}")))?;
    if json.len() != marker.original_bytes {
        return Err(EventError::Compression(format!(
            "decompressed {} bytes, marker declared {}",
            json.len(),
            marker.original_bytes
        )));
    }
    serde_json::from_slice(&json).map_err(|source| EventError::Json {
        what: "decompressed detail",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_details_pass_through_and_large_ones_round_trip() {
        let small = json!({"a": 1});
        assert_eq!(
            compress_detail(&small, 100).unwrap(),
            (small.clone(), false)
        );
        let large = json!({"items": (0..500).map(|i| json!({"sku": format!("SKU-{i}"), "qty": i})).collect::<Vec<_>>()});
        let (sent, compressed) = compress_detail(&large, 100).unwrap();
        assert!(compressed && is_compressed(&sent));
        assert_eq!(decode_detail(sent).unwrap(), large);
        assert_eq!(decode_detail(small.clone()).unwrap(), small);
    }

    #[test]
    fn hostile_markers_are_errors() {
        let marker = |enc: &str, n: usize, data: &str| json!({MARKER_KEY: {"encoding": enc, "originalBytes": n, "data": data}});
        assert!(decode_detail(marker("gzip", 1, "")).is_err());
        assert!(decode_detail(marker(ENCODING, 1, "!!!")).is_err());
        assert!(decode_detail(marker(ENCODING, usize::MAX, "AAAA")).is_err());
        assert!(decode_detail(marker(ENCODING, 10, "AAAA")).is_err());
        assert!(decode_detail(json!({MARKER_KEY: 5})).is_err());
        // A real compressed payload that declares a smaller size than it inflates to.
        let (mut sent, _) = compress_detail(&json!({"x": "y".repeat(1000)}), 10).unwrap();
        sent[MARKER_KEY]["originalBytes"] = json!(100);
        assert!(decode_detail(sent).is_err());
    }
}
