//! The event buses: this region's own bus, and the peer region's, known by ARN only (the
//! other stack creates it under the same deterministic name).

use super::Names;
use crate::construct::grant::{BusHandle, ImportedBus};
use crate::construct::*;
use crate::spec::RegionalSpec;

pub struct EventBuses {
    pub local: BusHandle,
    pub peer: ImportedBus,
}

impl EventBuses {
    pub fn new(
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
    ) -> Result<EventBuses, ConstructError> {
        let id = stack.add(
            &["Bus"],
            ResourceKind::EventBus(EventBus { name: names.bus() }),
            false,
        )?;
        Ok(EventBuses {
            local: BusHandle { id },
            peer: ImportedBus {
                arn: names.bus_arn_in(&rs.peer_region),
            },
        })
    }
}
