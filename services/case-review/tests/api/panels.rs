//! Panels: every composition and conflict rule is checked at assignment,
//! and a refusal names the rule.

use case_review::testing::*;
use platform::error::field_violations;
use proto::review::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

/// Returns the (field, rule name) pairs of a refusal.
fn refused(status: &tonic::Status) -> Vec<(String, String)> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    field_violations(status)
        .into_iter()
        .map(|v| {
            let rule = v
                .rule
                .split_once(':')
                .map_or(v.rule.clone(), |(r, _)| r.to_owned());
            (v.field, rule)
        })
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_panel_breaking_the_composition_rules_is_refused_naming_each_rule(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let experts = test.five_experts().await;
    let review = test
        .open_review(review_request("LX-2026-000101", &["某建材公司"]))
        .await;

    let four: Vec<&TestExpert> = experts.iter().take(4).collect();
    let status = test.try_assign_panel(&review.id, &four).await.unwrap_err();
    assert_eq!(
        refused(&status),
        [
            ("expert_ids".to_owned(), "odd_size".to_owned()),
            ("expert_ids".to_owned(), "minimum_size".to_owned()),
        ]
    );

    let water2 = test.register_expert("水务所", "JS-WATER", "").await;
    let mut two_from_authority: Vec<&TestExpert> = experts.iter().collect();
    two_from_authority[0] = &water2;
    let status = test
        .try_assign_panel(&review.id, &two_from_authority)
        .await
        .unwrap_err();
    assert_eq!(
        refused(&status),
        [(
            "expert_ids".to_owned(),
            "industry_authority_share".to_owned()
        )]
    );
    assert!(status.message().contains("2 of 5"), "{}", status.message());

    let centre = test.register_expert("城运中心", "LX", "").await;
    let judicial = test.register_expert("司法所", "LX-JUDICIAL", "LX").await;
    let mut related: Vec<&TestExpert> = experts.iter().collect();
    related[0] = &centre;
    related[1] = &judicial;
    let status = test
        .try_assign_panel(&review.id, &related)
        .await
        .unwrap_err();
    assert_eq!(
        refused(&status),
        [(
            "expert_ids".to_owned(),
            "reporting_relation_share".to_owned()
        )]
    );

    // Nothing was seated by the refusals.
    assert!(test.get_review(&review.id).await.panel.is_empty());
    let seated = test
        .assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await;
    assert_eq!(seated.panel.len(), 5);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_conflicted_expert_is_refused_and_the_conflict_is_counted(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let experts = test.five_experts().await;
    test.declare(&experts[1], "某建材公司").await;
    let planner = test.register_expert("规划所", "JS-PLANNING", "").await;
    let review = test
        .open_review(review_request("LX-2026-000102", &["某建材公司"]))
        .await;

    let status = test
        .try_assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await
        .unwrap_err();
    assert_eq!(
        refused(&status),
        [("expert_ids[1]".to_owned(), "declared_interest".to_owned())]
    );
    assert!(
        status.message().contains("某建材公司"),
        "{}",
        status.message()
    );

    // JS-PLANNING handled the case already (the review's `involved`).
    let mut with_planner: Vec<&TestExpert> = experts.iter().collect();
    with_planner[1] = &planner;
    let status = test
        .try_assign_panel(&review.id, &with_planner)
        .await
        .unwrap_err();
    assert_eq!(
        refused(&status),
        [("expert_ids[1]".to_owned(), "past_role".to_owned())]
    );
    assert_eq!(test.count("SELECT count(*) FROM conflicts_found").await, 2);
    assert!(test.get_review(&review.id).await.panel.is_empty());

    let stats = test
        .town()
        .get_statistics(pb::GetStatisticsRequest {
            from: Some(case_review::convert::timestamp(
                start_time() - chrono::Duration::days(1),
            )),
            to: Some(case_review::convert::timestamp(
                start_time() + chrono::Duration::days(1),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.conflicts_found.get("declared_interest"), Some(&1));
    assert_eq!(stats.conflicts_found.get("past_role"), Some(&1));
    assert_eq!(stats.total.unwrap().opened, 1);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_recusal_is_recorded_with_its_reason_and_the_expert_is_not_seated_again(pool: PgPool) {
    let test = TestReview::spawn(pool).await;
    let experts = test.five_experts().await;
    let review = test
        .open_review(review_request("LX-2026-000103", &[]))
        .await;
    test.assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await;

    let recused = test
        .expert_client(&experts[2])
        .recuse_panelist(pb::RecusePanelistRequest {
            idempotency_key: "recuse-1".into(),
            review_id: review.id.clone(),
            expert_id: experts[2].id().into(),
            reason: "与当事人有亲属关系".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .review
        .unwrap();
    let panelist = recused
        .panel
        .iter()
        .find(|p| p.expert_id == experts[2].id())
        .unwrap();
    assert_eq!(panelist.recusal_reason, "与当事人有亲属关系");
    assert!(panelist.recused_at.is_some());

    // Someone else may not record another expert's recusal.
    let status = test
        .expert_client(&experts[0])
        .recuse_panelist(pb::RecusePanelistRequest {
            idempotency_key: "recuse-2".into(),
            review_id: review.id.clone(),
            expert_id: experts[1].id().into(),
            reason: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    let status = test
        .try_assign_panel(&review.id, &experts.iter().collect::<Vec<_>>())
        .await
        .unwrap_err();
    assert_eq!(
        refused(&status),
        [("expert_ids[2]".to_owned(), "recused".to_owned())]
    );
    let replacement = test.register_expert("律师丙", "LAWFIRM-3", "").await;
    let mut panel: Vec<&TestExpert> = experts.iter().collect();
    panel[2] = &replacement;
    assert_eq!(
        test.assign_panel(&review.id, &panel)
            .await
            .panel
            .iter()
            .filter(|p| p.recused_at.is_none())
            .count(),
        5
    );
    test.cleanup().await;
}
