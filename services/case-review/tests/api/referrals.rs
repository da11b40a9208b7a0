//! Dispatch's referrals open reviews, once each; a referral that cannot be
//! a review is set aside as a dead letter.

use case_review::testing::*;
use proto::dispatch::v1 as dispatch;
use sqlx::PgPool;

fn ticket(number: &str) -> dispatch::Ticket {
    dispatch::Ticket {
        id: uuid::Uuid::now_v7().to_string(),
        number: number.into(),
        channel: dispatch::Channel::Hotline12345.into(),
        title: "信访：河道违建拆除纠纷".into(),
        assignee: Some(dispatch::Unit {
            kind: "DEPARTMENT".into(),
            code: "JS-URBAN".into(),
            name: "城管中队".into(),
        }),
        tasks: vec![dispatch::Task {
            unit: Some(dispatch::Unit {
                kind: "DEPARTMENT".into(),
                code: "JS-WATER".into(),
                name: "水务站".into(),
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_referral_opens_one_review_with_the_tickets_units_as_involved(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let referred = ticket("LX-2026-000301");
    test.refer(referred.clone(), "拆除的法律风险", &["某建材公司"])
        .await;
    let review = test.wait_review_of(&referred.id).await;
    assert_eq!(review.case_ref, "LX-2026-000301");
    assert_eq!(review.involved, ["JS-URBAN", "JS-WATER"]);
    assert_eq!(review.industry_authority, "JS-URBAN");
    assert_eq!(review.organiser, "LX");
    assert!(review.major);
    assert_eq!(review.opened_by, "desk-op");

    // The water station handled the case: it may not sit on the panel.
    let experts = test.five_experts().await;
    let status = test
        .try_assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await
        .unwrap_err();
    assert!(
        status.message().contains("past_role"),
        "{}",
        status.message()
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_referral_without_a_question_is_set_aside_not_applied(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    test.refer(ticket("LX-2026-000302"), "  ", &[]).await;
    test.wait_count(
        "SELECT count(*) FROM inbox_dead_letters WHERE subject = 'dispatch.ticket.referred'",
        1,
        "the dead letter",
    )
    .await;
    assert_eq!(test.count("SELECT count(*) FROM reviews").await, 0);
    assert_eq!(test.count("SELECT count(*) FROM inbox").await, 0);
    test.cleanup().await;
}
