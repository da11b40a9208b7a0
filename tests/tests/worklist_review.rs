//! Work lists (一套明细单) through case review and the grid registry: an
//! upper-level policy is broken into tasks only for the villages whose
//! registry attributes meet its rules, each with the policy's deadline and
//! the village's workstation head; a task turns yellow, then red, on the
//! manual clock; closing (销号) is refused until the town has verified the
//! task; the statistics count each village's completion; the printable
//! work list of one village holds that village's tasks; and special-care
//! load is counted through the registry's audited read, never kept.

use case_review::testing::{TestReview, start_time};
use grid_registry::testing::{TestApp as TestRegistry, small_town};
use platform::testing::ScratchDatabase;
use proto::registry::v1 as registry;
use proto::review::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

/// A point in the small town's micro-grid `V1-A1-M01` (south-west) or
/// `V2-A1-M02` (north-east).
fn point(lng: f64, lat: f64) -> Option<registry::Geometry> {
    Some(registry::Geometry {
        shape: Some(registry::geometry::Shape::Point(registry::LatLng {
            lat,
            lng,
        })),
    })
}

fn object(
    code: &str,
    kind: registry::ObjectKind,
    at: (f64, f64),
    high_risk: bool,
) -> registry::CreateObjectRequest {
    registry::CreateObjectRequest {
        idempotency_key: format!("object-{code}"),
        code: code.into(),
        name: format!("{code} 名称"),
        kind: kind.into(),
        geometry: point(at.0, at.1),
        high_risk,
        head_name: if kind == registry::ObjectKind::Enterprise {
            "王厂长".into()
        } else {
            String::new()
        },
        head_phone: if kind == registry::ObjectKind::Enterprise {
            "13800001111".into()
        } else {
            String::new()
        },
        area_ha: 0.0,
    }
}

/// The small town of the registry's test kit (villages V1 west, V2 east)
/// with two rivers and a school in V1, a high-risk enterprise in V2 and an
/// ordinary one in V1, and V1's workstation head.
async fn town_with_attributes(registry: &TestRegistry) {
    let mut operator = registry.client();
    small_town(&mut operator).await;
    let west = (121.02, 30.02);
    let east = (121.08, 30.08);
    for request in [
        object("RIVER-1", registry::ObjectKind::River, west, false),
        object(
            "RIVER-2",
            registry::ObjectKind::River,
            (121.03, 30.07),
            false,
        ),
        object("SCHOOL-1", registry::ObjectKind::School, west, false),
        object("WORKS-1", registry::ObjectKind::Enterprise, east, true),
        object("SHOP-WORKS", registry::ObjectKind::Enterprise, west, false),
    ] {
        registry.create_object(request).await;
    }
    registry
        .add_member(registry::AddMemberRequest {
            idempotency_key: "head-v1".into(),
            grid_code: "V1".into(),
            name: "张站长".into(),
            role: registry::MemberRole::WorkstationHead.into(),
            background: 0,
            phone: "13912340001".into(),
        })
        .await;
}

/// Case review on `pool` calling a registry with the town above, on a
/// database of its own.
async fn review_with_registry(pool: PgPool) -> (TestReview, TestRegistry, ScratchDatabase) {
    review_with_registry_as(pool, &[]).await
}

/// The same, the registry configured with `overrides`.
async fn review_with_registry_as(
    pool: PgPool,
    overrides: &[(&str, String)],
) -> (TestReview, TestRegistry, ScratchDatabase) {
    let db = ScratchDatabase::create("registry").await;
    let config =
        grid_registry::testing::test_config(&platform::testing::unique_prefix(), overrides);
    let registry = TestRegistry::spawn_with(db.pool.clone(), config).await;
    town_with_attributes(&registry).await;
    let review = TestReview::spawn_with(
        pool,
        &platform::testing::unique_prefix(),
        &[(
            "CLIENTS__REGISTRY__ENDPOINT",
            format!("http://{}", registry.addr),
        )],
    )
    .await;
    (review, registry, db)
}

fn deadline() -> chrono::DateTime<chrono::Utc> {
    start_time() + chrono::Duration::days(30)
}

