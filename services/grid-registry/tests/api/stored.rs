//! A stored value this version does not know fails loudly, as INTERNAL
//! without details, rather than being read as some default.

use proto::registry::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;
use crate::members::member;
use crate::objects::point_object;

fn is_internal(status: &tonic::Status) {
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.message(), "internal error", "nothing stored leaks");
}

#[sqlx::test(migrations = false)]
async fn a_grid_level_this_version_does_not_know_fails_loudly(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    // A later version's level, written past the check this version declares.
    sqlx::query("ALTER TABLE grids DROP CONSTRAINT grids_level_check")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE grids SET level = 'DISTRICT' WHERE code = 'V1'")
        .execute(&pool)
        .await
        .unwrap();

    is_internal(&app.try_grid("V1").await.unwrap_err());
    is_internal(
        &app.try_list_grids(pb::ListGridsRequest::default())
            .await
            .unwrap_err(),
    );
    // A write reading the grid refuses too, and changes nothing.
    let rename = pb::UpdateGridRequest {
        code: "V1".into(),
        name: Some("中华村".into()),
        ..Default::default()
    };
    is_internal(&app.try_update_grid(rename).await.unwrap_err());
    let (level, version): (String, i64) =
        sqlx::query_as("SELECT level, version FROM grids WHERE code = 'V1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((level.as_str(), version), ("DISTRICT", 1));
}

#[sqlx::test(migrations = false)]
async fn a_member_role_this_version_does_not_know_fails_loudly(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.add_member(member(
        "V1-A1-M01",
        "张建国",
        pb::MemberRole::Leader,
        "13812345678",
    ))
    .await;
    sqlx::query("UPDATE members SET role = 'CAPTAIN'")
        .execute(&pool)
        .await
        .unwrap();
    let listing = pb::ListMembersRequest {
        grid_code: "V1-A1-M01".into(),
        include_descendants: false,
    };
    is_internal(&app.try_list_members(listing).await.unwrap_err());
}

#[sqlx::test(migrations = false)]
async fn an_object_kind_this_version_does_not_know_fails_loudly(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.create_object(point_object(
        "SHOP-0001",
        pb::ObjectKind::Shop,
        30.07,
        121.07,
    ))
    .await;
    sqlx::query("UPDATE covered_objects SET kind = 'DRONE_PAD'")
        .execute(&pool)
        .await
        .unwrap();
    is_internal(&app.try_object("SHOP-0001").await.unwrap_err());
}
