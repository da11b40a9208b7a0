//! The registry's events: its stream, subjects, and each domain event as
//! the proto message published through the outbox.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::registry::v1 as pb;
use uuid::Uuid;

use crate::convert;
use crate::domain::department::{Department, DepartmentEvent, DomainDuty, DutyEvent};
use crate::domain::grid::{Grid, GridEvent};
use crate::domain::member::{Member, MemberEvent};
use crate::domain::object::{CoveredObject, ObjectEvent};

/// The REGISTRY stream, subjects `registry.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("REGISTRY", "registry");

pub const GRID_CREATED: &str = "registry.grid.created";
pub const GRID_UPDATED: &str = "registry.grid.updated";
pub const MEMBER_ADDED: &str = "registry.member.added";
pub const MEMBER_REMOVED: &str = "registry.member.removed";
pub const OBJECT_CREATED: &str = "registry.object.created";
pub const DEPARTMENT_UPSERTED: &str = "registry.department.upserted";
pub const DUTY_ASSIGNED: &str = "registry.duty.assigned";

/// Every grid event, for the index listener.
pub const GRID_EVENTS: &str = "registry.grid.>";

/// Returns the metadata of a new event.
fn meta(actor: &str, at: DateTime<Utc>) -> (Uuid, pb::EventMeta) {
    let event_id = Uuid::now_v7();
    let meta = pb::EventMeta {
        event_id: event_id.to_string(),
        occurred_at: Some(convert::timestamp(at)),
        actor: actor.to_owned(),
    };
    (event_id, meta)
}

/// `registry.grid.created` or `registry.grid.updated`, by `actor` at `at`.
pub fn grid(actor: &str, at: DateTime<Utc>, grid: &Grid, event: &GridEvent) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    let grid = Some(convert::grid(grid, false));
    match *event {
        GridEvent::Created => OutboxEvent::encode(
            id,
            GRID_CREATED,
            &pb::GridCreated {
                meta: Some(meta),
                grid,
            },
        ),
        GridEvent::Updated { boundary_changed } => OutboxEvent::encode(
            id,
            GRID_UPDATED,
            &pb::GridUpdated {
                meta: Some(meta),
                grid,
                boundary_changed,
            },
        ),
    }
}

/// `registry.member.added` or `registry.member.removed`; the phone goes
/// out masked.
pub fn member(actor: &str, at: DateTime<Utc>, member: &Member, event: &MemberEvent) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    let member = Some(convert::member(member));
    match event {
        MemberEvent::Added => OutboxEvent::encode(
            id,
            MEMBER_ADDED,
            &pb::MemberAdded {
                meta: Some(meta),
                member,
            },
        ),
        MemberEvent::Removed { reason } => OutboxEvent::encode(
            id,
            MEMBER_REMOVED,
            &pb::MemberRemoved {
                meta: Some(meta),
                member,
                reason: reason.clone(),
            },
        ),
    }
}

/// `registry.object.created`.
pub fn object(
    actor: &str,
    at: DateTime<Utc>,
    object: &CoveredObject,
    event: &ObjectEvent,
) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    match event {
        ObjectEvent::Created => OutboxEvent::encode(
            id,
            OBJECT_CREATED,
            &pb::ObjectCreated {
                meta: Some(meta),
                object: Some(convert::object(object)),
            },
        ),
    }
}

/// `registry.department.upserted`.
pub fn department(
    actor: &str,
    at: DateTime<Utc>,
    department: &Department,
    event: &DepartmentEvent,
) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    match event {
        DepartmentEvent::Upserted => OutboxEvent::encode(
            id,
            DEPARTMENT_UPSERTED,
            &pb::DepartmentUpserted {
                meta: Some(meta),
                department: Some(convert::department(department)),
            },
        ),
    }
}

/// `registry.duty.assigned`.
pub fn duty(actor: &str, at: DateTime<Utc>, duty: &DomainDuty, event: &DutyEvent) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    match event {
        DutyEvent::Assigned => OutboxEvent::encode(
            id,
            DUTY_ASSIGNED,
            &pb::DomainDutyAssigned {
                meta: Some(meta),
                duty: Some(convert::duty(duty)),
            },
        ),
    }
}
