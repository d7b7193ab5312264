//! The events table's item keys: the one place that builds them.
//!
//! The table (infra-gen's `EventsTable`) is keyed by the strings
//! [`TABLE_PARTITION_KEY`](platform_contract::TABLE_PARTITION_KEY) and
//! [`EVENTS_TABLE_SORT_KEY`](platform_contract::EVENTS_TABLE_SORT_KEY), and DynamoDB refuses an
//! item without both. The convention follows the consumer's CDC rows (`pk = <table>#<key>`):
//! the partition key is `<kind>#<id>`, so kinds never collide in the shared table, and the sort
//! key names what the item is within that partition.
//!
//! | item | `pk` | `sk` | written by |
//! |---|---|---|---|
//! | a validated, enriched event | `event#<event id>` | `envelope` | event-transformer |
//! | a region's latest health | `health#<region>` | `latest` | health-checker |
//!
//! Both sort keys are constants on purpose: a retried invocation (Lambda retries a failed
//! transform, the schedule re-checks health every minute) replaces its item instead of adding
//! one, and a reader fetches an item with one GetItem. A later item about the same event or
//! region (a history, a processing result) gets a sort key of its own beside them.

use platform_contract::{EVENTS_TABLE_SORT_KEY, TABLE_PARTITION_KEY};
use serde_json::{Map, Value};

/// The sort key of a transformed event's item.
pub const EVENT_SORT_KEY: &str = "envelope";
/// The sort key of a region's latest health status.
pub const HEALTH_SORT_KEY: &str = "latest";

/// The full primary key of one item in the events table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsTableKey {
    pub pk: String,
    pub sk: String,
}

impl EventsTableKey {
    /// The item event-transformer writes for the event with EventBridge id `id`.
    pub fn event(id: &str) -> Self {
        Self {
            pk: format!("event#{id}"),
            sk: EVENT_SORT_KEY.to_string(),
        }
    }

    /// The item health-checker writes with `region`'s latest status.
    pub fn health(region: &str) -> Self {
        Self {
            pk: format!("health#{region}"),
            sk: HEALTH_SORT_KEY.to_string(),
        }
    }

    /// The key alone, as plain JSON (for GetItem and DeleteItem).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut key = Map::new();
        key.insert(TABLE_PARTITION_KEY.into(), Value::String(self.pk.clone()));
        key.insert(EVENTS_TABLE_SORT_KEY.into(), Value::String(self.sk.clone()));
        key
    }

    /// `attributes` as an item under this key; the key wins over attributes of the same names.
    pub fn item(&self, mut attributes: Map<String, Value>) -> Map<String, Value> {
        attributes.extend(self.to_json());
        attributes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_follow_the_documented_convention() {
        assert_eq!(
            Value::Object(EventsTableKey::event("e-1").to_json()),
            json!({"pk": "event#e-1", "sk": "envelope"})
        );
        assert_eq!(
            Value::Object(EventsTableKey::health("us-west-2").to_json()),
            json!({"pk": "health#us-west-2", "sk": "latest"})
        );
    }

    #[test]
    fn an_item_always_carries_both_keys() {
        let attributes = json!({"status": "healthy", "pk": "forged", "sk": "forged"});
        let item =
            EventsTableKey::health("eu-west-1").item(attributes.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(item),
            json!({"status": "healthy", "pk": "health#eu-west-1", "sk": "latest"})
        );
    }
}
