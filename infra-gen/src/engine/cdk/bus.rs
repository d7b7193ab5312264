//! This region's event bus and the peer region's, imported by ARN (native: `platform/bus.rs`).

use aws_cdk_lib::Stack;
use aws_cdk_lib::aws_events::{EventBus, EventBusProps, IEventBus};

use crate::platform::Names;
use crate::spec::RegionalSpec;

pub struct EventBuses {
    pub local: EventBus,
    pub peer: IEventBus,
}

impl EventBuses {
    pub fn new(stack: &Stack, rs: &RegionalSpec, names: &Names) -> jsii::Result<EventBuses> {
        let local = EventBus::new(
            stack,
            "Bus",
            Some(&EventBusProps {
                event_bus_name: Some(names.bus()),
                ..Default::default()
            }),
        )?;
        let peer =
            EventBus::from_event_bus_arn(stack, "PeerBus", &names.bus_arn_in(&rs.peer_region))?;
        Ok(EventBuses { local, peer })
    }
}
