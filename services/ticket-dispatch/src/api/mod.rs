//! The tonic implementation of `weigrid.dispatch.v1.DispatchService`.

pub mod convert;
mod error;
mod intake;
mod moves;
mod queries;
mod stats;

use std::sync::Arc;

use platform::auth::{Caller, Role};
use platform::clock::SharedClock;
use platform::outbox::RelayWaker;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::dispatch_service_server::DispatchService;
use sqlx::PgPool;

pub use error::ApiError;

use crate::config::{Assessment, Duplicates};
use crate::domain::channel::ChannelLimits;
use crate::registry::Registry;
use crate::repository::tickets::TicketRow;
use crate::workflow::Rules;

/// The configured rules of intake and assessment.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub limits: ChannelLimits,
    pub assessment: Assessment,
    pub duplicates: Duplicates,
}

/// The dispatch gRPC service.
#[derive(Clone)]
pub struct DispatchApi {
    pool: PgPool,
    registry: Registry,
    clock: SharedClock,
    waker: RelayWaker,
    rules: Arc<Rules>,
    limits: ChannelLimits,
    assessment: Assessment,
    duplicates: Duplicates,
}

impl DispatchApi {
    /// Returns the service.
    pub fn new(
        pool: PgPool,
        registry: Registry,
        clock: SharedClock,
        waker: RelayWaker,
        rules: Arc<Rules>,
        policy: Policy,
    ) -> Self {
        let Policy {
            limits,
            assessment,
            duplicates,
        } = policy;
        Self {
            pool,
            registry,
            clock,
            waker,
            rules,
            limits,
            assessment,
            duplicates,
        }
    }
}

/// Returns whether `caller` may see `ticket`: town-wide roles see all; a
/// village's staff their village; a micro-grid's people their micro-grid;
/// a department its own tickets.
pub fn may_see(caller: &Caller, ticket: &TicketRow) -> bool {
    match (caller.role, caller.scope.as_deref()) {
        (Role::TownOperator | Role::Service | Role::Reviewer, _) => true,
        (_, None) => false,
        (Role::WorkstationStaff, Some(scope)) => ticket.village_code.as_deref() == Some(scope),
        (Role::MicroGridLeader | Role::Member, Some(scope)) => {
            ticket.micro_grid_code.as_deref() == Some(scope)
                || ticket.assignee_code.as_deref() == Some(scope)
        }
        (Role::DepartmentOfficer, Some(scope)) => ticket.assignee_code.as_deref() == Some(scope),
        (Role::Resident, _) => false,
    }
}

platform::delegate_rpcs! {
    DispatchService for DispatchApi {
        create_ticket: pb::CreateTicketRequest => pb::CreateTicketResponse;
        get_ticket: pb::GetTicketRequest => pb::GetTicketResponse;
        list_tickets: pb::ListTicketsRequest => pb::ListTicketsResponse;
        transition: pb::TransitionRequest => pb::TransitionResponse;
        request_extension: pb::RequestExtensionRequest => pb::RequestExtensionResponse;
        decide_extension: pb::DecideExtensionRequest => pb::DecideExtensionResponse;
                set_clock_paused: pb::SetClockPausedRequest => pb::SetClockPausedResponse;
                merge_tickets: pb::MergeTicketsRequest => pb::MergeTicketsResponse;
        split_ticket: pb::SplitTicketRequest => pb::SplitTicketResponse;
        get_statistics: pb::GetStatisticsRequest => pb::GetStatisticsResponse;
        get_assessment: pb::GetAssessmentRequest => pb::GetAssessmentResponse;
    }
}
