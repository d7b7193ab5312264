//! Builders of Qlik Replicate messages in every shape the parser accepts, shared by the unit
//! tests, the end-to-end tests and the benchmarks. Column values are strings, as Qlik's JSON
//! format sends them.

use serde_json::{Map, Value, json};

use crate::avro::encode;

pub type Columns<'a> = &'a [(&'a str, Option<&'a str>)];

fn columns_json(columns: Option<Columns<'_>>) -> Value {
    match columns {
        None => Value::Null,
        Some(cols) => Value::Object(
            cols.iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        v.map_or(Value::Null, |s| Value::String(s.into())),
                    )
                })
                .collect::<Map<_, _>>(),
        ),
    }
}

fn headers_json(operation: &str, change_sequence: Option<&str>) -> Value {
    let cdc = operation != "REFRESH";
    json!({
        "operation": operation,
        "changeSequence": change_sequence,
        "timestamp": cdc.then_some("2026-11-27T10:00:00.000"),
        "streamPosition": cdc.then_some("00000000.00bb2531.00000001.0000.02.0000:154.6963.16"),
        "transactionId": cdc.then_some("00000000000000000000000000060008"),
        "changeMask": "02",
        "columnMask": "07",
        "transactionEventCounter": 1,
        "transactionLastEvent": true
    })
}

/// A JSON data message, with or without the `atMSG` envelope.
pub fn json_data_message(
    enveloped: bool,
    operation: &str,
    change_sequence: Option<&str>,
    data: Option<Columns<'_>>,
    before_data: Option<Columns<'_>>,
) -> Vec<u8> {
    let payload = json!({
        "data": columns_json(data),
        "beforeData": columns_json(before_data),
        "headers": headers_json(operation, change_sequence),
    });
    let document = if enveloped {
        json!({"magic":"atMSG","type":"DT","headers":null,"messageSchemaId":null,"messageSchema":null,"message":payload})
    } else {
        payload
    };
    serde_json::to_vec(&document).unwrap_or_default()
}

/// A JSON metadata message for a table keyed by `key_columns`.
pub fn json_metadata_message(table: &str, key_columns: &[&str], other_columns: &[&str]) -> Vec<u8> {
    let mut columns = Map::new();
    for (i, name) in key_columns.iter().chain(other_columns).enumerate() {
        let position = if i < key_columns.len() { i + 1 } else { 0 };
        columns.insert(
            name.to_string(),
            json!({"ordinal": i + 1, "type": "STRING", "length": 50, "precision": 0, "scale": 0, "primaryKeyPosition": position}),
        );
    }
    let document = json!({"magic":"atMSG","type":"MD","headers":null,"messageSchemaId":null,"messageSchema":null,
        "message":{"schemaId":format!("{table}-schema"),
            "lineage":{"server":"src","task":"task1","schema":"dbo","table":table,"tableVersion":1,"timestamp":"2026-11-27T10:00:00.000"},
            "tableStructure":{"tableColumns":columns},"dataSchema":{}}});
    serde_json::to_vec(&document).unwrap_or_default()
}

/// The Avro writer schema of a Qlik data message whose columns are all nullable strings.
pub fn avro_data_schema(column_names: &[&str]) -> String {
    let fields: Vec<Value> = column_names
        .iter()
        .map(|c| json!({"name": c, "type": ["null", "string"]}))
        .collect();
    json!({"type":"record","name":"DataRecord","namespace":"com.attunity.queue.msg.src.dbo.T","fields":[
        {"name":"data","type":["null",{"type":"record","name":"Data","fields":fields}]},
        {"name":"beforeData","type":["null","Data"]},
        {"name":"headers","type":{"type":"record","name":"Headers","fields":[
            {"name":"operation","type":{"type":"enum","name":"operation","symbols":["INSERT","UPDATE","DELETE","REFRESH"]}},
            {"name":"changeSequence","type":"string"},
            {"name":"timestamp","type":["null","string"]},
            {"name":"streamPosition","type":["null","string"]},
            {"name":"transactionId","type":["null","string"]},
            {"name":"changeMask","type":["null","bytes"]},
            {"name":"columnMask","type":["null","bytes"]},
            {"name":"transactionEventCounter","type":["null","long"]},
            {"name":"transactionLastEvent","type":["null","boolean"]},
            {"name":"externalSchemaId","type":["null","string"]}]}}]})
    .to_string()
}

/// An Avro-enveloped data message whose image(s) have the given columns (`data` and
/// `beforeData`, when both are given, must name the same columns in the same order).
pub fn avro_data_message(
    operation: &str,
    change_sequence: Option<&str>,
    data: Option<Columns<'_>>,
    before_data: Option<Columns<'_>>,
) -> Vec<u8> {
    let names: Vec<&str> = data
        .or(before_data)
        .unwrap_or_default()
        .iter()
        .map(|(k, _)| *k)
        .collect();
    let mut payload = Vec::new();
    for image in [data, before_data] {
        match image {
            None => encode::long(&mut payload, 0),
            Some(cols) => {
                encode::long(&mut payload, 1);
                for (_, value) in cols {
                    encode::optional_string(&mut payload, *value);
                }
            }
        }
    }
    let symbol = ["INSERT", "UPDATE", "DELETE", "REFRESH"]
        .iter()
        .position(|s| *s == operation)
        .unwrap_or(0);
    encode::long(&mut payload, symbol as i64);
    encode::string(&mut payload, change_sequence.unwrap_or(""));
    let cdc = operation != "REFRESH";
    encode::optional_string(&mut payload, cdc.then_some("2026-11-27T10:00:00.000"));
    encode::optional_string(&mut payload, cdc.then_some("00000000.00bb2531.00000001"));
    encode::optional_string(
        &mut payload,
        cdc.then_some("00000000000000000000000000060008"),
    );
    encode::long(&mut payload, 1);
    encode::bytes(&mut payload, &[0x02]);
    encode::long(&mut payload, 1);
    encode::bytes(&mut payload, &[0x07]);
    encode::long(&mut payload, 1);
    encode::long(&mut payload, 1);
    encode::long(&mut payload, 1);
    payload.push(1);
    encode::long(&mut payload, 0);

    let mut envelope = Vec::with_capacity(payload.len() + 1024);
    envelope.extend_from_slice(crate::qlik::ENVELOPE_MAGIC);
    encode::string(&mut envelope, "DT");
    encode::long(&mut envelope, 0);
    encode::optional_string(&mut envelope, Some("schema-1"));
    encode::optional_string(&mut envelope, Some(&avro_data_schema(&names)));
    encode::bytes(&mut envelope, &payload);
    envelope
}
