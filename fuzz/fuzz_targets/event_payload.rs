//! Event payloads as the consumers read them off the bus, each decoded and
//! checked as its consumer's `prepare` does before any database: dispatch's
//! ticket events (points, the exchange), referrals (review), decisions and
//! requested tickets (dispatch), analytic events (video ingest). The first
//! byte picks the subject.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use platform::inbox::ReceivedEvent;
use prost::Message as _;
use ticket_dispatch::domain::category::Category;

const TICKET_SUBJECTS: [&str; 12] = [
    "dispatch.ticket.received",
    "dispatch.ticket.dispatched",
    "dispatch.ticket.accepted",
    "dispatch.ticket.started",
    "dispatch.ticket.returned",
    "dispatch.ticket.resolved",
    "dispatch.ticket.verified",
    "dispatch.ticket.reopened",
    "dispatch.ticket.closed",
    "dispatch.ticket.escalated",
    "dispatch.ticket.deadline_warning",
    "dispatch.ticket.referred",
];

fn event(subject: &str, payload: &[u8]) -> ReceivedEvent {
    ReceivedEvent {
        event_id: uuid::Uuid::nil(),
        subject: subject.to_owned(),
        payload: bytes::Bytes::copy_from_slice(payload),
        headers: HashMap::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    match pick % 5 {
        0 => {
            let subject = TICKET_SUBJECTS[usize::from(pick / 5) % TICKET_SUBJECTS.len()];
            let received = event(subject, payload);
            let _ = points::consumers::update_of(&received);
            let _ = case_exchange::consumers::news_of(&received);
        }
        1 => {
            if let Ok(referred) = proto::dispatch::v1::TicketReferred::decode(payload) {
                let at = chrono::DateTime::from_timestamp(1_772_000_000, 0).expect("a time");
                let _ = case_review::consumers::request_of(&referred, "town", at);
            }
        }
        2 => {
            if let Ok(made) = proto::review::v1::DecisionMade::decode(payload) {
                let _ = ticket_dispatch::consumers::decided(made);
            }
        }
        3 => {
            if let Ok(requested) = proto::dispatch::v1::TicketRequested::decode(payload) {
                let request =
                    ticket_dispatch::convert::ticket_request(requested.request.unwrap_or_default());
                let category = Category {
                    code: request.category_code.clone(),
                    name: "火灾隐患".to_owned(),
                    domain_code: "FIRE".to_owned(),
                    working_days: 5,
                    difficult: false,
                    active: true,
                    handled_by: Vec::new(),
                };
                let _ = request.check(Some(category));
            }
        }
        _ => {
            if let Ok(received) = proto::video::v1::AnalyticReceived::decode(payload) {
                let draft = video_ingest::convert::event_draft(received.event.unwrap_or_default());
                let _ = draft.check("event");
            }
        }
    }
});
