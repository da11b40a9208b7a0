//! A co-handler's task is a leg of its own: its clock is paused and
//! resumed by the desk, extended on the co-handler's request, and its
//! deadline, open leg and timers follow.

use chrono::TimeDelta;
use platform::auth::Role;
use platform::error::field_violations;
use prost::Message as _;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::hotline;
use ticket_dispatch::testing::*;

fn department(code: &str) -> pb::Unit {
    pb::Unit {
        kind: "DEPARTMENT".into(),
        code: code.into(),
        name: code.into(),
    }
}

/// A petition led by the judicial office, with the police station as its
/// co-handler; returns it dispatched.
async fn petition_with_police(desk: &Actor) -> pb::Ticket {
    let mut petition = hotline("12345-2026-0000888");
    petition.category_code = "PETITION".into();
    let ticket = desk.create_ticket(petition).await;
    desk.move_(pb::DispatchTicketRequest {
        unit: Some(department("JUDICIAL_OFFICE")),
        reason: "信访牵头".into(),
        co_handlers: vec![department("POLICE")],
        ..on(&ticket)
    })
    .await
}

async fn timers_of(pool: &PgPool, task: &pb::Task) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ticket_timers WHERE task_id = $1::uuid")
        .bind(&task.id)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn seconds(at: Option<prost_types::Timestamp>) -> i64 {
    at.expect("a time").seconds
}

/// The task's own open leg's deadline.
fn leg_due(ticket: &pb::Ticket, task: &pb::Task) -> i64 {
    let leg = ticket
        .legs
        .iter()
        .rfind(|l| l.task_id == task.id)
        .expect("the task's leg");
    assert!(leg.ended_at.is_none(), "the leg is open");
    seconds(leg.due_at)
}

