//! AddMember, RemoveMember, ListMembers and the coverage report.

use platform::auth::Role;
use proto::registry::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;

pub fn member(grid: &str, name: &str, role: pb::MemberRole, phone: &str) -> pb::AddMemberRequest {
    pb::AddMemberRequest {
        idempotency_key: String::new(),
        grid_code: grid.into(),
        name: name.into(),
        role: role.into(),
        background: pb::Background::VillagerGroupLeader.into(),
        phone: phone.into(),
    }
}

#[sqlx::test(migrations = false)]
async fn phones_are_stored_but_only_ever_returned_masked(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    let added = app
        .add_member(member(
            "V1-A1-M01",
            "张建国",
            pb::MemberRole::Leader,
            "13812345678",
        ))
        .await;
    assert_eq!(added.phone_masked, "138****5678");
    let listed = app
        .list_members(pb::ListMembersRequest {
            grid_code: "V1".into(),
            include_descendants: true,
        })
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].phone_masked, "138****5678");
    let stored: String = sqlx::query_scalar("SELECT phone FROM members")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, "13812345678");
    let event: Vec<u8> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject = 'registry.member.added'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        !String::from_utf8_lossy(&event).contains("13812345678"),
        "events carry no phone numbers"
    );
}

#[sqlx::test(migrations = false)]
async fn bad_member_input_names_each_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let request = pb::AddMemberRequest {
        background: 99,
        ..member("V1-A1-M01", "", pb::MemberRole::Unspecified, "12345")
    };
    let status = app.try_add_member(request).await.unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["name", "phone", "role", "background"]
    );

    let wrong_level = app
        .try_add_member(member("V1", "李四", pb::MemberRole::Leader, "13912345678"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&wrong_level), ["role"]);
}

#[sqlx::test(migrations = false)]
async fn a_micro_grid_has_one_serving_leader(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let leader = |name: &str, phone: &str| member("V1-A1-M01", name, pb::MemberRole::Leader, phone);
    let first = app.add_member(leader("张建国", "13812345678")).await;
    let second = app.try_add_member(leader("王芳", "13812345679")).await;
    assert_eq!(second.unwrap_err().code(), Code::AlreadyExists);

    let removal = pb::RemoveMemberRequest {
        member_id: first.id.clone(),
        reason: "moved away".into(),
        ..Default::default()
    };
    app.remove_member(removal.clone()).await;
    assert_eq!(
        app.try_remove_member(removal).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    app.add_member(leader("王芳", "13812345679")).await;
}

#[sqlx::test(migrations = false)]
async fn the_coverage_report_lists_what_each_micro_grid_lacks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    for (grid, role) in [
        ("V1-A1-M01", pb::MemberRole::Leader),
        ("V1-A1-M01", pb::MemberRole::PartyInstructor),
        ("V1-A1-M01", pb::MemberRole::Member),
        ("V1-A1-M02", pb::MemberRole::Leader),
    ] {
        app.add_member(member(grid, "赵六", role, "13700000000"))
            .await;
    }
    let report = app.coverage("").await;
    assert_eq!(report.micro_grids, 4);
    let gaps: Vec<_> = report
        .gaps
        .iter()
        .map(|g| {
            (
                g.micro_grid.as_ref().unwrap().code.as_str(),
                g.lacks_leader,
                g.lacks_party_instructor,
                g.lacks_member,
            )
        })
        .collect();
    assert_eq!(
        gaps,
        [
            ("V1-A1-M02", false, true, true),
            ("V2-A1-M01", true, true, true),
            ("V2-A1-M02", true, true, true)
        ]
    );
    let v1 = app.coverage("V1").await;
    assert_eq!((v1.micro_grids, v1.gaps.len()), (2, 1));
}

#[sqlx::test(migrations = false)]
async fn village_staff_add_members_only_in_their_village(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let staff = app.acting_as(Role::WorkstationStaff, Some("V2")).await;
    staff
        .add_member(member(
            "V2-A1-M01",
            "钱七",
            pb::MemberRole::Member,
            "13600000000",
        ))
        .await;
    let status = staff
        .try_add_member(member(
            "V1-A1-M01",
            "钱七",
            pb::MemberRole::Member,
            "13600000000",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let unscoped = app.acting_as(Role::WorkstationStaff, None).await;
    let status = unscoped
        .try_add_member(member(
            "V2-A1-M01",
            "孙八",
            pb::MemberRole::Member,
            "13600000001",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
}
