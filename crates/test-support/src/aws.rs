//! Resources on the AWS API emulator for integration tests: SDK clients with fixed test
//! credentials, and the few shapes every test builds (a `pk` table or a table as infra-gen
//! deploys it, a bus, a queue, a rule delivering a bus's events to a queue, reading a queue
//! until enough messages arrived).
//! Every name comes from [`crate::unique_name`], so tests share one emulator safely.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};
use aws_sdk_sqs::config::Credentials;
use aws_sdk_sqs::types::{Message, QueueAttributeName};

use crate::unique_name;

/// An SDK configuration for the emulator: fixed endpoint, region and static credentials,
/// nothing read from the environment.
pub async fn emulator_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .load()
        .await
}

/// One region of the emulator, with a client per service the tests set up.
pub struct Emulator {
    pub config: SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub sqs: aws_sdk_sqs::Client,
}

/// The committed CloudFormation template [`Emulator::table_as_deployed`] reads. Every stack
/// declares its tables alike (infra-gen's `platform/tables.rs` builds one shape for all of
/// them), and CI's `infra-gen synth --check` keeps this file equal to what infra-gen generates.
pub const DEPLOYED_TEMPLATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../generated/cloudformation/dev-us-east-1/infra-gen-dev-us-east-1.template.json"
);

/// The `Properties` of the `AWS::DynamoDB::Table` resource `logical_id` in [`DEPLOYED_TEMPLATE`].
pub fn deployed_table_properties(logical_id: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(DEPLOYED_TEMPLATE)
        .unwrap_or_else(|e| panic!("reading {DEPLOYED_TEMPLATE}: {e}"));
    let template: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{DEPLOYED_TEMPLATE} is not JSON: {e}"));
    let resource = &template["Resources"][logical_id];
    assert_eq!(
        resource["Type"], "AWS::DynamoDB::Table",
        "{logical_id} in {DEPLOYED_TEMPLATE}"
    );
    resource["Properties"].clone()
}

/// A queue's URL (to send and receive) and ARN (to name it in rules and policies).
pub struct Queue {
    pub url: String,
    pub arn: String,
}

