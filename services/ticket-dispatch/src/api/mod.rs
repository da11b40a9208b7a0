//! The tonic implementation of `weigrid.dispatch.v1.DispatchService`: each
//! handler decodes the request into a command (bad input is
//! INVALID_ARGUMENT naming the field, before any database work; intake
//! checks a new ticket together with the category it names), checks what
//! the caller's role alone decides, builds the call's key, calls one use
//! case and encodes its answer.

mod calendar;
mod intake;
mod links;
mod moves;
mod queries;
mod stats;

use platform::error::AppError;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::dispatch_service_server::DispatchService;

use crate::application::Context;

/// The dispatch gRPC service.
#[derive(Clone)]
pub struct DispatchApi {
    ctx: Context,
}

impl DispatchApi {
    /// Returns the service over `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }
}

/// Returns the id in `field`, parsed by `parse`.
fn id<T>(value: &str, field: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, AppError> {
    parse(value).ok_or_else(|| AppError::invalid(field, "must be a UUID"))
}

/// Returns `text` trimmed, `None` when nothing is left.
fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

platform::delegate_rpcs! {
    DispatchService for DispatchApi {
        create_ticket: pb::CreateTicketRequest => pb::CreateTicketResponse;
        get_ticket: pb::GetTicketRequest => pb::GetTicketResponse;
        list_tickets: pb::ListTicketsRequest => pb::ListTicketsResponse;
        dispatch_ticket: pb::DispatchTicketRequest => pb::DispatchTicketResponse;
        accept_ticket: pb::AcceptTicketRequest => pb::AcceptTicketResponse;
        start_work: pb::StartWorkRequest => pb::StartWorkResponse;
        resolve_ticket: pb::ResolveTicketRequest => pb::ResolveTicketResponse;
        return_ticket: pb::ReturnTicketRequest => pb::ReturnTicketResponse;
        verify_ticket: pb::VerifyTicketRequest => pb::VerifyTicketResponse;
        follow_up_ticket: pb::FollowUpTicketRequest => pb::FollowUpTicketResponse;
        close_ticket: pb::CloseTicketRequest => pb::CloseTicketResponse;
        reopen_ticket: pb::ReopenTicketRequest => pb::ReopenTicketResponse;
        accept_task: pb::AcceptTaskRequest => pb::AcceptTaskResponse;
        resolve_task: pb::ResolveTaskRequest => pb::ResolveTaskResponse;
        return_task: pb::ReturnTaskRequest => pb::ReturnTaskResponse;
        request_extension: pb::RequestExtensionRequest => pb::RequestExtensionResponse;
        decide_extension: pb::DecideExtensionRequest => pb::DecideExtensionResponse;
        list_extensions: pb::ListExtensionsRequest => pb::ListExtensionsResponse;
        set_clock_paused: pb::SetClockPausedRequest => pb::SetClockPausedResponse;
        set_task_clock_paused: pb::SetTaskClockPausedRequest => pb::SetTaskClockPausedResponse;
        merge_tickets: pb::MergeTicketsRequest => pb::MergeTicketsResponse;
        split_ticket: pb::SplitTicketRequest => pb::SplitTicketResponse;
        refer_ticket: pb::ReferTicketRequest => pb::ReferTicketResponse;
        reject_ticket: pb::RejectTicketRequest => pb::RejectTicketResponse;
        get_statistics: pb::GetStatisticsRequest => pb::GetStatisticsResponse;
        get_assessment: pb::GetAssessmentRequest => pb::GetAssessmentResponse;
        list_categories: pb::ListCategoriesRequest => pb::ListCategoriesResponse;
        get_calendar: pb::GetCalendarRequest => pb::GetCalendarResponse;
        set_calendar: pb::SetCalendarRequest => pb::SetCalendarResponse;
    }
}