#[sqlx::test(migrations = false)]
async fn a_tasks_clock_is_paused_and_resumed_by_the_desk_with_its_leg_and_timers(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = petition_with_police(&desk).await;
    let task = ticket.tasks[0].clone();
    let due = seconds(task.due_at);
    assert_eq!(
        timers_of(&pool, &task).await,
        3,
        "two warnings and a breach"
    );

    let pause = |paused: bool, reason: &str| pb::SetTaskClockPausedRequest {
        ticket_id: ticket.id.clone(),
        task_id: task.id.clone(),
        paused,
        reason: reason.into(),
        ..Default::default()
    };
    let police = test.actor(Role::DepartmentOfficer, Some("POLICE")).await;
    let refused = police
        .client()
        .set_task_clock_paused(pause(true, "等待鉴定"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "the desk pauses");
    let unexplained = desk
        .client()
        .set_task_clock_paused(pause(true, " "))
        .await
        .unwrap_err();
    assert_eq!(field_violations(&unexplained)[0].field, "reason");

    let paused = desk
        .client()
        .set_task_clock_paused(pause(true, "等待伤情鉴定"))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert!(paused.tasks[0].paused);
    let entry = paused.history.last().expect("the pause in the history");
    assert_eq!(entry.change(), pb::Change::ClockPaused);
    assert_eq!(entry.actor, "test-town_operator");
    assert_eq!(entry.reason, "等待伤情鉴定");
    assert_eq!(
        entry.unit.as_ref().map(|u| u.code.as_str()),
        task.unit.as_ref().map(|u| u.code.as_str()),
        "the entry names the task's unit"
    );
    assert_eq!(entry.from_state, entry.to_state, "the state stays");
    let again = desk
        .client()
        .set_task_clock_paused(pb::SetTaskClockPausedRequest {
            idempotency_key: "a second pause".into(),
            ..pause(true, "再次暂停")
        })
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(
        again.history.len(),
        paused.history.len(),
        "pausing a paused clock changes and records nothing"
    );
    assert_eq!(
        timers_of(&pool, &task).await,
        0,
        "a paused task is neither warned nor breached"
    );
    assert_eq!(
        paused.due_at, ticket.due_at,
        "the lead's clock runs on: only the task's is paused"
    );

    test.clock.advance(TimeDelta::hours(2));
    let resumed = desk
        .client()
        .set_task_clock_paused(pause(false, ""))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let task_now = &resumed.tasks[0];
    assert!(!task_now.paused);
    let entry = resumed
        .history
        .last()
        .expect("the resumption in the history");
    assert_eq!(entry.change(), pb::Change::ClockResumed);
    assert_eq!(entry.reason, "", "no reason given to resume");
    assert_eq!(
        seconds(task_now.due_at),
        due + 2 * 3600,
        "the deadline moves by the pause"
    );
    assert_eq!(leg_due(&resumed, task_now), due + 2 * 3600);
    assert_eq!(timers_of(&pool, &task).await, 3, "warned again from now on");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_co_handler_asks_for_more_time_on_its_task_and_the_desk_grants_it(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = petition_with_police(&desk).await;
    let task = ticket.tasks[0].clone();
    let due = seconds(task.due_at);
    let ask = |days| pb::RequestExtensionRequest {
        ticket_id: ticket.id.clone(),
        task_id: task.id.clone(),
        days,
        reason: "等待伤情鉴定结论".into(),
        ..Default::default()
    };

    let lead = test
        .actor(Role::DepartmentOfficer, Some("JUDICIAL_OFFICE"))
        .await;
    let not_theirs = lead.try_request_extension(ask(2)).await.unwrap_err();
    assert_eq!(
        not_theirs.code(),
        Code::PermissionDenied,
        "only the co-handler asks for its task"
    );
    let police = test.actor(Role::DepartmentOfficer, Some("POLICE")).await;
    let asked = police.request_extension(ask(2)).await;
    let again = police.try_request_extension(ask(1)).await.unwrap_err();
    assert_eq!(
        again.code(),
        Code::FailedPrecondition,
        "one pending at a time"
    );
    // The lead's own request is apart from the task's.
    lead.request_extension(pb::RequestExtensionRequest {
        task_id: String::new(),
        ..ask(1)
    })
    .await;
    let pending = desk.list_extensions(&ticket.id).await;
    assert_eq!(
        pending
            .iter()
            .map(|e| (e.task_id.as_str(), e.days))
            .collect::<Vec<_>>(),
        [(task.id.as_str(), 2), ("", 1)]
    );

    let granted = desk
        .decide_extension(pb::DecideExtensionRequest {
            extension_id: asked,
            grant: true,
            ..Default::default()
        })
        .await;
    let extended = &granted.tasks[0];
    // Monday 2026-03-23 09:00 + 2 working days = Wednesday 09:00.
    assert_eq!(seconds(extended.due_at), due + 2 * 24 * 3600);
    assert_eq!(leg_due(&granted, extended), due + 2 * 24 * 3600);
    assert_eq!(
        granted.due_at, ticket.due_at,
        "the ticket's own clock is not extended by its task's"
    );

    // A resolved task's clock has stopped.
    police
        .move_(pb::ResolveTaskRequest {
            task_id: task.id.clone(),
            result: "已出具鉴定".into(),
            ..on(&ticket)
        })
        .await;
    let stopped = desk
        .client()
        .set_task_clock_paused(pb::SetTaskClockPausedRequest {
            ticket_id: ticket.id.clone(),
            task_id: task.id.clone(),
            paused: true,
            reason: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stopped.code(), Code::FailedPrecondition);
    let late = police.try_request_extension(ask(1)).await.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    test.cleanup().await;
}

/// Returns the request handing `task` of `ticket` back for `reason`.
fn hand_back(
    ticket: &pb::Ticket,
    task: &pb::Task,
    reason: pb::ReturnReason,
    note: &str,
) -> pb::ReturnTaskRequest {
    pb::ReturnTaskRequest {
        task_id: task.id.clone(),
        reason: reason.into(),
        note: note.into(),
        ..on(ticket)
    }
}

/// The units that held `task`'s legs, how each came to it and how it
/// ended ("" while held).
fn task_legs(ticket: &pb::Ticket, task: &pb::Task) -> Vec<(String, String, String)> {
    ticket
        .legs
        .iter()
        .filter(|l| l.task_id == task.id)
        .map(|l| {
            let outcome = match l.outcome() {
                pb::LegOutcome::Unspecified => String::new(),
                outcome => outcome
                    .as_str_name()
                    .trim_start_matches("LEG_OUTCOME_")
                    .to_owned(),
            };
            (
                l.unit.as_ref().unwrap().code.clone(),
                l.start()
                    .as_str_name()
                    .trim_start_matches("LEG_START_")
                    .to_owned(),
                outcome,
            )
        })
        .collect()
}

fn held(unit: &str, start: &str, outcome: &str) -> (String, String, String) {
    (unit.into(), start.into(), outcome.into())
}

#[sqlx::test(migrations = false)]
async fn a_returned_task_is_settled_by_the_registry_and_a_second_return_goes_to_the_desk(
    pool: PgPool,
) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-TASK-RET")).await;
    let ticket = desk
        .move_(pb::DispatchTicketRequest {
            unit: Some(department("JUDICIAL_OFFICE")),
            reason: "联合处置牵头".into(),
            co_handlers: vec![department("URBAN_MANAGEMENT"), department("WATER_STATION")],
            ..on(&ticket)
        })
        .await;
    let (regulator, water) = (ticket.tasks[0].clone(), ticket.tasks[1].clone());
    assert_eq!(regulator.unit.as_ref().unwrap().code, "URBAN_MANAGEMENT");

    // The registry names the regulator for this place and domain: its
    // return as "not ours" is refused, quoting the duty.
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    let refused = officer
        .try_move(hand_back(
            &ticket,
            &regulator,
            pb::ReturnReason::NotOurResponsibility,
            "不属本单位",
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("URBAN_MANAGEMENT")
            && refused.message().contains("regulator (监管责任)"),
        "{}",
        refused.message()
    );
    let unexplained = officer
        .try_move(pb::ReturnTaskRequest {
            note: String::new(),
            ..hand_back(&ticket, &regulator, pb::ReturnReason::Other, "")
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&unexplained)[0].field, "note");
    // Only the task's own unit hands it back.
    let stranger = officer
        .try_move(hand_back(&ticket, &water, pb::ReturnReason::Other, "x"))
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), Code::PermissionDenied);

    // The water station says it is not theirs: the task goes on to the
    // party the registry names next that is not on the case already (the
    // regulator is a co-handler): the workstation.
    let station = test
        .actor(Role::DepartmentOfficer, Some("WATER_STATION"))
        .await;
    let moved = station
        .move_(hand_back(
            &ticket,
            &water,
            pb::ReturnReason::NotOurResponsibility,
            "不涉及供水设施",
        ))
        .await;
    let task = moved.tasks.iter().find(|t| t.id == water.id).unwrap();
    assert_eq!(
        (
            task.unit.as_ref().unwrap().code.as_str(),
            task.state.as_str()
        ),
        ("V1", "DISPATCHED")
    );
    assert_eq!(timers_of(&pool, task).await, 3, "a clock of its own");
    assert_eq!(
        task_legs(&moved, task),
        [
            held("WATER_STATION", "DISPATCH", "RETURNED"),
            held("V1", "REDISPATCH", ""),
        ]
    );
    assert_eq!(
        moved.state(),
        pb::TicketState::Dispatched,
        "the lead's ticket is where it was"
    );
    assert!(moved.supervision_warning.is_empty());

    // The workstation hands it back too: a second return of the task goes
    // to the town centre's desk, with a supervision warning.
    let workstation = test.actor(Role::WorkstationStaff, Some("V1")).await;
    let twice = workstation
        .move_(hand_back(
            &moved,
            task,
            pb::ReturnReason::BeyondOurMeans,
            "需镇级协调",
        ))
        .await;
    let task = twice.tasks.iter().find(|t| t.id == water.id).unwrap();
    assert_eq!(task.unit.as_ref().unwrap().code, "TOWN_CENTRE");
    assert!(
        !twice.supervision_warning.is_empty(),
        "ping-pong is flagged for supervision"
    );
    let warnings: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE subject = 'dispatch.ticket.supervision_warning'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(warnings.len(), 1);
    let warning = pb::SupervisionWarning::decode(warnings[0].as_slice()).unwrap();
    assert_eq!(
        warning
            .returned_by
            .iter()
            .map(|u| u.code.as_str())
            .collect::<Vec<_>>(),
        ["WATER_STATION", "V1"],
        "the warning names who handed the task back"
    );
    assert_eq!(
        task_legs(&twice, task),
        [
            held("WATER_STATION", "DISPATCH", "RETURNED"),
            held("V1", "REDISPATCH", "RETURNED"),
            held("TOWN_CENTRE", "REDISPATCH", ""),
        ]
    );
    // The desk, the backstop, settles the task itself: it does not hand
    // it back.
    let kept = desk
        .try_move(hand_back(&twice, task, pb::ReturnReason::Other, "无人负责"))
        .await
        .unwrap_err();
    assert_eq!(kept.code(), Code::FailedPrecondition);
    assert!(kept.message().contains("backstop"), "{}", kept.message());
    let done = desk
        .move_(pb::ResolveTaskRequest {
            task_id: task.id.clone(),
            result: "镇级协调完成".into(),
            ..on(&twice)
        })
        .await;
    assert!(
        done.tasks
            .iter()
            .any(|t| t.id == water.id && t.state == "RESOLVED")
    );
    test.cleanup().await;
}