impl Emulator {
    pub async fn connect(endpoint: &str, region: &str) -> Self {
        let config = emulator_config(endpoint, region).await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            config,
        }
    }

    /// An on-demand table keyed by the string `pk`, as the platform's tables are; with
    /// `stream`, a NEW_AND_OLD_IMAGES stream whose ARN is returned.
    pub async fn table(&self, prefix: &str, stream: bool) -> (String, Option<String>) {
        let name = unique_name(prefix);
        let mut request = self
            .dynamodb
            .create_table()
            .table_name(&name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("complete attribute definition"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("complete key schema"),
            )
            .billing_mode(BillingMode::PayPerRequest);
        if stream {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .expect("complete stream specification"),
            );
        }
        let created = request.send().await.expect("CreateTable on the emulator");
        let stream_arn = created.table_description.and_then(|d| d.latest_stream_arn);
        (name, stream_arn)
    }

    /// A table with the key schema, attribute definitions and stream of the table `logical_id`
    /// (e.g. `EventsTable`) as infra-gen deploys it, read from the committed template
    /// [`DEPLOYED_TEMPLATE`], so a writer's test fails when its items lack a key the deployed
    /// table declares; the name and the stream's ARN are returned. Billing is on-demand whatever
    /// the template says: the emulator does not enforce capacity.
    pub async fn table_as_deployed(
        &self,
        logical_id: &str,
        prefix: &str,
    ) -> (String, Option<String>) {
        let properties = deployed_table_properties(logical_id);
        let text = |v: &serde_json::Value, field: &str| -> String {
            v[field]
                .as_str()
                .unwrap_or_else(|| panic!("{logical_id}: {field} is not a string in {v}"))
                .to_string()
        };
        let list = |field: &str| -> Vec<serde_json::Value> {
            properties[field]
                .as_array()
                .unwrap_or_else(|| panic!("{logical_id}: no {field} in {DEPLOYED_TEMPLATE}"))
                .clone()
        };
        let name = unique_name(prefix);
        let mut request = self
            .dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest);
        for key in list("KeySchema") {
            request = request.key_schema(
                KeySchemaElement::builder()
                    .attribute_name(text(&key, "AttributeName"))
                    .key_type(KeyType::from(text(&key, "KeyType").as_str()))
                    .build()
                    .expect("complete key schema"),
            );
        }
        for attribute in list("AttributeDefinitions") {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(text(&attribute, "AttributeName"))
                    .attribute_type(ScalarAttributeType::from(
                        text(&attribute, "AttributeType").as_str(),
                    ))
                    .build()
                    .expect("complete attribute definition"),
            );
        }
        if let Some(stream) = properties.get("StreamSpecification") {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(
                        text(stream, "StreamViewType").as_str(),
                    ))
                    .build()
                    .expect("complete stream specification"),
            );
        }
        let created = request.send().await.expect("CreateTable on the emulator");
        let stream_arn = created.table_description.and_then(|d| d.latest_stream_arn);
        (name, stream_arn)
    }

    /// A custom event bus: its name and ARN.
    pub async fn bus(&self, prefix: &str) -> (String, String) {
        let name = unique_name(prefix);
        let arn = self
            .events
            .create_event_bus()
            .name(&name)
            .send()
            .await
            .expect("CreateEventBus on the emulator")
            .event_bus_arn
            .expect("CreateEventBus returns the ARN");
        (name, arn)
    }

    /// A standard queue.
    pub async fn queue(&self, prefix: &str) -> Queue {
        let url = self
            .sqs
            .create_queue()
            .queue_name(unique_name(prefix))
            .send()
            .await
            .expect("CreateQueue on the emulator")
            .queue_url
            .expect("CreateQueue returns the URL");
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("GetQueueAttributes on the emulator")
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .expect("the queue has an ARN");
        Queue { url, arn }
    }

    /// A new queue that receives every event on `bus` whose source is `source`, through a
    /// rule with the queue as its target: how tests read back what a function published.
    pub async fn queue_for_source(&self, bus: &str, source: &str) -> Queue {
        let queue = self.queue("delivered").await;
        let rule = unique_name("rule");
        self.events
            .put_rule()
            .name(&rule)
            .event_bus_name(bus)
            .event_pattern(serde_json::json!({ "source": [source] }).to_string())
            .send()
            .await
            .expect("PutRule on the emulator");
        self.events
            .put_targets()
            .rule(&rule)
            .event_bus_name(bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(&queue.arn)
                    .build()
                    .expect("complete target"),
            )
            .send()
            .await
            .expect("PutTargets on the emulator");
        queue
    }

    /// Receives from `url` (with message attributes) until `expected` messages arrived or
    /// 20 one-second long polls came back empty; returns what arrived.
    pub async fn receive(&self, url: &str, expected: usize) -> Vec<Message> {
        self.receive_polling(url, expected, 20).await
    }

    /// [`Self::receive`] with at most `polls` long polls: a short wait, for asserting that
    /// nothing (more) arrives.
    pub async fn receive_polling(&self, url: &str, expected: usize, polls: u32) -> Vec<Message> {
        let mut messages = Vec::new();
        for _ in 0..polls {
            let out = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .wait_time_seconds(1)
                .send()
                .await
                .expect("ReceiveMessage on the emulator");
            messages.extend(out.messages.unwrap_or_default());
            if messages.len() >= expected {
                break;
            }
        }
        messages
    }

    /// [`Self::receive`], each message's body parsed as JSON.
    pub async fn receive_json(&self, url: &str, expected: usize) -> Vec<serde_json::Value> {
        self.receive(url, expected)
            .await
            .into_iter()
            .filter_map(|m| m.body)
            .map(|body| {
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
            })
            .collect()
    }
}
