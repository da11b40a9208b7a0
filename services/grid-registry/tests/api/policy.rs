//! The role matrix: every RPC served (as reflection lists it) has a rule,
//! and every cell — each RPC called as each role — is refused exactly
//! where the rule says. The matrix is the one docs/authorization.md shows.

use grid_registry::testing::*;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn every_registry_rpc_has_a_rule_and_every_cell_holds(pool: PgPool) {
    let test = TestApp::spawn(pool).await;
    let matrix = test.assert_policy().await;
    let doc = include_str!("../../../../docs/authorization.md");
    assert!(
        doc.contains(&matrix),
        "docs/authorization.md shows grid-registry's matrix as it is:\n{matrix}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_resident_reads_neither_the_members_nor_the_map(pool: PgPool) {
    use platform::auth::Role;
    use proto::registry::v1 as pb;
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let mut resident = app.client_as(Role::Resident, None).await;
    let members = resident
        .list_members(pb::ListMembersRequest {
            grid_code: "V1-A1-M01".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(members.code(), tonic::Code::PermissionDenied);
    assert!(members.message().contains("may not call ListMembers"));
    let map = resident
        .export_map(pb::ExportMapRequest::default())
        .await
        .unwrap_err();
    assert_eq!(map.code(), tonic::Code::PermissionDenied);
    // The town's own people do read them.
    let mut member = app.client_as(Role::Member, Some("V1-A1-M01")).await;
    let listed = member
        .list_members(pb::ListMembersRequest {
            grid_code: "V1-A1-M01".into(),
            ..Default::default()
        })
        .await;
    assert!(listed.is_ok(), "{listed:?}");
    assert!(
        member
            .export_map(pb::ExportMapRequest::default())
            .await
            .is_ok()
    );
}
