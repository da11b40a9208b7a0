//! The life of a ticket: every transition, illegal ones refused naming the
//! state and the allowed actions, returns, extensions and reopening.

use platform::auth::Role;
use platform::error::field_violations;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::{hotline, patrol};
use ticket_dispatch::testing::*;

fn states(ticket: &pb::Ticket) -> Vec<pb::TicketState> {
    ticket.history.iter().map(|t| t.to_state()).collect()
}

#[sqlx::test(migrations = false)]
async fn a_hotline_order_goes_through_every_step_to_closed(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-2026-0000001")).await;

    // The desk dispatches along the responsibility chain: sanitation is the
    // urban management squad's.
    let ticket = desk.dispatch(&ticket).await;
    let unit = ticket.assignee.clone().unwrap();
    assert_eq!(
        (unit.kind.as_str(), unit.code.as_str()),
        ("DEPARTMENT", "URBAN_MANAGEMENT")
    );
    // 12345: 24 hours from dispatch.
    assert_eq!(
        ticket.due_at.unwrap().seconds - ticket.dispatched_at.unwrap().seconds,
        24 * 3600
    );

    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    officer.accept(&ticket).await;
    officer.start(&ticket).await;
    officer.resolve(&ticket, "已清运").await;
    desk.verify(&ticket, true).await;
    desk.follow_up(&ticket, 5).await;
    let closed = desk.close(&ticket).await;

    use pb::TicketState::*;
    assert_eq!(
        states(&closed),
        [
            Received, Dispatched, Accepted, InProgress, Resolved, Verified, FollowedUp, Closed
        ]
    );
    assert_eq!(closed.satisfaction, 5);
    assert_eq!(closed.history[4].reason, "已清运");
    assert_eq!(closed.history[2].actor, "test-department_officer");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn illegal_moves_name_the_state_and_the_allowed_actions(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-2026-0000002")).await;
    let status = desk
        .try_move(on::<pb::CloseTicketRequest>(&ticket))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "ticket is received; cannot close; allowed: dispatch, refer, reject"
    );

    desk.dispatch(&ticket).await;
    let status = desk
        .try_move(on::<pb::VerifyTicketRequest>(&ticket))
        .await
        .unwrap_err();
    assert_eq!(
        status.message(),
        "ticket is dispatched; cannot verify; allowed: accept, return"
    );

    // Only the unit holding it signs for it.
    let stranger = test.actor(Role::DepartmentOfficer, Some("POLICE")).await;
    let status = stranger
        .try_move(on::<pb::AcceptTicketRequest>(&ticket))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    let status = leader
        .try_move(on::<pb::AcceptTicketRequest>(&ticket))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_returned_ticket_goes_back_to_the_desk_and_counts_against_the_unit(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("p-1", 30.02, 121.02)).await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    // Each field a return cannot go without is named.
    let refused = |status: tonic::Status| {
        assert_eq!(status.code(), Code::InvalidArgument);
        field_violations(&status)[0].field.clone()
    };
    let unexplained = leader
        .try_move(pb::ReturnTicketRequest {
            note: "需城管执法".into(),
            ..on(&ticket)
        })
        .await
        .unwrap_err();
    assert_eq!(refused(unexplained), "reason", "the structured reason");
    let silent = leader
        .try_move(pb::ReturnTicketRequest {
            reason: pb::ReturnReason::BeyondOurMeans.into(),
            note: "  ".into(),
            ..on(&ticket)
        })
        .await
        .unwrap_err();
    assert_eq!(refused(silent), "note", "what the unit found");
    let unresolved = leader
        .try_move(on::<pb::ResolveTicketRequest>(&ticket))
        .await
        .unwrap_err();
    assert_eq!(refused(unresolved), "result", "what was done");
    let returned = leader
        .move_(pb::ReturnTicketRequest {
            note: "需城管执法".into(),
            reason: pb::ReturnReason::BeyondOurMeans.into(),
            ..on(&ticket)
        })
        .await;
    assert_eq!(
        (returned.state(), returned.returns),
        (pb::TicketState::Returned, 1)
    );
    assert_eq!(returned.assignee.unwrap().code, "TOWN_CENTRE");

    // The desk chooses the unit itself: an override needs a reason.
    let mut redispatch = on::<pb::DispatchTicketRequest>(&ticket);
    redispatch.unit = Some(pb::Unit {
        kind: "DEPARTMENT".into(),
        code: "URBAN_MANAGEMENT".into(),
        name: "城管中队".into(),
    });
    assert_eq!(
        desk.try_move(redispatch.clone()).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    redispatch.reason = "执法事项".into();
    let again = desk.move_(redispatch).await;
    assert_eq!(again.state(), pb::TicketState::Dispatched);
    assert_eq!(again.history.last().unwrap().reason, "执法事项");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn an_extension_is_asked_for_listed_for_the_desk_and_granted_or_refused(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("p-2", 30.02, 121.02)).await;
    let due = ticket.due_at.unwrap().seconds;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    let ask = |days| pb::RequestExtensionRequest {
        ticket_id: ticket.id.clone(),
        days,
        reason: "等待配件".into(),
        ..Default::default()
    };
    let decide = |extension_id: &str, grant, reason: &str| pb::DecideExtensionRequest {
        extension_id: extension_id.to_owned(),
        grant,
        reason: reason.into(),
        ..Default::default()
    };
    let first = leader.request_extension(ask(2)).await;
    let pending = leader.try_request_extension(ask(1)).await.unwrap_err();
    assert_eq!(
        pending.code(),
        Code::FailedPrecondition,
        "one pending request at a time"
    );
    let pending = desk.list_extensions("").await;
    assert_eq!(
        pending
            .iter()
            .map(|e| (
                e.id.as_str(),
                e.ticket_number.as_str(),
                e.days,
                e.state.as_str()
            ))
            .collect::<Vec<_>>(),
        [(first.as_str(), ticket.number.as_str(), 2, "PENDING")],
        "the desk's approvals list the pending request with its ticket"
    );
    assert_eq!(pending[0].reason, "等待配件");
    let granted = desk.decide_extension(decide(&first, true, "")).await;
    assert!(
        desk.list_extensions("").await.is_empty(),
        "nothing pending once decided"
    );
    // Thursday 09:00 + 2 working days = Monday 09:00.
    assert_eq!(granted.due_at.unwrap().seconds - due, 4 * 24 * 3600);
    let again = desk
        .try_decide_extension(decide(&first, false, "no"))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    let second = leader.request_extension(ask(5)).await;
    let refused = desk
        .decide_extension(decide(&second, false, "可当日完成"))
        .await;
    assert_eq!(refused.due_at, granted.due_at);
    let states: Vec<_> = desk
        .list_extensions(&ticket.id)
        .await
        .into_iter()
        .map(|e| (e.id, e.state))
        .collect();
    assert_eq!(
        states,
        [
            (first, "GRANTED".to_owned()),
            (second, "REFUSED".to_owned())
        ],
        "a ticket's requests in any state, oldest first"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_low_rating_or_an_untrue_result_sends_it_back_to_the_same_unit(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("p-3", 30.02, 121.02)).await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    leader.accept(&ticket).await;
    leader.resolve(&ticket, "已处理").await;
    let reopened = desk.verify(&ticket, false).await;
    assert_eq!(reopened.state(), pb::TicketState::Reopened);
    assert_eq!(reopened.assignee.as_ref().unwrap().code, "V1-A1-M01");
    assert_eq!(
        reopened.history.last().unwrap().reopen_cause(),
        pb::ReopenCause::ResultUntrue
    );

    leader.handle_and_verify(&desk, &ticket, "已处理").await;
    let back = desk.follow_up(&ticket, 2).await;
    assert_eq!(back.state(), pb::TicketState::Reopened);
    assert_eq!(back.satisfaction, 2);
    assert!(back.history.last().unwrap().reason.contains("2 of 5"));
    assert_eq!(
        back.history.last().unwrap().reopen_cause(),
        pb::ReopenCause::Unsatisfied
    );

    // Closing a verified ticket without a follow-up needs the reporter to be unreachable.
    leader.handle_and_verify(&desk, &ticket, "再次处理").await;
    assert_eq!(
        desk.try_move(on::<pb::CloseTicketRequest>(&ticket))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    let closed = desk.close_unreachable(&ticket).await;
    assert_eq!(closed.state(), pb::TicketState::Closed);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_multi_department_case_closes_only_when_every_task_is_done(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let mut petition = hotline("12345-2026-0000777");
    petition.category_code = "PETITION".into();
    let ticket = desk.create_ticket(petition).await;
    assert!(ticket.difficult, "petitions are difficult by category");

    let unit = |code: &str| pb::Unit {
        kind: "DEPARTMENT".into(),
        code: code.into(),
        name: code.into(),
    };
    let dispatched = desk
        .move_(pb::DispatchTicketRequest {
            unit: Some(unit("JUDICIAL_OFFICE")),
            reason: "信访牵头".into(),
            co_handlers: vec![unit("POLICE"), unit("URBAN_MANAGEMENT")],
            ..on(&ticket)
        })
        .await;
    assert_eq!(dispatched.tasks.len(), 2);
    // Every leg has its own clock: 15 working days from the same dispatch.
    assert!(
        dispatched
            .tasks
            .iter()
            .all(|t| t.due_at == dispatched.due_at && t.state == "DISPATCHED")
    );
    let timers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_timers WHERE task_id IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(timers, 6, "two warnings and a breach per task");

    let lead = test
        .actor(Role::DepartmentOfficer, Some("JUDICIAL_OFFICE"))
        .await;
    lead.accept(&ticket).await;
    let resolve = pb::ResolveTicketRequest {
        result: "调解达成协议".into(),
        ..on(&ticket)
    };
    let early = lead.try_move(resolve.clone()).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert!(
        early
            .message()
            .contains("2 co-handler task(s) still open: POLICE, URBAN_MANAGEMENT"),
        "{}",
        early.message()
    );

    for (code, task) in [
        ("POLICE", &dispatched.tasks[0]),
        ("URBAN_MANAGEMENT", &dispatched.tasks[1]),
    ] {
        assert_eq!(task.unit.as_ref().unwrap().code, code);
        let co = test.actor(Role::DepartmentOfficer, Some(code)).await;
        assert_eq!(
            co.ticket(&ticket.id).await.tasks.len(),
            2,
            "a co-handler sees the case it works on"
        );
        let mut done = pb::ResolveTaskRequest {
            task_id: task.id.clone(),
            ..on(&ticket)
        };
        assert_eq!(
            co.try_move(done.clone()).await.unwrap_err().code(),
            Code::InvalidArgument,
            "a result is required"
        );
        done.result = format!("{code} 已处理");
        // Only the task's own unit moves it.
        let other = test
            .actor(Role::DepartmentOfficer, Some("WATER_STATION"))
            .await;
        assert_eq!(
            other.try_move(done.clone()).await.unwrap_err().code(),
            Code::PermissionDenied
        );
        co.move_(done).await;
    }
    let resolved = lead.move_(resolve).await;
    assert_eq!(resolved.state(), pb::TicketState::Resolved);
    assert!(resolved.tasks.iter().all(|t| t.state == "RESOLVED"));
    let open_timers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_timers WHERE fired_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(open_timers, 0, "no clock runs once everything is resolved");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn after_an_outage_dispatch_comes_back_on_its_port_with_every_ticket(pool: PgPool) {
    let mut test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk
        .create_ticket(patrol("outage-1", 30.0200, 121.0200))
        .await;
    let addr = test.addr;

    test.stop().await;
    let status = desk.try_ticket(&ticket.id).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::Unavailable,
        "nobody answers while it is down"
    );

    test.restart().await;
    assert_eq!(test.addr, addr, "it comes back where its callers look");
    let desk = test.at_desk().await;
    let again = desk.ticket(&ticket.id).await;
    assert_eq!(again.number, ticket.number);
    assert_eq!(again.state(), pb::TicketState::Dispatched);
    test.cleanup().await;
}
