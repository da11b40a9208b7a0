//! The registry's events: its stream, subjects, and the proto messages
//! published through the outbox.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::registry::v1 as pb;
use uuid::Uuid;

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
pub fn meta(actor: &str, at: DateTime<Utc>) -> (Uuid, pb::EventMeta) {
    let event_id = Uuid::now_v7();
    let meta = pb::EventMeta {
        event_id: event_id.to_string(),
        occurred_at: Some(crate::api::convert::timestamp(at)),
        actor: actor.to_owned(),
    };
    (event_id, meta)
}

/// `registry.grid.created`.
pub fn grid_created(actor: &str, at: DateTime<Utc>, grid: pb::Grid) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        GRID_CREATED,
        &pb::GridCreated {
            meta: Some(meta),
            grid: Some(grid),
        },
    )
}

/// `registry.grid.updated`.
pub fn grid_updated(
    actor: &str,
    at: DateTime<Utc>,
    grid: pb::Grid,
    boundary_changed: bool,
) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        GRID_UPDATED,
        &pb::GridUpdated {
            meta: Some(meta),
            grid: Some(grid),
            boundary_changed,
        },
    )
}

/// `registry.member.added`.
pub fn member_added(actor: &str, at: DateTime<Utc>, member: pb::Member) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        MEMBER_ADDED,
        &pb::MemberAdded {
            meta: Some(meta),
            member: Some(member),
        },
    )
}

/// `registry.member.removed`.
pub fn member_removed(
    actor: &str,
    at: DateTime<Utc>,
    member: pb::Member,
    reason: String,
) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        MEMBER_REMOVED,
        &pb::MemberRemoved {
            meta: Some(meta),
            member: Some(member),
            reason,
        },
    )
}

/// `registry.object.created`.
pub fn object_created(actor: &str, at: DateTime<Utc>, object: pb::CoveredObject) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        OBJECT_CREATED,
        &pb::ObjectCreated {
            meta: Some(meta),
            object: Some(object),
        },
    )
}

/// `registry.department.upserted`.
pub fn department_upserted(
    actor: &str,
    at: DateTime<Utc>,
    department: pb::Department,
) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        DEPARTMENT_UPSERTED,
        &pb::DepartmentUpserted {
            meta: Some(meta),
            department: Some(department),
        },
    )
}

/// `registry.duty.assigned`.
pub fn duty_assigned(actor: &str, at: DateTime<Utc>, duty: pb::DomainDuty) -> OutboxEvent {
    let (id, meta) = meta(actor, at);
    OutboxEvent::encode(
        id,
        DUTY_ASSIGNED,
        &pb::DomainDutyAssigned {
            meta: Some(meta),
            duty: Some(duty),
        },
    )
}
