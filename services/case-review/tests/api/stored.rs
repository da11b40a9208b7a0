//! A stored value this version does not know fails loudly, as INTERNAL,
//! and is never read as something it is not.

use case_review::testing::*;
use sqlx::PgPool;
use tonic::Code;

#[sqlx::test(migrations = false)]
async fn an_unknown_review_kind_or_risk_fails_the_read_instead_of_becoming_another(pool: PgPool) {
    let test = TestReview::spawn(pool.clone()).await;
    let experts = test.five_experts().await;
    let review = test
        .open_review(review_request("LX-2026-000401", &[]))
        .await;
    test.assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await;
    test.submit_opinion(&review.id, &experts[0], 1, "意见")
        .await;
    for sql in [
        "ALTER TABLE reviews DROP CONSTRAINT reviews_kind_check",
        "UPDATE reviews SET kind = 'ENVIRONMENTAL'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let status = test
        .town()
        .get_review(proto::review::v1::GetReviewRequest {
            id: review.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(
        status.message(),
        "internal error",
        "no SQL reaches the caller"
    );

    for sql in [
        "UPDATE reviews SET kind = 'LEGAL_RISK'",
        "ALTER TABLE opinions DISABLE TRIGGER opinions_immutable",
        "ALTER TABLE opinions DROP CONSTRAINT opinions_risk_check",
        "UPDATE opinions SET risk = 'EXTREME'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let status = test
        .town()
        .get_review(proto::review::v1::GetReviewRequest { id: review.id })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    test.cleanup().await;
}
