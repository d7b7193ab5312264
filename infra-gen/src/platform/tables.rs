//! The DynamoDB tables: the events table (its stream feeds stream-processor), the stream
//! processor's idempotency records and the CDC consumer's state. All three share the
//! environment's billing, recovery, deletion-protection and key settings; access comes only
//! through the grants of the handles returned here.

use super::{Names, retain};
use crate::construct::grant::{KeyHandle, TableHandle};
use crate::construct::*;
use crate::spec::{BillingMode, RegionalSpec};

pub struct Tables {
    /// Events by `pk`/`sk`, with a NEW_AND_OLD_IMAGES stream and the spec's TTL attribute.
    pub events: TableHandle,
    /// The CDC consumer's sink: a row or a DELETE's tombstone per source row. Only tombstones
    /// carry the TTL attribute, so DynamoDB removes them and never rows.
    pub cdc_state: TableHandle,
    /// The stream processor's idempotency records: a table of its own, since writing them to
    /// the events table would feed its own stream. It writes `expiresAt` on each record (see
    /// functions/README.md).
    pub idempotency: TableHandle,
}

/// What differs between the tables.
struct Shape<'a> {
    path: &'a str,
    name: String,
    sort_key: Option<&'a str>,
    stream: bool,
    ttl_attribute: Option<String>,
}

impl Tables {
    pub fn new(
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
        key: &KeyHandle,
    ) -> Result<Tables, ConstructError> {
        let mut table = |shape| add_table(stack, rs, key, shape);
        Ok(Tables {
            events: table(Shape {
                path: "EventsTable",
                name: names.scoped("events"),
                sort_key: Some(platform_contract::EVENTS_TABLE_SORT_KEY),
                stream: true,
                ttl_attribute: rs.spec.table.ttl_attribute.clone(),
            })?,
            cdc_state: table(Shape {
                path: "CdcStateTable",
                name: names.cdc_table(),
                sort_key: None,
                stream: false,
                ttl_attribute: Some(platform_contract::CDC_EXPIRY_ATTRIBUTE.into()),
            })?,
            idempotency: table(Shape {
                path: "IdempotencyTable",
                name: names.scoped("idempotency"),
                sort_key: None,
                stream: false,
                ttl_attribute: Some("expiresAt".into()),
            })?,
        })
    }
}

fn add_table(
    stack: &mut Stack,
    rs: &RegionalSpec,
    key: &KeyHandle,
    shape: Shape<'_>,
) -> Result<TableHandle, ConstructError> {
    let settings = &rs.spec.table;
    let provisioned = match settings.billing_mode {
        BillingMode::PayPerRequest => None,
        BillingMode::Provisioned => Some((
            settings.read_capacity.unwrap_or(1),
            settings.write_capacity.unwrap_or(1),
        )),
    };
    let id = stack.add(
        &[shape.path],
        ResourceKind::Table(Table {
            name: shape.name,
            partition_key: platform_contract::TABLE_PARTITION_KEY.into(),
            sort_key: shape.sort_key.map(String::from),
            provisioned,
            stream_new_and_old_images: shape.stream,
            point_in_time_recovery: settings.point_in_time_recovery,
            deletion_protection: settings.deletion_protection,
            kms_key: key.id.clone(),
            ttl_attribute: shape.ttl_attribute,
        }),
        retain(rs),
    )?;
    Ok(TableHandle {
        id,
        key: key.clone(),
    })
}
