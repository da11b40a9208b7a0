//! A review from its request to its decision: opinions signed and
//! immutable, one recommendation open, the decision gated and published.

use case_review::testing::*;
use platform::error::field_violations;
use prost::Message as _;
use proto::review::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

/// Opens a review with the five seated; returns it and the experts.
async fn seated(test: &TestReview, case_ref: &str) -> (pb::Review, Vec<TestExpert>) {
    let experts = test.five_experts().await;
    let review = test
        .open_review(review_request(case_ref, &["某建材公司"]))
        .await;
    test.assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await;
    (review, experts)
}

fn close(review: &pb::Review) -> pb::DecideReviewRequest {
    pb::DecideReviewRequest {
        idempotency_key: format!("decide-{}", review.id),
        review_id: review.id.clone(),
        outcome: pb::Outcome::Adopted.into(),
        reasons: "采纳专家组建议".into(),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn bad_input_is_refused_naming_every_field(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let mut request = review_request("", &[]);
    request.kind = 0;
    request.organiser = "lx town".into();
    request.deadline = None;
    let status = test.town().open_review(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["kind", "deadline", "case_ref", "organiser"]);
    let mut villager = test.client(&platform::testing::token(
        "v1",
        platform::auth::Role::Resident,
        None,
    ));
    let status = villager
        .open_review(review_request("LX-2026-000200", &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn an_opinion_is_signed_verifies_and_cannot_be_edited_after_submission(pool: PgPool) {
    let test = TestReview::spawn(pool.clone()).await;
    let (review, experts) = seated(&test, "LX-2026-000201").await;

    let opinion = test
        .submit_opinion(&review.id, &experts[0], 1, "程序合法，风险可控")
        .await;
    assert!(opinion.signature_valid);
    assert_eq!(opinion.version, 1);
    assert!(opinion.signed_at.is_some());

    // Signed by someone else's key: refused.
    let mut forger = experts[0].clone();
    forger.key = key_of("冒名者");
    let status = test
        .try_submit_opinion(&review.id, &forger, 2, "改过的意见")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].field, "signature");

    // The stored opinion cannot be changed, not even by hand.
    let edit = sqlx::query("UPDATE opinions SET reasoning = '改过的' WHERE opinion_id = $1::uuid")
        .bind(&opinion.id)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(edit.to_string().contains("immutable"), "{edit}");
    let delete = sqlx::query("DELETE FROM opinions WHERE opinion_id = $1::uuid")
        .bind(&opinion.id)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(delete.to_string().contains("immutable"), "{delete}");

    // A revision is a new version; the first is kept as it was.
    let revised = test
        .submit_opinion(&review.id, &experts[0], 2, "补充：应先补正程序")
        .await;
    assert_eq!(revised.version, 2);
    let read = test.get_review(&review.id).await;
    assert_eq!(read.opinions.len(), 2);
    assert_eq!(read.opinions[0].reasoning, "程序合法，风险可控");
    assert!(read.opinions.iter().all(|o| o.signature_valid));
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn only_a_seated_expert_submits_and_only_their_own(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let (review, experts) = seated(&test, "LX-2026-000202").await;
    let outsider = test.register_expert("局外律师", "LAWFIRM-9", "").await;
    let status = test
        .try_submit_opinion(&review.id, &outsider, 1, "意见")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

    let mut as_other = test.expert_client(&experts[1]);
    let text = case_review::domain::opinion::OpinionText {
        risk: case_review::domain::opinion::RiskRating::Low,
        reasoning: "x".into(),
        recommendation: "y".into(),
    };
    let status = as_other
        .submit_opinion(pb::SubmitOpinionRequest {
            idempotency_key: "other".into(),
            review_id: review.id.clone(),
            expert_id: experts[0].id().into(),
            version: 1,
            risk: pb::RiskRating::Low.into(),
            reasoning: "x".into(),
            recommendation: "y".into(),
            signature: sign(&experts[0].key, &review.id, experts[0].id(), 1, &text),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // An expert reads the reviews they sit on, not the others.
    let other = test
        .open_review(review_request("LX-2026-000203", &[]))
        .await;
    let mut mine = test.expert_client(&experts[0]);
    assert!(
        mine.get_review(pb::GetReviewRequest {
            id: review.id.clone()
        })
        .await
        .is_ok()
    );
    let status = mine
        .get_review(pb::GetReviewRequest { id: other.id })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(test.count("SELECT count(*) FROM review_reads").await, 1);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn the_decision_waits_for_the_opinions_and_one_recommendation_citing_them(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let (review, experts) = seated(&test, "LX-2026-000204").await;

    let status = test.try_decide(close(&review)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("no opinion from 律师甲"),
        "{}",
        status.message()
    );

    let mut opinions = Vec::new();
    for e in &experts {
        opinions.push(
            test.submit_opinion(&review.id, e, 1, "程序合法，风险可控")
                .await,
        );
    }
    // Return one for a rewrite: the decision waits for the next version.
    test.town()
        .return_opinion(pb::ReturnOpinionRequest {
            idempotency_key: "return-1".into(),
            opinion_id: opinions[2].id.clone(),
            reason: "鉴定依据不充分".into(),
        })
        .await
        .unwrap();
    let cited: Vec<&pb::Opinion> = opinions.iter().collect();
    let status = test
        .try_open_recommendation(&review.id, &cited)
        .await
        .unwrap_err();
    assert_eq!(field_violations(&status)[0].field, "opinion_ids[2]");
    opinions[2] = test
        .submit_opinion(&review.id, &experts[2], 2, "补充鉴定依据")
        .await;

    let cited: Vec<&pb::Opinion> = opinions.iter().collect();
    let recommendation = test
        .try_open_recommendation(&review.id, &cited)
        .await
        .unwrap();
    let second = test
        .try_open_recommendation(&review.id, &cited[..4])
        .await
        .unwrap_err();
    assert_eq!(second.code(), Code::FailedPrecondition, "{second:?}");
    assert!(
        second.message().contains("withdraw"),
        "{}",
        second.message()
    );

    // A review opened directly is decided without a ticket to carry out.
    let decided = test.try_decide(close(&review)).await.unwrap();
    assert_eq!(decided.state(), pb::ReviewState::Decided);
    let decision = decided.decision.unwrap();
    assert_eq!(decision.recommendation_id, recommendation.id);
    assert_eq!(decision.outcome(), pb::Outcome::Adopted);
    let payload: Vec<u8> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject = 'review.decision.made'")
            .fetch_one(&test.pool)
            .await
            .unwrap();
    let event = pb::DecisionMade::decode(payload.as_slice()).unwrap();
    assert_eq!(event.review_id, review.id);
    assert_eq!(event.ticket_id, "");
    // Decided, it changes no more.
    let again = test
        .try_submit_opinion(&review.id, &experts[0], 2, "再补充")
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_declaration_about_to_expire_is_reminded_once(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let expert = test.register_expert("律师甲", "LAWFIRM-1", "").await;
    test.declare(&expert, "某建材公司").await;
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'review.declaration.expiring'")
            .await,
        0
    );
    test.clock.advance(chrono::Duration::days(17));
    test.wait_count(
        "SELECT count(*) FROM outbox WHERE subject = 'review.declaration.expiring'",
        1,
        "the reminder",
    )
    .await;
    test.clock.advance(chrono::Duration::days(1));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'review.declaration.expiring'")
            .await,
        1
    );
    test.cleanup().await;
}