fn flood_policy() -> pb::CreatePolicyRequest {
    pb::CreatePolicyRequest {
        idempotency_key: "policy-flood".into(),
        title: "2026年汛期安全专项整治".into(),
        issuer: "区应急管理局".into(),
        reference: "金应急〔2026〕12号".into(),
        text: "做好汛期河道、企业安全工作".into(),
        deadline: Some(platform::time::timestamp(deadline())),
        rules: vec![
            pb::TaskRule {
                attribute: pb::VillageAttribute::Rivers.into(),
                at_least: 1,
                title: "河道汛前巡查".into(),
                detail: "巡查辖区{count}条河道，清障并设警示".into(),
            },
            pb::TaskRule {
                attribute: pb::VillageAttribute::HighRiskEnterprises.into(),
                at_least: 1,
                title: "高危企业汛期检查".into(),
                detail: "检查{count}家高危企业的防汛措施".into(),
            },
            pb::TaskRule {
                attribute: pb::VillageAttribute::Farmland.into(),
                at_least: 1,
                title: "农田排涝".into(),
                detail: "疏通{count}块农田沟渠".into(),
            },
        ],
    }
}

async fn decomposed(review: &TestReview) -> (pb::Policy, Vec<pb::WorkItem>) {
    let policy = review
        .town()
        .create_policy(flood_policy())
        .await
        .expect("the policy is recorded")
        .into_inner()
        .policy
        .expect("a policy");
    let answer = review
        .town()
        .decompose_policy(pb::DecomposePolicyRequest {
            idempotency_key: "decompose-flood".into(),
            policy_id: policy.id.clone(),
            grid_code: "LX".into(),
        })
        .await
        .expect("the policy is broken down")
        .into_inner();
    (answer.policy.expect("a policy"), answer.items)
}

async fn items_of(review: &TestReview, grid: &str) -> Vec<pb::WorkItem> {
    review
        .town()
        .list_work_items(pb::ListWorkItemsRequest {
            grid_code: grid.into(),
            year: 2026,
            ..Default::default()
        })
        .await
        .expect("the list is read")
        .into_inner()
        .items
}

