//! PutDevice and the camera registry's queries.

use platform::auth::Role;
use proto::video::v1 as pb;
use sqlx::PgPool;
use tonic::Code;
use video_ingest::testing::*;

const DEVICE: &str = "31011611001320000001";
const CHANNEL: &str = "31011611001310000001";

#[sqlx::test(migrations = false)]
async fn a_camera_is_placed_in_its_micro_grid_and_its_password_never_leaves(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    let device = test.put_device(camera_request(DEVICE, CHANNEL)).await;
    assert_eq!(device.status(), pb::DeviceStatus::Unregistered);
    assert!(device.has_password);
    let camera = &device.channels[0];
    assert_eq!(camera.grid_code, "V1-A1-M01");
    assert_eq!(camera.village_code, "V1");
    let stored: String = sqlx::query_scalar("SELECT digest_ha1 FROM devices")
        .fetch_one(&test.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "only the digest hash is kept");
    assert!(!stored.contains(PASSWORD));
    assert_eq!(test.outbox_subjects().await, ["video.device.put"]);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn the_same_put_twice_is_one_device_and_one_event(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    let first = test
        .try_put_device(camera_request(DEVICE, CHANNEL))
        .await
        .unwrap();
    let second = test
        .try_put_device(camera_request(DEVICE, CHANNEL))
        .await
        .unwrap();
    assert_eq!(first, second);
    assert!(first.created);
    assert_eq!(test.count("SELECT count(*) FROM devices").await, 1);
    assert_eq!(test.count("SELECT count(*) FROM outbox").await, 1);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn bad_codes_are_refused_naming_the_field_before_any_work(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    let mut request = camera_request("31011600002000000001", "3101161100131000000x");
    request.channels[0].kind = 0;
    request.owner = Some(pb::Owner {
        kind: pb::OwnerKind::Enterprise.into(),
        ..Default::default()
    });
    let status = test.try_put_device(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = platform::error::field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(
        fields,
        ["device_id", "channels[0].channel_id", "channels[0].kind"]
    );
    assert!(status.message().contains("front-end device"), "{status:?}");
    assert_eq!(test.count("SELECT count(*) FROM devices").await, 0);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn only_the_town_centre_puts_devices_and_residents_read_none(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    let status = test
        .client(Role::Member)
        .put_device(camera_request(DEVICE, CHANNEL))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    test.put_device(camera_request(DEVICE, CHANNEL)).await;
    let read = test
        .client(Role::Resident)
        .list_cameras(pb::ListCamerasRequest::default())
        .await
        .unwrap_err();
    assert_eq!(read.code(), Code::PermissionDenied);
    let listed = test
        .client(Role::DepartmentOfficer)
        .list_cameras(pb::ListCamerasRequest {
            grid_code: "V1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.cameras.len(), 1);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn cameras_are_counted_by_kind_owner_and_status(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(DEVICE, CHANNEL)).await;
    let mut thermal = camera_request("31011611001320000002", "31011611001310000002");
    thermal.channels[0].kind = pb::CameraKind::Thermal.into();
    thermal.owner = Some(pb::Owner {
        kind: pb::OwnerKind::Enterprise.into(),
        code: "ENT-0001".into(),
        name: "廊下化工".into(),
    });
    test.put_device(thermal).await;
    let summary = test
        .town()
        .summarise_cameras(pb::SummariseCamerasRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (summary.cameras, summary.devices, summary.enterprises),
        (2, 2, 1)
    );
    let kinds: Vec<_> = summary
        .by_kind
        .iter()
        .map(|c| (c.key.as_str(), c.cameras))
        .collect();
    assert_eq!(kinds, [("GENERAL", 1), ("THERMAL", 1)]);
    let thermal_only = test
        .town()
        .list_cameras(pb::ListCamerasRequest {
            kind: pb::CameraKind::Thermal.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        thermal_only.cameras[0].owner.as_ref().unwrap().code,
        "ENT-0001"
    );
    test.cleanup().await;
}
