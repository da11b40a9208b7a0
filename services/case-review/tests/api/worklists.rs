//! Work lists without the registry: policies are checked field by field
//! before anything is stored, and breaking one down while the registry
//! cannot be reached is UNAVAILABLE, storing nothing. (Breaking policies
//! down over a real registry runs in the workspace's `tests/`.)

use case_review::testing::*;
use platform::error::field_violations;
use proto::review::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

fn policy(rules: Vec<pb::TaskRule>) -> pb::CreatePolicyRequest {
    pb::CreatePolicyRequest {
        idempotency_key: "policy-1".into(),
        title: "耕地保护专项".into(),
        issuer: "区农业农村委".into(),
        reference: String::new(),
        text: String::new(),
        deadline: Some(convert_time(start_time() + chrono::Duration::days(20))),
        rules,
    }
}

fn convert_time(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    platform::time::timestamp(at)
}

fn farmland_rule() -> pb::TaskRule {
    pb::TaskRule {
        attribute: pb::VillageAttribute::Farmland.into(),
        at_least: 1,
        title: "耕地巡查".into(),
        detail: "巡查{count}块耕地".into(),
    }
}

#[sqlx::test(migrations = false)]
async fn review_a_policy_names_every_broken_field_before_anything_is_stored(pool: PgPool) {
    let test = TestReview::spawn(pool.clone()).await;
    let mut request = policy(vec![
        farmland_rule(),
        pb::TaskRule {
            attribute: 0,
            at_least: 0,
            title: String::new(),
            detail: "x".into(),
        },
    ]);
    request.deadline = None;
    request.title = " ".into();
    let status = test.town().create_policy(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(
        fields,
        ["title", "deadline", "rules[1].attribute", "rules[1].title"]
    );

    let twice = policy(vec![farmland_rule(), farmland_rule()]);
    let status = test.town().create_policy(twice).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].field, "rules[1].attribute");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM policies")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let created = test
        .town()
        .create_policy(policy(vec![farmland_rule()]))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(created.state(), pb::PolicyState::Draft);
    let listed = test
        .town()
        .list_policies(pb::ListPoliciesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .policies;
    assert_eq!(listed, vec![created]);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn review_breaking_a_policy_down_without_the_registry_is_unavailable_and_stores_nothing(
    pool: PgPool,
) {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let test = TestReview::spawn_with(
        pool.clone(),
        &platform::testing::unique_prefix(),
        &[
            (
                "CLIENTS__REGISTRY__ENDPOINT",
                format!("http://127.0.0.1:{port}"),
            ),
            ("CLIENTS__REGISTRY__MAX_ATTEMPTS", "1".into()),
        ],
    )
    .await;
    let created = test
        .town()
        .create_policy(policy(vec![farmland_rule()]))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    let status = test
        .town()
        .decompose_policy(pb::DecomposePolicyRequest {
            idempotency_key: "decompose-1".into(),
            policy_id: created.id,
            grid_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM work_items")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(items, 0);
    let state: String = sqlx::query_scalar("SELECT state FROM policies")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "DRAFT");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn review_an_unknown_stored_rule_attribute_fails_the_read(pool: PgPool) {
    let test = TestReview::spawn(pool.clone()).await;
    test.town()
        .create_policy(policy(vec![farmland_rule()]))
        .await
        .unwrap();
    sqlx::query("UPDATE policies SET rules = jsonb_set(rules, '{0,attribute}', '\"LAKES\"')")
        .execute(&pool)
        .await
        .unwrap();
    let status = test
        .town()
        .list_policies(pb::ListPoliciesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.message(), "internal error");
    test.cleanup().await;
}
