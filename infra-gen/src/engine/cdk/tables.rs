//! The events, CDC state and idempotency tables (native: `platform/tables.rs`), as L2 `Table`s
//! encrypted with the data key.

use aws_cdk_lib::Stack;
use aws_cdk_lib::aws_dynamodb::{
    Attribute, AttributeType, BillingMode as CdkBilling, PointInTimeRecoverySpecification,
    StreamViewType, Table, TableEncryption, TableProps,
};
use aws_cdk_lib::aws_kms::Key;
use aws_cdk_lib::runtime::Upcast as _;

use super::removal;
use crate::platform::Names;
use crate::spec::{BillingMode, RegionalSpec};

pub struct Tables {
    pub events: Table,
    pub cdc_state: Table,
    pub idempotency: Table,
}

struct Shape<'a> {
    id: &'a str,
    name: String,
    sort_key: Option<&'a str>,
    stream: bool,
    ttl_attribute: Option<String>,
}

impl Tables {
    pub fn new(stack: &Stack, rs: &RegionalSpec, names: &Names, key: &Key) -> jsii::Result<Tables> {
        let table = |shape| add_table(stack, rs, key, shape);
        Ok(Tables {
            events: table(Shape {
                id: "EventsTable",
                name: names.scoped("events"),
                sort_key: Some(platform_contract::EVENTS_TABLE_SORT_KEY),
                stream: true,
                ttl_attribute: rs.spec.table.ttl_attribute.clone(),
            })?,
            cdc_state: table(Shape {
                id: "CdcStateTable",
                name: names.cdc_table(),
                sort_key: None,
                stream: false,
                ttl_attribute: Some(platform_contract::CDC_EXPIRY_ATTRIBUTE.into()),
            })?,
            idempotency: table(Shape {
                id: "IdempotencyTable",
                name: names.scoped("idempotency"),
                sort_key: None,
                stream: false,
                // The functions' idempotency library's attribute, as in the native engine.
                ttl_attribute: Some("expiresAt".into()),
            })?,
        })
    }
}

fn add_table(stack: &Stack, rs: &RegionalSpec, key: &Key, shape: Shape<'_>) -> jsii::Result<Table> {
    let settings = &rs.spec.table;
    let string_key = |name: &str| Attribute {
        name: Some(name.into()),
        r#type: Some(AttributeType::String),
    };
    let (billing_mode, read_capacity, write_capacity) = match settings.billing_mode {
        BillingMode::PayPerRequest => (CdkBilling::PayPerRequest, None, None),
        BillingMode::Provisioned => (
            CdkBilling::Provisioned,
            Some(f64::from(settings.read_capacity.unwrap_or(1))),
            Some(f64::from(settings.write_capacity.unwrap_or(1))),
        ),
    };
    Table::new(
        stack,
        shape.id,
        &TableProps {
            table_name: Some(shape.name),
            partition_key: Some(string_key(platform_contract::TABLE_PARTITION_KEY)),
            sort_key: shape.sort_key.map(string_key),
            billing_mode: Some(billing_mode),
            read_capacity,
            write_capacity,
            stream: shape.stream.then_some(StreamViewType::NewAndOldImages),
            point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: Some(settings.point_in_time_recovery),
                ..Default::default()
            }),
            encryption: Some(TableEncryption::CustomerManaged),
            encryption_key: Some(key.upcast()),
            deletion_protection: Some(settings.deletion_protection),
            time_to_live_attribute: shape.ttl_attribute,
            removal_policy: Some(removal(rs)),
            ..Default::default()
        },
    )
}
