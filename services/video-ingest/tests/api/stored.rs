//! A stored value this version does not know fails loudly, as INTERNAL,
//! and is never read as something it is not.

use proto::video::v1 as pb;
use sqlx::PgPool;
use tonic::Code;
use video_ingest::testing::*;

#[sqlx::test(migrations = false)]
async fn an_unknown_camera_kind_or_device_status_fails_loudly(pool: PgPool) {
    let test = TestVideo::spawn(pool.clone()).await;
    test.put_device(camera_request(
        "31011611001320000001",
        "31011611001310000001",
    ))
    .await;
    for sql in [
        "ALTER TABLE channels DROP CONSTRAINT channels_kind_check",
        "UPDATE channels SET kind = 'DRONE'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    let status = test
        .town()
        .get_camera(pb::GetCameraRequest {
            channel_id: "31011611001310000001".into(),
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
        "ALTER TABLE devices DROP CONSTRAINT devices_status_check",
        "UPDATE devices SET status = 'SLEEPING'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    let listed = test
        .town()
        .list_devices(pb::ListDevicesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(listed.code(), Code::Internal);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_an_unknown_incident_kind_fails_loudly(pool: PgPool) {
    let test = TestVideo::spawn(pool.clone()).await;
    test.put_device(camera_request(
        "31011611001320000001",
        "31011611001310000001",
    ))
    .await;
    let event = analytic_event(
        "31011611001310000001",
        pb::IncidentKind::Intrusion,
        pb::EventPhase::Start,
        0.5,
        fixtures::start_time(),
    );
    let streamed = test
        .stream_events(vec![pb::StreamAnalyticEventsRequest {
            batch: 1,
            events: vec![event],
        }])
        .await;
    assert!(streamed.ended.is_none());
    test.wait_incident_events("31011611001310000001", 1).await;
    for sql in [
        "ALTER TABLE incidents DROP CONSTRAINT incidents_kind_check",
        "UPDATE incidents SET kind = 'FLOOD'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    let status = test
        .town()
        .list_incidents(pb::ListIncidentsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    test.cleanup().await;
}
