//! Intake: idempotency by the channel's reference, triage, validation, and
//! a registry that cannot be reached.

use std::time::Duration;

use platform::auth::Role;
use platform::testing::eventually;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use ticket_dispatch::testing::*;

pub fn hotline(order: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        channel: pb::Channel::Hotline12345.into(),
        external_ref: order.into(),
        category_code: "SANITATION".into(),
        title: "垃圾堆放".into(),
        description: "路口垃圾三天无人清运".into(),
        location: Some(pb::LatLng {
            lat: 30.02,
            lng: 121.02,
        }),
        reporter_phone: "13912345678".into(),
        ..Default::default()
    }
}

pub fn patrol(key: &str, lat: f64, lng: f64) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        idempotency_key: key.into(),
        channel: pb::Channel::GridPatrol.into(),
        category_code: "SANITATION".into(),
        title: "河边垃圾".into(),
        location: Some(pb::LatLng { lat, lng }),
        ..Default::default()
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_same_hotline_order_twice_is_one_ticket(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let first = desk.create_ticket(hotline("12345-2026-0000417")).await;
    let second = desk.create_ticket(hotline("12345-2026-0000417")).await;
    assert_eq!(first.id, second.id);
    assert_eq!(first.number, second.number);
    assert_eq!(count(&pool, "SELECT count(*) FROM tickets").await, 1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE subject = 'dispatch.ticket.received'"
        )
        .await,
        1
    );
    // A 12345 order waits at the desk, located, with the phone masked.
    assert_eq!(first.state(), pb::TicketState::Received);
    assert_eq!(first.micro_grid_code, "V1-A1-M01");
    assert_eq!(first.village_code, "V1");
    assert_eq!(first.reporter_phone_masked, "139****5678");
    assert!(first.number.starts_with("LX-2026-"), "{}", first.number);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_simple_patrol_hazard_goes_straight_to_its_micro_grid(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("patrol-1", 30.07, 121.07)).await;
    assert_eq!(ticket.state(), pb::TicketState::Dispatched);
    let unit = ticket.assignee.unwrap();
    assert_eq!(
        (unit.kind.as_str(), unit.code.as_str()),
        ("MICRO_GRID", "V2-A1-M02")
    );
    // Sanitation: 3 working days from dispatch (Monday 2 March 2026, 09:00 Shanghai).
    let due = ticket.due_at.unwrap();
    let dispatched = ticket.dispatched_at.unwrap();
    assert_eq!(due.seconds - dispatched.seconds, 3 * 24 * 3600);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn bad_intake_names_every_field(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let request = pb::CreateTicketRequest {
        channel: pb::Channel::Hotline12345.into(),
        category_code: "ASTROLOGY".into(),
        reporter_phone: "110".into(),
        ..Default::default()
    };
    let status = desk.try_create_ticket(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = platform::error::field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(
        fields,
        ["external_ref", "title", "reporter_phone", "category_code"]
    );
    let mut patrol_without_place = patrol("p", 30.0, 121.0);
    patrol_without_place.location = None;
    let status = desk
        .try_create_ticket(patrol_without_place)
        .await
        .unwrap_err();
    assert_eq!(
        platform::error::field_violations(&status)[0].field,
        "location"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM tickets").await, 0);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn with_the_registry_down_tickets_are_accepted_unrouted_and_routed_when_it_returns(
    pool: PgPool,
) {
    let mut test = TestDispatch::spawn_without_registry(pool.clone(), free_port()).await;
    let desk = test.at_desk().await;
    let order = desk
        .try_create_ticket(hotline("12345-2026-0000999"))
        .await
        .expect("a 12345 order is never refused");
    assert!(order.unrouted);
    assert_eq!(order.state(), pb::TicketState::Received);
    let hazard = desk.create_ticket(patrol("patrol-9", 30.07, 121.02)).await;
    assert!(hazard.unrouted);
    let desk_queue = desk.queue(pb::list_tickets_request::Queue::Desk).await;
    assert_eq!(
        desk_queue.len(),
        2,
        "unrouted tickets wait visibly at the desk"
    );

    test.advance(chrono::TimeDelta::minutes(30));
    test.start_registry().await;
    let routed = eventually(
        Duration::from_secs(15),
        "the router to route the hazard",
        || async {
            let t = desk.try_ticket(&hazard.id).await.ok()?;
            (!t.unrouted).then_some(t)
        },
    )
    .await;
    assert_eq!(routed.state(), pb::TicketState::Dispatched);
    assert_eq!(routed.micro_grid_code, "V1-A1-M02");
    // Honest clocks: received when it came in, dispatched when it could be.
    let waited = routed.dispatched_at.unwrap().seconds - routed.received_at.unwrap().seconds;
    assert_eq!(waited, 30 * 60);
    assert!(
        routed.history[0].reason.contains("registry unreachable"),
        "{:?}",
        routed.history[0]
    );
    let order = desk.ticket(&order.id).await;
    assert!(!order.unrouted);
    assert_eq!(
        (order.state(), order.village_code.as_str()),
        (pb::TicketState::Received, "V1")
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_village_cannot_see_another_villages_tickets(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let west = desk.create_ticket(patrol("w", 30.02, 121.02)).await;
    let east = desk.create_ticket(patrol("e", 30.02, 121.07)).await;
    let v1 = test.actor(Role::WorkstationStaff, Some("V1")).await;
    let listed = v1.list(pb::ListTicketsRequest::default()).await;
    assert_eq!(
        listed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [west.id.as_str()]
    );
    let status = v1.try_ticket(&east.id).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let leader = test.actor(Role::MicroGridLeader, Some("V2-A1-M01")).await;
    let status = leader
        .try_move(on::<pb::AcceptTicketRequest>(&west))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::NotFound,
        "a ticket outside the scope does not exist for the caller"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn only_the_integrations_and_the_desk_file_12345_and_110_orders(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let non_police = |order: &str| pb::CreateTicketRequest {
        channel: pb::Channel::NonPolice110.into(),
        ..hotline(order)
    };
    // A resident's token files nothing here, on any channel: residents
    // report through points.
    let resident = test.actor(Role::Resident, None).await;
    for request in [
        hotline("12345-R-1"),
        non_police("110-R-1"),
        patrol("r", 30.02, 121.02),
    ] {
        let refused = resident.try_create_ticket(request).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        assert!(refused.metadata().get("x-weigrid-policy").is_some());
    }
    // The grid's people file patrol hazards, not hotline or 110 orders.
    let member = test.actor(Role::Member, Some("V1-A1-M01")).await;
    for request in [hotline("12345-M-1"), non_police("110-M-1")] {
        let refused = member.try_create_ticket(request).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert!(
            refused.message().contains("may not file on the"),
            "{refused:?}"
        );
    }
    member
        .create_ticket(patrol("patrol-m-1", 30.02, 121.02))
        .await;
    // The 12345 and 110 integrations do, as services.
    let integration = test.actor(Role::Service, None).await;
    integration.create_ticket(hotline("12345-S-1")).await;
    integration.create_ticket(non_police("110-S-1")).await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM tickets WHERE channel IN ('HOTLINE_12345', 'NON_POLICE_110')"
        )
        .await,
        2,
        "only the integration's orders were taken in"
    );
}

#[sqlx::test(migrations = false)]
async fn dispatch_asks_the_registry_as_itself_under_per_service_audiences(pool: PgPool) {
    use platform::auth::DevIssuer;
    use platform::grpc::client::Outgoing;
    use platform::testing::DEV_SECRET;
    use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

    // Tokens as the district's identity provider issues them: each for
    // one service's audience.
    let for_audience = |audience: &str, subject: &str, role: Role| {
        DevIssuer::new(DEV_SECRET, "weigrid-dev", audience).issue(
            subject,
            role,
            None,
            Duration::from_secs(600),
        )
    };
    let registry_port = free_port();
    let config = test_config(
        &platform::testing::unique_prefix(),
        &format!("127.0.0.1:{registry_port}"),
        &[
            ("AUTH__AUDIENCE", "ticket-dispatch".to_owned()),
            (
                "CLIENTS__SERVICE_TOKEN",
                for_audience("grid-registry", "ticket-dispatch", Role::Service),
            ),
        ],
    );
    let mut test = TestDispatch::spawn_configured(pool, config).await;
    test.start_registry_with(&[("AUTH__AUDIENCE", "grid-registry".to_owned())])
        .await;

    // The desk's token is for dispatch; it would be refused at the
    // registry, so dispatch does not forward it there.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", test.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let desk_token = for_audience("ticket-dispatch", "desk-1", Role::TownOperator);
    let mut desk =
        DispatchServiceClient::with_interceptor(channel, Outgoing::bearer(&desk_token).unwrap());
    let ticket = desk
        .create_ticket(hotline("12345-2026-AUD-1"))
        .await
        .expect("dispatch takes the order")
        .into_inner()
        .ticket
        .unwrap();
    assert!(
        !ticket.unrouted,
        "the registry answered dispatch: {ticket:?}"
    );
    assert_eq!(ticket.micro_grid_code, "V1-A1-M01");
    // A token made for the registry is no good at dispatch.
    let wrong = for_audience("grid-registry", "desk-1", Role::TownOperator);
    let mut misdirected = DispatchServiceClient::with_interceptor(
        tonic::transport::Channel::from_shared(format!("http://{}", test.addr))
            .unwrap()
            .connect_lazy(),
        Outgoing::bearer(&wrong).unwrap(),
    );
    let refused = misdirected
        .create_ticket(hotline("12345-2026-AUD-2"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[sqlx::test(migrations = false)]
async fn dispatch_takes_open311_requests_from_the_edge_and_lists_its_categories(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let open311 = |key: &str| pb::CreateTicketRequest {
        idempotency_key: key.into(),
        channel: pb::Channel::Open311.into(),
        external_ref: String::new(),
        ..hotline("")
    };
    // A department officer files department cases, not Open311 requests.
    let officer = test.actor(Role::DepartmentOfficer, Some("DEPT-ENV")).await;
    let refused = officer.try_create_ticket(open311("o-1")).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    // The edge does, as a service; the same request twice is one ticket.
    let edge = test.actor(Role::Service, None).await;
    let first = edge.create_ticket(open311("open311-abc")).await;
    let again = edge.create_ticket(open311("open311-abc")).await;
    assert_eq!(first.id, again.id);
    assert_eq!(first.channel(), pb::Channel::Open311);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM tickets WHERE channel = 'OPEN311'"
        )
        .await,
        1
    );
    let categories = edge.categories().await;
    let codes: Vec<_> = categories.iter().map(|c| c.code.as_str()).collect();
    assert!(
        codes.contains(&"DRAINAGE") && codes.contains(&"PETITION"),
        "{codes:?}"
    );
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "by code");
    let drainage = categories.iter().find(|c| c.code == "DRAINAGE").unwrap();
    assert_eq!(
        (drainage.name.as_str(), drainage.working_days),
        ("排水不畅", 3)
    );
}
