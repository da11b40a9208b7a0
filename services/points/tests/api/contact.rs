//! Personal data off the bus: the ticket a report asks dispatch for names
//! the reporter only by the report; the desk asks points for the contact,
//! naming the purpose, and every read is on the append-only log.

use platform::auth::Role;
use platform::error::field_violations;
use points::testing::*;
use proto::points::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

const PHONE: &str = "13812345678";

#[sqlx::test(migrations = false)]
async fn no_phone_number_travels_in_any_event_points_publishes(pool: PgPool) {
    let test = TestPoints::spawn(pool.clone()).await;
    let villager = test.register("张三", PHONE).await;
    test.submit(report(&villager, "ILLEGAL_DUMPING", 30.02, 121.02))
        .await;
    let payloads: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT subject, payload FROM outbox ORDER BY subject")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        payloads.iter().any(|(s, _)| s == "points.ticket.requested"),
        "the ticket was asked for: {payloads:?}"
    );
    for (subject, payload) in &payloads {
        let text = String::from_utf8_lossy(payload);
        assert!(
            !text.contains(PHONE) && !text.contains(&PHONE[3..]),
            "{subject} carries the phone"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn the_desk_reads_a_reporters_contact_for_a_purpose_and_every_read_is_logged(pool: PgPool) {
    let test = TestPoints::spawn(pool.clone()).await;
    let villager = test.register("张三", PHONE).await;
    let submitted = test
        .submit(report(&villager, "ILLEGAL_DUMPING", 30.02, 121.02))
        .await;
    let ask = |report_id: &str, purpose: &str| pb::GetReporterContactRequest {
        report_id: report_id.into(),
        purpose: purpose.into(),
    };

    // No purpose, no read — and nothing is looked up.
    let refused = test
        .town()
        .get_reporter_contact(ask(&submitted.id, " "))
        .await
        .unwrap_err();
    assert_eq!(field_violations(&refused)[0].field, "purpose");

    let contact = test
        .town()
        .get_reporter_contact(ask(&submitted.id, "回访 12345 工单"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(contact.phone, PHONE);
    assert_eq!(contact.name_masked, "张*");

    // A workstation reaches its villagers itself; it may not ask here.
    let staff = test
        .workstation()
        .get_reporter_contact(ask(&submitted.id, "curiosity"))
        .await
        .unwrap_err();
    assert_eq!(staff.code(), Code::PermissionDenied);
    // An unknown report is refused, and the attempt recorded.
    let unknown = test
        .client(&token_of("integration", Role::Service, None))
        .get_reporter_contact(ask(&uuid::Uuid::now_v7().to_string(), "回访"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let log: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT role, purpose, granted FROM contact_access_log ORDER BY at, access_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        log,
        [
            ("town_operator".into(), "回访 12345 工单".into(), true),
            ("service".into(), "回访".into(), false),
        ]
    );
    // The log is append-only.
    let edit = sqlx::query("UPDATE contact_access_log SET purpose = 'nothing'")
        .execute(&pool)
        .await;
    assert!(edit.is_err(), "an entry cannot be changed");
    let delete = sqlx::query("DELETE FROM contact_access_log")
        .execute(&pool)
        .await;
    assert!(delete.is_err(), "an entry cannot be removed");
}
