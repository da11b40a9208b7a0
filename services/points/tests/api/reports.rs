//! Reports: checks, duplicates, caps and households.

use chrono::TimeDelta;
use platform::auth::Role;
use platform::error::field_violations;
use points::testing::*;
use proto::dispatch::v1::ReopenCause;
use proto::points::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

#[sqlx::test(migrations = false)]
async fn a_bad_report_is_refused_naming_each_field_and_rule(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let villager = test.register("张三", "13812345678").await;
    let mut bad = report(&villager, "NO_SUCH_THING", 0.0, 0.0);
    bad.severity = 7;
    bad.text = String::new();
    bad.photos[0].content_type = "image/gif".into();
    let status = test.try_submit(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(
        fields,
        [
            "text",
            "severity",
            "photos[0].content_type",
            "location",
            "category_code"
        ]
    );

    let status = test
        .workstation()
        .register_resident(pb::RegisterResidentRequest {
            name: "赵六".into(),
            phone: "12345".into(),
            village_code: "v1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let fields: Vec<_> = field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["openid", "phone", "village_code"]);

    // Another village's workstation cannot act for this resident.
    let mut other = test.client(&token_of("ws-v2", Role::WorkstationStaff, Some("V2")));
    let status = other
        .submit_report(report(&villager, "SANITATION", 30.02, 121.02))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_second_report_of_the_same_place_and_category_is_a_duplicate_and_earns_nothing(
    pool: PgPool,
) {
    let test = TestPoints::spawn(pool).await;
    let first = test.register("张三", "13812345678").await;
    let second = test.register("李四", "13900001111").await;
    let original = test
        .submit(report(&first, "ILLEGAL_DUMPING", 30.02, 121.02))
        .await;
    // 20 m away, from someone else, an hour later.
    test.clock.advance(TimeDelta::hours(1));
    let again = test
        .submit(report(&second, "ILLEGAL_DUMPING", 30.02018, 121.02))
        .await;
    assert_eq!(again.status(), pb::ReportStatus::Duplicate);
    assert_eq!(again.duplicate_of, original.id);
    assert_eq!(again.pending_points, 0);
    // Another category at the same place, or the same after the window, is new.
    let other = test
        .submit(report(&second, "SANITATION", 30.02, 121.02))
        .await;
    assert_eq!(other.status(), pb::ReportStatus::Submitted);
    test.clock.advance(TimeDelta::hours(72));
    let later = test
        .submit(report(&second, "ILLEGAL_DUMPING", 30.02, 121.02))
        .await;
    assert_eq!(later.status(), pb::ReportStatus::Submitted);

    // Verifying the duplicate's ticket pays nothing; the original is paid.
    test.ticket_event(&again, "verified", Default::default())
        .await;
    test.verify(&original).await;
    let again = test.get_report(&again.id).await;
    assert_eq!(again.status(), pb::ReportStatus::Duplicate);
    assert_eq!(test.balance(&second).await, 0);
    assert_eq!(test.balance(&first).await, 10);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn daily_and_monthly_caps_clip_awards_and_then_stop_them(pool: PgPool) {
    let test = TestPoints::spawn_with(
        pool,
        &[("CAPS__DAILY", "25".into()), ("CAPS__MONTHLY", "45".into())],
    )
    .await;
    let villager = test.register("张三", "13812345678").await;
    let report_at = async |lat: f64| {
        test.submit(report(&villager, "FIRE_HAZARD", lat, 121.02))
            .await
    };
    // Three reports of 10 on one day, far apart: 10, 10, then 5 (the day's cap).
    let day_one = [
        report_at(30.01).await,
        report_at(30.02).await,
        report_at(30.03).await,
    ];
    test.clock.advance(TimeDelta::days(1));
    // Two more the next day reach the month's 45; the day after earns nothing.
    let day_two = [report_at(30.04).await, report_at(30.05).await];
    test.clock.advance(TimeDelta::days(1));
    let day_three = report_at(30.06).await;
    let mut awarded = Vec::new();
    for r in day_one.iter().chain(&day_two).chain([&day_three]) {
        awarded.push(test.verify(r).await.awarded_points);
    }
    assert_eq!(awarded, [10, 10, 5, 10, 10, 0]);
    assert_eq!(test.balance(&villager).await, 45);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn household_members_earn_into_one_balance(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let mut ws = test.workstation();
    let household = ws
        .create_household(pb::CreateHouseholdRequest {
            village_code: VILLAGE.into(),
            label: "中丰村 3组 12号".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .household_id;
    let member = |name: &'static str, phone: &'static str, openid: &'static str| {
        let mut ws = ws.clone();
        let household = household.clone();
        async move {
            ws.register_resident(pb::RegisterResidentRequest {
                openid: openid.into(),
                name: name.into(),
                phone: phone.into(),
                village_code: VILLAGE.into(),
                household_id: household,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .resident
            .unwrap()
        }
    };
    let father = member("张大山", "13811112222", "oX-father").await;
    let daughter = member("张小红", "13833334444", "oX-daughter").await;
    assert_eq!(father.phone_masked, "138****2222");
    assert_eq!(
        member("张大山", "13811112222", "oX-father").await.id,
        father.id,
        "the same openid is the same resident"
    );
    for (who, lat) in [(&father, 30.01), (&daughter, 30.03)] {
        let r = test.submit(report(who, "SANITATION", lat, 121.02)).await;
        test.verify(&r).await;
    }
    assert_eq!(test.balance(&father).await, 10);
    assert_eq!(test.balance(&daughter).await, 10);
    let b = test.get_balance(&daughter).await;
    assert_eq!(
        (b.account_kind.as_str(), b.account_id),
        ("HOUSEHOLD", household)
    );

    // A deactivated member keeps the history but reports no more.
    ws.deactivate_resident(pb::DeactivateResidentRequest {
        resident_id: daughter.id.clone(),
        reason: "迁出本村".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let status = test
        .try_submit(report(&daughter, "SANITATION", 30.05, 121.02))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(test.balance(&daughter).await, 10);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn points_of_an_untrue_report_already_spent_are_taken_from_the_next_award(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    test.put_item(pb::CatalogItem {
        code: "SOAP".into(),
        name: "洗衣皂".into(),
        kind: pb::ItemKind::DailyGoods.into(),
        cost: 5,
        stock: 5,
        active: true,
        ..Default::default()
    })
    .await;
    let villager = test.register("张三", "13812345678").await;
    let untrue = test
        .submit(report(&villager, "SANITATION", 30.01, 121.02))
        .await;
    let mut severe = report(&villager, "SANITATION", 30.03, 121.02);
    severe.severity = 2;
    let later = test.submit(severe).await;
    test.verify(&untrue).await;
    test.try_redeem(pb::RedeemRequest {
        idempotency_key: "soap".into(),
        resident_id: villager.id.clone(),
        item_code: "SOAP".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    // Found untrue after its 5 points were spent: nothing can be taken yet.
    test.ticket_event(&untrue, "reopened", ReopenCause::ReportUntrue)
        .await;
    let rejected = test.wait_status(&untrue, pb::ReportStatus::Rejected).await;
    assert_eq!((rejected.awarded_points, rejected.reversed_points), (5, 0));
    assert_eq!(test.balance(&villager).await, 0);
    // The next award pays what is owed first.
    test.verify(&later).await;
    let settled = test.wait_status(&untrue, pb::ReportStatus::Rejected).await;
    assert_eq!(settled.reversed_points, 5);
    assert_eq!(test.balance(&villager).await, 5, "10 earned, 5 owed");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn points_a_report_the_desk_rejects_as_not_a_case_is_untrue_and_earns_nothing(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let villager = test.register("张三", "13812345678").await;
    let prank = test
        .submit(report(&villager, "SANITATION", 30.02, 121.02))
        .await;
    test.ticket_event(&prank, "rejected", ReopenCause::Unspecified)
        .await;
    let rejected = test.wait_status(&prank, pb::ReportStatus::Rejected).await;
    assert_eq!((rejected.pending_points, rejected.awarded_points), (0, 0));
    // Whatever dispatch says of it later, it earns nothing.
    test.ticket_event(&prank, "verified", ReopenCause::Unspecified)
        .await;
    test.wait_count(
        "SELECT count(*) FROM inbox WHERE subject LIKE '%dispatch.ticket.%'",
        2,
        "both events applied",
    )
    .await;
    let after = test.wait_status(&prank, pb::ReportStatus::Rejected).await;
    assert_eq!(after.awarded_points, 0);
    assert_eq!(test.balance(&villager).await, 0);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn the_town_changes_award_rules_and_a_resident_acts_only_for_themselves(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let mut town = test.town();
    let villager = test.register("张三", "13812345678").await;
    let neighbour = test.register("李四", "13900001111").await;
    let rule = |code: &str, base_points: u32, active: bool| pb::PutAwardRuleRequest {
        rule: Some(pb::AwardRule {
            category_code: code.into(),
            base_points,
            active,
        }),
        ..Default::default()
    };
    town.put_award_rule(rule("SANITATION", 8, true))
        .await
        .unwrap();
    town.put_award_rule(rule("LOST_ITEM", 2, false))
        .await
        .unwrap();
    let unknown = town
        .put_award_rule(rule("NO_SUCH", 5, true))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let rules = town
        .list_award_rules(pb::ListAwardRulesRequest {})
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert!(
        rules
            .iter()
            .any(|r| r.category_code == "SANITATION" && r.base_points == 8)
    );

    let mut me = test.client(&token_of(&villager.id, Role::Resident, None));
    let mine = me
        .submit_report(report(&villager, "SANITATION", 30.01, 121.02))
        .await
        .expect("the report is taken")
        .into_inner()
        .report
        .expect("a report");
    assert_eq!((mine.pending_points, mine.operator.as_str()), (8, ""));
    let closed = me
        .submit_report(report(&villager, "LOST_ITEM", 30.03, 121.02))
        .await
        .unwrap_err();
    assert_eq!(
        closed.code(),
        Code::InvalidArgument,
        "an inactive category takes no reports"
    );
    for status in [
        me.get_balance(pb::GetBalanceRequest {
            resident_id: neighbour.id.clone(),
        })
        .await
        .unwrap_err(),
        me.submit_report(report(&neighbour, "SANITATION", 30.05, 121.02))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            status.code(),
            Code::NotFound,
            "another resident is not disclosed"
        );
    }
    let adjust = me
        .adjust_points(pb::AdjustPointsRequest {
            idempotency_key: "free-points".into(),
            resident_id: villager.id.clone(),
            amount: 100,
            reason: "想要积分".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(adjust.code(), Code::PermissionDenied);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_residents_reports_come_a_page_at_a_time_newest_first(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let mut ws = test.workstation();
    let villager = test.register("张三", "13812345678").await;
    let mut ids = Vec::new();
    for lat in [30.01, 30.03, 30.05] {
        ids.push(
            test.submit(report(&villager, "SANITATION", lat, 121.02))
                .await
                .id,
        );
        test.clock.advance(TimeDelta::minutes(1));
    }
    let page = |token: String| pb::ListReportsRequest {
        resident_id: villager.id.clone(),
        page_size: 2,
        page_token: token,
    };
    let first = ws
        .list_reports(page(String::new()))
        .await
        .unwrap()
        .into_inner();
    let second = ws
        .list_reports(page(first.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    let seen: Vec<_> = first
        .reports
        .iter()
        .chain(&second.reports)
        .map(|r| r.id.clone())
        .collect();
    ids.reverse();
    assert_eq!(seen, ids);
    assert!(second.next_page_token.is_empty(), "the last page");
    let bad = ws.list_reports(page("nonsense".into())).await.unwrap_err();
    assert_eq!(field_violations(&bad)[0].field, "page_token");
    test.cleanup().await;
}