#[sqlx::test(migrations = false)]
async fn review_a_policy_decomposed_over_a_small_town_gives_tasks_only_to_villages_with_the_attribute(
    pool: PgPool,
) {
    let (review, mut registry, db) = review_with_registry(pool).await;
    let (policy, items) = decomposed(&review).await;

    let got: Vec<(&str, pb::VillageAttribute, u32, &str)> = items
        .iter()
        .map(|i| {
            (
                i.grid_code.as_str(),
                i.attribute(),
                i.count,
                i.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "V1",
                pb::VillageAttribute::Rivers,
                2,
                "巡查辖区2条河道，清障并设警示"
            ),
            (
                "V2",
                pb::VillageAttribute::HighRiskEnterprises,
                1,
                "检查1家高危企业的防汛措施"
            ),
        ],
        "V1 has rivers and only an ordinary enterprise, V2 the high-risk one, nobody farmland"
    );
    assert!(
        items.iter().all(|i| i.deadline == policy.deadline),
        "every task inherits the policy's deadline"
    );
    assert_eq!(
        items[0].chief, "张站长",
        "V1's workstation head answers for it"
    );
    assert_eq!(items[1].chief, "", "V2 has no head registered");
    assert_eq!(policy.state(), pb::PolicyState::Decomposed);
    assert_eq!(policy.items, 2);

    // The same call again is the same answer; another call is refused.
    let again = review
        .town()
        .decompose_policy(pb::DecomposePolicyRequest {
            idempotency_key: "decompose-flood-again".into(),
            policy_id: policy.id.clone(),
            grid_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");

    // V1's workstation reads its own list, and not V2's.
    let v1_staff = review.client(&platform::testing::token(
        "v1-staff",
        platform::auth::Role::WorkstationStaff,
        Some("V1"),
    ));
    let own = v1_staff
        .clone()
        .list_work_items(pb::ListWorkItemsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].grid_code, "V1");
    let other = v1_staff
        .clone()
        .list_work_items(pb::ListWorkItemsRequest {
            grid_code: "V2".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);

    review.cleanup().await;
    registry.shutdown().await;
    db.drop_database().await;
}

#[sqlx::test(migrations = false)]
async fn review_a_work_item_turns_yellow_then_red_on_the_manual_clock(pool: PgPool) {
    let (review, mut registry, db) = review_with_registry(pool).await;
    decomposed(&review).await;
    let light = |items: Vec<pb::WorkItem>| items[0].light();

    assert_eq!(light(items_of(&review, "V1").await), pb::Light::Green);
    // The warning is three days (worklist.warning).
    review.clock.set(deadline() - chrono::Duration::days(4));
    assert_eq!(light(items_of(&review, "V1").await), pb::Light::Green);
    review.clock.set(deadline() - chrono::Duration::days(2));
    assert_eq!(light(items_of(&review, "V1").await), pb::Light::Yellow);
    review.clock.set(deadline() + chrono::Duration::hours(1));
    assert_eq!(light(items_of(&review, "V1").await), pb::Light::Red);

    review.cleanup().await;
    registry.shutdown().await;
    db.drop_database().await;
}

#[sqlx::test(migrations = false)]
async fn review_closing_a_work_item_without_verification_is_refused(pool: PgPool) {
    let (review, mut registry, db) = review_with_registry(pool).await;
    let (_, items) = decomposed(&review).await;
    let item = items[0].id.clone();
    let close = |key: &str| pb::CloseWorkItemRequest {
        idempotency_key: key.into(),
        item_id: item.clone(),
        note: "销号".into(),
    };

    let refused = review
        .town()
        .close_work_item(close("close-1"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("verified"),
        "{}",
        refused.message()
    );

    // V1's workstation reports it done; still not closed before the check.
    let v1_staff = review.client(&platform::testing::token(
        "v1-staff",
        platform::auth::Role::WorkstationStaff,
        Some("V1"),
    ));
    let reported = v1_staff
        .clone()
        .report_progress(pb::ReportProgressRequest {
            idempotency_key: "report-1".into(),
            item_id: item.clone(),
            percent: 100,
            note: "两条河道已巡查清障".into(),
            done: true,
        })
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert_eq!(reported.state(), pb::WorkItemState::Reported);
    let refused = review
        .town()
        .close_work_item(close("close-2"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // V2's workstation cannot even see V1's item.
    let v2_staff = review.client(&platform::testing::token(
        "v2-staff",
        platform::auth::Role::WorkstationStaff,
        Some("V2"),
    ));
    let hidden = v2_staff
        .clone()
        .report_progress(pb::ReportProgressRequest {
            idempotency_key: "report-v2".into(),
            item_id: item.clone(),
            percent: 100,
            note: "x".into(),
            done: false,
        })
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);

    review
        .town()
        .verify_work_item(pb::VerifyWorkItemRequest {
            idempotency_key: "verify-1".into(),
            item_id: item.clone(),
            confirmed: true,
            note: "现场核查属实".into(),
        })
        .await
        .unwrap();
    let closed = review
        .town()
        .close_work_item(close("close-3"))
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert_eq!(closed.state(), pb::WorkItemState::Closed);
    assert_eq!(closed.light(), pb::Light::Done);

    // The statistics count each village's completion.
    let stats = review
        .town()
        .get_statistics(pb::GetStatisticsRequest {
            from: Some(platform::time::timestamp(start_time())),
            to: Some(platform::time::timestamp(
                deadline() + chrono::Duration::days(1),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    let by_village: Vec<(&str, u32, u32, f64)> = stats
        .villages
        .iter()
        .map(|v| (v.grid_code.as_str(), v.items, v.closed, v.completion_rate))
        .collect();
    assert_eq!(by_village, vec![("V1", 1, 1, 1.0), ("V2", 1, 0, 0.0)]);

    review.cleanup().await;
    registry.shutdown().await;
    db.drop_database().await;
}

#[sqlx::test(migrations = false)]
async fn review_the_printable_work_list_of_a_village_holds_its_tasks(pool: PgPool) {
    let (review, mut registry, db) = review_with_registry(pool).await;
    decomposed(&review).await;
    let dir = std::env::temp_dir().join(format!("weigrid-worklist-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("v1.html");

    let mut client = review.town();
    let (value, _) =
        weigrid_cli::cmd::worklist::export_work_list(&mut client, "V1", Some(2026), 0, &out)
            .await
            .unwrap();
    assert_eq!(value["items"], 1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("V1 name工作任务明细单"),
        "the village's own list"
    );
    assert!(html.contains("河道汛前巡查") && html.contains("巡查辖区2条河道"));
    assert!(html.contains("张站长"));
    assert!(
        !html.contains("高危企业汛期检查"),
        "V2's task is not on V1's list"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    review.cleanup().await;
    registry.shutdown().await;
    db.drop_database().await;
}

fn care_rule() -> pb::CreatePolicyRequest {
    pb::CreatePolicyRequest {
        idempotency_key: "policy-care".into(),
        title: "重点人群走访".into(),
        issuer: "区社会工作部".into(),
        reference: String::new(),
        text: String::new(),
        deadline: Some(platform::time::timestamp(deadline())),
        rules: vec![pb::TaskRule {
            attribute: pb::VillageAttribute::SpecialCare.into(),
            at_least: 1,
            title: "特殊人群走访".into(),
            detail: "走访{count}名重点人员".into(),
        }],
    }
}

async fn decompose_care(review: &TestReview) -> Result<Vec<pb::WorkItem>, tonic::Status> {
    let policy = review
        .town()
        .create_policy(care_rule())
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    review
        .town()
        .decompose_policy(pb::DecomposePolicyRequest {
            idempotency_key: "decompose-care".into(),
            policy_id: policy.id,
            grid_code: String::new(),
        })
        .await
        .map(|r| r.into_inner().items)
}

#[sqlx::test(migrations = false)]
async fn review_special_care_load_is_counted_through_the_registrys_audited_read_and_never_kept(
    pool: PgPool,
) {
    let (review, mut registry, db) = review_with_registry_as(
        pool.clone(),
        &[(
            "REGISTRY__CARE_PERSON_READ_ROLES",
            "town_operator,service".into(),
        )],
    )
    .await;
    for (code, micro, id_number) in [
        ("CARE-1", "V2-A1-M01", "11010519491231002X"),
        ("CARE-2", "V2-A1-M02", "110105198001011238"),
    ] {
        registry
            .create_care_person(registry::CreateCarePersonRequest {
                idempotency_key: format!("care-{code}"),
                code: code.into(),
                micro_grid_code: micro.into(),
                category: registry::CareCategory::KeyPetitioner.into(),
                name: "赵某某".into(),
                id_number: id_number.into(),
                phone: "13700001111".into(),
            })
            .await;
    }
    let items = decompose_care(&review)
        .await
        .expect("the policy is broken down");
    let got: Vec<(&str, u32)> = items
        .iter()
        .map(|i| (i.grid_code.as_str(), i.count))
        .collect();
    assert_eq!(got, vec![("V2", 2)], "only V2 has special-care people");
    assert_eq!(items[0].detail, "走访2名重点人员");

    // The registry recorded case review's read, with its purpose.
    let trail = registry
        .list_care_access_log(registry::ListCareAccessLogRequest {
            page_size: 10,
            page_token: String::new(),
            include_changes: false,
        })
        .await;
    assert!(
        trail
            .iter()
            .any(|a| a.subject == "case-review" && a.granted && a.purpose.contains("work lists")),
        "{trail:?}"
    );
    // Nothing of the people is kept: no name, no id number, no phone.
    let dump: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', grid_name, title, detail, chief) FROM work_items",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        dump.iter()
            .all(|row| !row.contains('赵') && !row.contains("1101") && !row.contains("1370"))
    );

    review.cleanup().await;
    registry.shutdown().await;
    db.drop_database().await;
}

#[sqlx::test(migrations = false)]
async fn review_a_registry_that_refuses_special_care_reads_refuses_the_decomposition(pool: PgPool) {
    let (review, mut registry, db) = review_with_registry(pool.clone()).await;
    let status = decompose_care(&review).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM work_items")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(items, 0);

    review.cleanup().await;
    registry.shutdown().await;
    db.drop_database().await;
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
