//! Flow 7 across the provincial border with each town's own dispatch: a
//! work-injury dispute with a worker from Xindai is a ticket in Langxia's
//! dispatch, reported to Xindai's node, which opens a CROSS_BORDER ticket
//! in Xindai's dispatch carrying the shared id; each node learns its own
//! ticket from dispatch's events and tells the other side its number and,
//! at the end, its closure. The two nodes' views of the case are compared
//! after every step.

use case_exchange::testing::{
    Federation, LANGXIA, PATIENCE, TestNode, XINDAI, flow7_mediation, shared_view, work_injury,
};
use platform::auth::Role;
use platform::testing::eventually;
use proto::dispatch::v1 as dispatch;
use proto::exchange::v1 as pb;
use sqlx::PgPool;
use ticket_dispatch::testing::{Actor, TestDispatch, on};

/// A town's dispatch beside its exchange node, on the node's NATS prefix.
async fn dispatch_beside(node: &TestNode) -> TestDispatch {
    TestDispatch::spawn_beside(&node.served.config().service.nats.prefix).await
}

/// Waits until both nodes hold the case `id` the same way and `settled`
/// holds for it; returns it as `a` holds it.
async fn same_on_both(
    a: &TestNode,
    b: &TestNode,
    id: &str,
    what: &str,
    settled: impl Fn(&pb::JointCase) -> bool,
) -> pb::JointCase {
    eventually(PATIENCE, what, || async {
        let (Ok(here), Ok(there)) = (a.try_case(id).await, b.try_case(id).await) else {
            return None;
        };
        (shared_view(&here) == shared_view(&there) && settled(&here)).then_some(here)
    })
    .await
}

/// The ticket numbered `number` in `dispatch`.
async fn ticket(dispatch: &TestDispatch, number: &str) -> dispatch::Ticket {
    dispatch
        .at_desk()
        .await
        .client()
        .get_ticket(dispatch::GetTicketRequest {
            number: number.into(),
            ..Default::default()
        })
        .await
        .expect("the ticket is there")
        .into_inner()
        .ticket
        .expect("a ticket")
}

/// The unit holding `ticket`, acting in `dispatch`.
async fn holder(dispatch: &TestDispatch, ticket: &dispatch::Ticket) -> Actor {
    let unit = ticket
        .assignee
        .clone()
        .expect("a dispatched ticket is held");
    let role = match unit.kind.as_str() {
        "DEPARTMENT" => Role::DepartmentOfficer,
        "MICRO_GRID" => Role::MicroGridLeader,
        "WORKSTATION" => Role::WorkstationStaff,
        _ => Role::TownOperator,
    };
    dispatch.actor(role, Some(&unit.code)).await
}

/// The CROSS_BORDER tickets in `dispatch`.
async fn cross_border(dispatch: &TestDispatch) -> usize {
    dispatch
        .at_desk()
        .await
        .list(dispatch::ListTicketsRequest {
            channels: vec![dispatch::Channel::CrossBorder.into()],
            ..Default::default()
        })
        .await
        .len()
}

/// Dispatches `ticket` when it waits at the desk, has its unit handle it,
/// the desk verify it and close it (the parties are followed up by the
/// mediation itself).
async fn handle_and_close(dispatch: &TestDispatch, ticket: dispatch::Ticket, result: &str) {
    let desk = dispatch.at_desk().await;
    // The test town names nobody responsible for work injuries: the desk
    // sends it to the micro-grid where the worker lives.
    let ticket = if ticket.state() == dispatch::TicketState::Received {
        desk.move_(dispatch::DispatchTicketRequest {
            unit: Some(dispatch::Unit {
                kind: "MICRO_GRID".into(),
                code: "V1-A1-M01".into(),
                ..Default::default()
            }),
            reason: "跨省联调：由网格长协助".into(),
            ..on(&ticket)
        })
        .await
    } else {
        ticket
    };
    let unit = holder(dispatch, &ticket).await;
    unit.handle_and_verify(&desk, &ticket, result).await;
    let closed = desk.close_unreachable(&ticket).await;
    assert_eq!(closed.state(), dispatch::TicketState::Closed);
}

