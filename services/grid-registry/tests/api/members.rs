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
    let mut client = app.operator().await;
    small_town(&mut client).await;
    let added = client
        .add_member(member(
            "V1-A1-M01",
            "张建国",
            pb::MemberRole::Leader,
            "13812345678",
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(added.phone_masked, "138****5678");
    let listed = client
        .list_members(pb::ListMembersRequest {
            grid_code: "V1".into(),
            include_descendants: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.members.len(), 1);
    assert_eq!(listed.members[0].phone_masked, "138****5678");
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
    let mut client = app.operator().await;
    small_town(&mut client).await;
    let mut request = member("V1-A1-M01", "", pb::MemberRole::Unspecified, "12345");
    request.background = 99;
    let status = client.add_member(request).await.unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["name", "phone", "role", "background"]
    );

    let wrong_level = client
        .add_member(member("V1", "李四", pb::MemberRole::Leader, "13912345678"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&wrong_level), ["role"]);
}

#[sqlx::test(migrations = false)]
async fn a_micro_grid_has_one_serving_leader(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut client = app.operator().await;
    small_town(&mut client).await;
    let first = client
        .add_member(member(
            "V1-A1-M01",
            "张建国",
            pb::MemberRole::Leader,
            "13812345678",
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    let second = client
        .add_member(member(
            "V1-A1-M01",
            "王芳",
            pb::MemberRole::Leader,
            "13812345679",
        ))
        .await;
    assert_eq!(second.unwrap_err().code(), Code::AlreadyExists);

    let removal = pb::RemoveMemberRequest {
        member_id: first.id.clone(),
        reason: "moved away".into(),
        ..Default::default()
    };
    client.remove_member(removal.clone()).await.unwrap();
    assert_eq!(
        client.remove_member(removal).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    client
        .add_member(member(
            "V1-A1-M01",
            "王芳",
            pb::MemberRole::Leader,
            "13812345679",
        ))
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn the_coverage_report_lists_what_each_micro_grid_lacks(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut client = app.operator().await;
    small_town(&mut client).await;
    for (grid, role) in [
        ("V1-A1-M01", pb::MemberRole::Leader),
        ("V1-A1-M01", pb::MemberRole::PartyInstructor),
        ("V1-A1-M01", pb::MemberRole::Member),
        ("V1-A1-M02", pb::MemberRole::Leader),
    ] {
        client
            .add_member(member(grid, "赵六", role, "13700000000"))
            .await
            .unwrap();
    }
    let report = client
        .get_coverage_report(pb::GetCoverageReportRequest::default())
        .await
        .unwrap()
        .into_inner();
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
    let v1 = client
        .get_coverage_report(pb::GetCoverageReportRequest {
            grid_code: "V1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((v1.micro_grids, v1.gaps.len()), (2, 1));
}

#[sqlx::test(migrations = false)]
async fn village_staff_add_members_only_in_their_village(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    small_town(&mut app.operator().await).await;
    let mut staff = app.client_as(Role::WorkstationStaff, Some("V2")).await;
    staff
        .add_member(member(
            "V2-A1-M01",
            "钱七",
            pb::MemberRole::Member,
            "13600000000",
        ))
        .await
        .unwrap();
    let status = staff
        .add_member(member(
            "V1-A1-M01",
            "钱七",
            pb::MemberRole::Member,
            "13600000000",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut unscoped = app.client_as(Role::WorkstationStaff, None).await;
    let status = unscoped
        .add_member(member(
            "V2-A1-M01",
            "孙八",
            pb::MemberRole::Member,
            "13600000001",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
}
