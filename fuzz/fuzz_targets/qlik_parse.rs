//! Any bytes through the Qlik parser and the change-to-item transform: an error is fine, a
//! panic, a hang or unbounded memory is a bug.
#![no_main]

use consumer::qlik::{QlikMessage, parse};
use consumer::transform::to_write;
use libfuzzer_sys::fuzz_target;
use platform_contract::TopicTable;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(QlikMessage::Data(change)) = parse(bytes) {
        let mapping = TopicTable {
            topic: "qlik.orders".into(),
            table: "orders".into(),
            key_columns: vec!["ID".into(), "LINE".into()],
        };
        let _ = to_write(&mapping, &change);
    }
});