#[sqlx::test(migrations = false)]
async fn flow_7_with_both_towns_dispatch_opens_and_closes_a_ticket_on_each_side(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    let langxia_dispatch = dispatch_beside(langxia).await;
    let xindai_dispatch = dispatch_beside(xindai).await;

    // The dispute reaches Langxia's desk as a 12345 order: its ticket.
    let mut summary = work_injury().summary.unwrap();
    summary.location = Some(pb::LatLng {
        lat: 30.02,
        lng: 121.02,
    });
    let own = langxia_dispatch
        .at_desk()
        .await
        .create_ticket(dispatch::CreateTicketRequest {
            idempotency_key: "flow-7-hotline".into(),
            channel: dispatch::Channel::Hotline12345.into(),
            external_ref: "12345-2026-0417".into(),
            category_code: "WORK_INJURY".into(),
            title: summary.title.clone(),
            description: summary.description.clone(),
            location: Some(dispatch::LatLng {
                lat: 30.02,
                lng: 121.02,
            }),
            difficult: true,
            reporter_phone: "13812345678".into(),
            priority: dispatch::Priority::Normal.into(),
        })
        .await;

    // Joint report (案情联报) under that ticket's number.
    let reported = langxia
        .report(
            xindai,
            pb::ReportCaseRequest {
                case_number: own.number.clone(),
                summary: Some(summary),
                ..work_injury()
            },
        )
        .await;
    let id = reported.shared_id.clone();
    assert_eq!(reported.origin_case_number, own.number);

    // Acknowledged by Xindai's node, whose dispatch opens a CROSS_BORDER
    // ticket carrying the shared id; its number comes back to Langxia.
    let acknowledged = same_on_both(
        langxia,
        xindai,
        &id,
        "the peer's ticket number on both sides",
        |c| c.state() == pb::CaseState::Acknowledged && !c.peer_case_number.is_empty(),
    )
    .await;
    let theirs = ticket(&xindai_dispatch, &acknowledged.peer_case_number).await;
    assert_eq!(theirs.channel(), dispatch::Channel::CrossBorder);
    assert_eq!(theirs.external_ref, id, "the ticket carries the shared id");
    assert!(theirs.description.contains(&id));
    assert!(
        theirs.description.contains(&own.number),
        "and Langxia's case number"
    );
    assert!(!acknowledged.origin_ticket_closed && !acknowledged.peer_ticket_closed);

    // Accepted in Xindai.
    xindai.accept(&id).await.unwrap();
    same_on_both(langxia, xindai, &id, "the acceptance on both sides", |c| {
        c.state() == pb::CaseState::Accepted
    })
    .await;

    // Joint mediation (纠纷联调), scheduled in Langxia.
    langxia
        .schedule(flow7_mediation(&id, langxia, xindai))
        .await
        .unwrap();
    same_on_both(langxia, xindai, &id, "the mediation on both sides", |c| {
        c.state() == pb::CaseState::InMediation
    })
    .await;

    // The agreement, recorded in Xindai.
    xindai
        .outcome(pb::RecordMediationOutcomeRequest {
            idempotency_key: "flow-7-outcome".into(),
            shared_id: id.clone(),
            agreed: true,
            agreement_text: "厂方一次性支付工伤赔偿十二万元，分两期付清。".into(),
            agreed_amount_fen: 12_000_000,
            obligations: Vec::new(),
        })
        .await
        .unwrap();
    let agreed = same_on_both(langxia, xindai, &id, "the agreement on both sides", |c| {
        c.state() == pb::CaseState::Agreed
    })
    .await;
    assert_eq!(agreed.mediation.unwrap().agreed_amount_fen, 12_000_000);

    // Xindai closes its CROSS_BORDER ticket: Langxia sees it closed.
    handle_and_close(&xindai_dispatch, theirs, "双方达成调解协议，赔偿已约定").await;
    let seen = same_on_both(
        langxia,
        xindai,
        &id,
        "Xindai's closure seen in Langxia",
        |c| c.peer_ticket_closed,
    )
    .await;
    assert!(!seen.origin_ticket_closed);

    // Langxia closes its own ticket, then the joint case.
    let own = ticket(&langxia_dispatch, &own.number).await;
    handle_and_close(&langxia_dispatch, own, "跨省联调达成协议").await;
    same_on_both(
        langxia,
        xindai,
        &id,
        "Langxia's closure seen in Xindai",
        |c| c.origin_ticket_closed,
    )
    .await;
    langxia.close(&id, "协议已履行").await.unwrap();
    let closed = same_on_both(langxia, xindai, &id, "the closed case on both sides", |c| {
        c.state() == pb::CaseState::Closed
    })
    .await;
    assert!(closed.origin_ticket_closed && closed.peer_ticket_closed);
    let states: Vec<pb::CaseState> = closed.history.iter().map(pb::CaseMove::to).collect();
    assert_eq!(
        states,
        [
            pb::CaseState::Reported,
            pb::CaseState::Acknowledged,
            pb::CaseState::Accepted,
            pb::CaseState::InMediation,
            pb::CaseState::Agreed,
            pb::CaseState::Closed
        ],
        "the tickets' news moves no state"
    );

    // Every envelope acknowledged and both logs intact; one CROSS_BORDER
    // ticket in Xindai, none asked of Langxia's dispatch.
    for node in [langxia, xindai] {
        node.wait_count(
            "SELECT count(*) FROM deliveries WHERE state <> 'ACCEPTED'",
            0,
        )
        .await;
        let verdict = node.verify().await;
        assert!(verdict.intact, "{verdict:?}");
    }
    assert_eq!(cross_border(&xindai_dispatch).await, 1);
    assert_eq!(cross_border(&langxia_dispatch).await, 0);

    langxia_dispatch.cleanup().await;
    xindai_dispatch.cleanup().await;
    fed.cleanup().await;
}

