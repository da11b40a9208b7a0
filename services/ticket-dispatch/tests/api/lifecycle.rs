//! The life of a ticket: every transition, illegal ones refused naming the
//! state and the allowed actions, returns, extensions and reopening.

use platform::auth::Role;
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
    let mut desk = test.desk().await;
    let ticket = desk
        .create_ticket(hotline("12345-2026-0000001"))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();

    // The desk dispatches along the responsibility chain: sanitation is the
    // urban management squad's.
    let ticket = desk
        .transition(act(&ticket, pb::Action::Dispatch))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
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

    let mut officer = test
        .client_as(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    officer
        .transition(act(&ticket, pb::Action::Accept))
        .await
        .unwrap();
    officer
        .transition(act(&ticket, pb::Action::Start))
        .await
        .unwrap();
    let mut resolve = act(&ticket, pb::Action::Resolve);
    resolve.result = "已清运".into();
    officer.transition(resolve).await.unwrap();
    let mut verify = act(&ticket, pb::Action::Verify);
    verify.verified_true = true;
    desk.transition(verify).await.unwrap();
    let mut follow_up = act(&ticket, pb::Action::FollowUp);
    follow_up.satisfaction = 5;
    desk.transition(follow_up).await.unwrap();
    let closed = desk
        .transition(act(&ticket, pb::Action::Close))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();

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
    let mut desk = test.desk().await;
    let ticket = desk
        .create_ticket(hotline("12345-2026-0000002"))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let status = desk
        .transition(act(&ticket, pb::Action::Close))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "ticket is received; cannot close; allowed: dispatch"
    );

    desk.transition(act(&ticket, pb::Action::Dispatch))
        .await
        .unwrap();
    let status = desk
        .transition(act(&ticket, pb::Action::Verify))
        .await
        .unwrap_err();
    assert_eq!(
        status.message(),
        "ticket is dispatched; cannot verify; allowed: accept, return"
    );

    // Only the unit holding it signs for it.
    let mut stranger = test
        .client_as(Role::DepartmentOfficer, Some("POLICE"))
        .await;
    let status = stranger
        .transition(act(&ticket, pb::Action::Accept))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let mut leader = test
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    let status = leader
        .transition(act(&ticket, pb::Action::Accept))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_returned_ticket_goes_back_to_the_desk_and_counts_against_the_unit(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let mut desk = test.desk().await;
    let ticket = desk
        .create_ticket(patrol("p-1", 30.02, 121.02))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let mut leader = test
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    let status = leader
        .transition(act(&ticket, pb::Action::Return))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "a return needs its reason"
    );
    let mut back = act(&ticket, pb::Action::Return);
    back.reason = "需城管执法".into();
    let returned = leader
        .transition(back)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(
        (returned.state(), returned.returns),
        (pb::TicketState::Returned, 1)
    );
    assert_eq!(returned.assignee.unwrap().code, "TOWN_CENTRE");

    // The desk chooses the unit itself: an override needs a reason.
    let mut redispatch = act(&ticket, pb::Action::Dispatch);
    redispatch.unit = Some(pb::Unit {
        kind: "DEPARTMENT".into(),
        code: "URBAN_MANAGEMENT".into(),
        name: "城管中队".into(),
    });
    assert_eq!(
        desk.transition(redispatch.clone())
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    redispatch.reason = "执法事项".into();
    let again = desk
        .transition(redispatch)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(again.state(), pb::TicketState::Dispatched);
    assert_eq!(again.history.last().unwrap().reason, "执法事项");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn an_extension_is_asked_for_and_granted_or_refused(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let mut desk = test.desk().await;
    let ticket = desk
        .create_ticket(patrol("p-2", 30.02, 121.02))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let due = ticket.due_at.unwrap().seconds;
    let mut leader = test
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    let ask = |days| pb::RequestExtensionRequest {
        ticket_id: ticket.id.clone(),
        days,
        reason: "等待配件".into(),
        ..Default::default()
    };
    let first = leader.request_extension(ask(2)).await.unwrap().into_inner();
    let pending = leader.request_extension(ask(1)).await.unwrap_err();
    assert_eq!(
        pending.code(),
        Code::FailedPrecondition,
        "one pending request at a time"
    );
    let granted = desk
        .decide_extension(pb::DecideExtensionRequest {
            extension_id: first.extension_id.clone(),
            grant: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    // Thursday 09:00 + 2 working days = Monday 09:00.
    assert_eq!(granted.due_at.unwrap().seconds - due, 4 * 24 * 3600);
    let again = desk
        .decide_extension(pb::DecideExtensionRequest {
            extension_id: first.extension_id,
            grant: false,
            reason: "no".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    let second = leader.request_extension(ask(5)).await.unwrap().into_inner();
    let refused = desk
        .decide_extension(pb::DecideExtensionRequest {
            extension_id: second.extension_id,
            grant: false,
            reason: "可当日完成".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(refused.due_at, granted.due_at);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_low_rating_or_an_untrue_result_sends_it_back_to_the_same_unit(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let mut desk = test.desk().await;
    let ticket = desk
        .create_ticket(patrol("p-3", 30.02, 121.02))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let mut leader = test
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    leader
        .transition(act(&ticket, pb::Action::Accept))
        .await
        .unwrap();
    let mut resolve = act(&ticket, pb::Action::Resolve);
    resolve.result = "已处理".into();
    leader.transition(resolve.clone()).await.unwrap();
    let mut untrue = act(&ticket, pb::Action::Verify);
    untrue.verified_true = false;
    let reopened = desk
        .transition(untrue)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(reopened.state(), pb::TicketState::Reopened);
    assert_eq!(reopened.assignee.as_ref().unwrap().code, "V1-A1-M01");
    assert_eq!(
        reopened.history.last().unwrap().reopen_cause(),
        pb::ReopenCause::ResultUntrue
    );

    handle_and_verify(&mut leader, &mut desk, &ticket, "已处理").await;
    let mut unhappy = act(&ticket, pb::Action::FollowUp);
    unhappy.satisfaction = 2;
    let back = desk
        .transition(unhappy)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(back.state(), pb::TicketState::Reopened);
    assert_eq!(back.satisfaction, 2);
    assert!(back.history.last().unwrap().reason.contains("2 of 5"));
    assert_eq!(
        back.history.last().unwrap().reopen_cause(),
        pb::ReopenCause::Unsatisfied
    );

    // Closing a verified ticket without a follow-up needs the reporter to be unreachable.
    handle_and_verify(&mut leader, &mut desk, &ticket, "再次处理").await;
    assert_eq!(
        desk.transition(act(&ticket, pb::Action::Close))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    let mut close = act(&ticket, pb::Action::Close);
    close.reporter_unreachable = true;
    let closed = desk
        .transition(close)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(closed.state(), pb::TicketState::Closed);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_multi_department_case_closes_only_when_every_task_is_done(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let mut desk = test.desk().await;
    let mut petition = hotline("12345-2026-0000777");
    petition.category_code = "PETITION".into();
    let ticket = desk
        .create_ticket(petition)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert!(ticket.difficult, "petitions are difficult by category");

    let unit = |code: &str| pb::Unit {
        kind: "DEPARTMENT".into(),
        code: code.into(),
        name: code.into(),
    };
    let mut dispatch = act(&ticket, pb::Action::Dispatch);
    dispatch.unit = Some(unit("JUDICIAL_OFFICE"));
    dispatch.reason = "信访牵头".into();
    dispatch.co_handlers = vec![unit("POLICE"), unit("URBAN_MANAGEMENT")];
    let dispatched = desk
        .transition(dispatch)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
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

    let mut lead = test
        .client_as(Role::DepartmentOfficer, Some("JUDICIAL_OFFICE"))
        .await;
    lead.transition(act(&ticket, pb::Action::Accept))
        .await
        .unwrap();
    let mut resolve = act(&ticket, pb::Action::Resolve);
    resolve.result = "调解达成协议".into();
    let early = lead.transition(resolve.clone()).await.unwrap_err();
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
        let mut co = test.client_as(Role::DepartmentOfficer, Some(code)).await;
        let seen = co
            .get_ticket(pb::GetTicketRequest {
                id: ticket.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            seen.into_inner().ticket.unwrap().tasks.len(),
            2,
            "a co-handler sees the case it works on"
        );
        let mut done = act(&ticket, pb::Action::Resolve);
        done.task_id = task.id.clone();
        assert_eq!(
            co.transition(done.clone()).await.unwrap_err().code(),
            Code::InvalidArgument,
            "a result is required"
        );
        done.result = format!("{code} 已处理");
        // Only the task's own unit moves it.
        let mut other = test
            .client_as(Role::DepartmentOfficer, Some("WATER_STATION"))
            .await;
        assert_eq!(
            other.transition(done.clone()).await.unwrap_err().code(),
            Code::PermissionDenied
        );
        co.transition(done).await.unwrap();
    }
    let resolved = lead
        .transition(resolve)
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
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