/// The joint report made while Xindai's node is away (a partition): Langxia
/// keeps it pending and retries; when Xindai returns, its dispatch opens
/// one CROSS_BORDER ticket, however often the report was sent. Then the
/// other way round: Xindai accepts while Langxia is away, and Langxia
/// learns it when it returns. Both nodes hold the case the same after each
/// heal, and nothing is applied twice.
#[sqlx::test(migrations = false)]
async fn flow_7_partitions_heal_with_one_ticket_in_the_peers_dispatch(pool: PgPool) {
    let mut fed = Federation::start(pool).await;
    let xindai_dispatch = dispatch_beside(&fed.nodes[XINDAI]).await;

    fed.nodes[XINDAI].served.stop().await.unwrap();
    let reported = fed.nodes[LANGXIA]
        .report(&fed.nodes[XINDAI], work_injury())
        .await;
    let id = reported.shared_id.clone();
    fed.nodes[LANGXIA]
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE state = 'PENDING' AND attempts >= 2",
            1,
        )
        .await;
    assert_eq!(
        fed.nodes[LANGXIA].case(&id).await.state(),
        pb::CaseState::Reported,
        "nothing moves while the peer is away"
    );
    assert_eq!(cross_border(&xindai_dispatch).await, 0);

    fed.nodes[XINDAI].served.restart().await;
    let acknowledged = same_on_both(
        &fed.nodes[LANGXIA],
        &fed.nodes[XINDAI],
        &id,
        "the report acknowledged after the heal, with Xindai's ticket number",
        |c| c.state() == pb::CaseState::Acknowledged && !c.peer_case_number.is_empty(),
    )
    .await;
    let theirs = ticket(&xindai_dispatch, &acknowledged.peer_case_number).await;
    assert_eq!(theirs.external_ref, id);
    assert_eq!(
        fed.nodes[XINDAI]
            .count("SELECT count(*) FROM joint_cases")
            .await,
        1,
        "the retransmits opened no second case"
    );

    // The other way: Langxia away while Xindai accepts.
    fed.nodes[LANGXIA].served.stop().await.unwrap();
    fed.nodes[XINDAI].accept(&id).await.unwrap();
    fed.nodes[XINDAI]
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE state = 'PENDING' AND attempts >= 2",
            1,
        )
        .await;
    fed.nodes[LANGXIA].served.restart().await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    same_on_both(langxia, xindai, &id, "the acceptance after the heal", |c| {
        c.state() == pb::CaseState::Accepted
    })
    .await;
    for node in [langxia, xindai] {
        node.wait_count(
            "SELECT count(*) FROM deliveries WHERE state <> 'ACCEPTED'",
            0,
        )
        .await;
        let verdict = node.verify().await;
        assert!(verdict.intact, "{verdict:?}");
    }
    assert_eq!(
        langxia.case(&id).await.history.len(),
        3,
        "reported, acknowledged, accepted: each once"
    );
    assert_eq!(cross_border(&xindai_dispatch).await, 1);

    xindai_dispatch.cleanup().await;
    fed.cleanup().await;
}
