//! The GB/T 28181 gateway, with sipp playing the device (scenarios in
//! `tests/sipp/`).

use std::time::Duration;

use proto::dispatch::v1 as dispatch;
use proto::video::v1 as pb;
use sqlx::PgPool;
use video_ingest::testing::*;

const CAMERA: &str = "31011611001320000001";
const CHANNEL: &str = "31011611001310000001";

fn assert_ran(run: &SippRun) {
    assert!(
        run.success,
        "sipp's scenario failed:\n{}\n{}",
        run.errors, run.output
    );
}

#[sqlx::test(migrations = false)]
async fn a_wrong_password_is_challenged_again_and_the_right_one_registers(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let run = Sipp::new("register_wrong_then_right.xml", test.sip, CAMERA)
        .run()
        .await;
    assert_ran(&run);
    let device = test.device(CAMERA).await;
    assert_eq!(device.status(), pb::DeviceStatus::Online);
    assert_eq!(device.transport, "UDP");
    // Two challenges; each nonce answered once.
    assert_eq!(
        test.count("SELECT count(*) FROM sip_nonces WHERE used_at IS NOT NULL")
            .await,
        2
    );
    assert_eq!(
        test.outbox_subjects().await,
        ["video.device.put", "video.device.registered"]
    );
    // The registration asked for the catalogue.
    let syncs = test.syncs(CAMERA).await;
    assert_eq!((syncs.len(), syncs[0].sn), (1, 1));
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_replayed_nonce_and_a_renewal_without_digest_are_refused(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let run = Sipp::new("register_replay.xml", test.sip, CAMERA)
        .run()
        .await;
    // Every refusal the scenario expects (a 401 to the replayed nonce and
    // to the unauthenticated re-REGISTER under the same Call-ID) came.
    assert_ran(&run);
    // Four challenges: the first, the replay's, the bare renewal's and the
    // one before unregistering.
    assert_eq!(test.count("SELECT count(*) FROM sip_nonces").await, 4);
    let device = test.device(CAMERA).await;
    assert_eq!(
        device.status(),
        pb::DeviceStatus::Unregistered,
        "Expires: 0 unregisters"
    );
    assert_eq!(
        test.outbox_subjects().await,
        [
            "video.device.put",
            "video.device.registered",
            "video.device.unregistered"
        ]
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_restart_leaves_devices_online_until_their_persisted_deadline(pool: PgPool) {
    let mut test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    assert_ran(&Sipp::new("keepalive.xml", test.sip, CAMERA).run().await);
    let device = test.device(CAMERA).await;
    assert_eq!(device.status(), pb::DeviceStatus::Online);
    assert!(device.last_keepalive_at.is_some());
    // Three keepalive intervals of 60 s from the last one.
    let deadline = device.offline_deadline.unwrap();
    assert_eq!(
        deadline.seconds - device.last_keepalive_at.unwrap().seconds,
        180
    );

    test.restart().await;
    test.advance(Duration::from_secs(170));
    test.health_round().await;
    assert_eq!(test.device(CAMERA).await.status(), pb::DeviceStatus::Online);

    test.advance(Duration::from_secs(20));
    test.health_round().await;
    test.health_round().await;
    assert_eq!(
        test.device(CAMERA).await.status(),
        pb::DeviceStatus::Offline
    );
    let offline = test
        .count("SELECT count(*) FROM outbox WHERE subject = 'video.device.offline'")
        .await;
    assert_eq!(offline, 1, "offline once, not once per missed beat");
    test.advance(Duration::from_secs(600));
    test.health_round().await;
    let tickets = test.ticket_requests().await;
    assert_eq!(tickets.len(), 1, "one maintenance ticket per outage");
    let request = tickets[0].request.clone().unwrap();
    assert_eq!(request.channel(), dispatch::Channel::VideoAlarm);
    assert_eq!(request.category_code, "OTHER");
    assert!(
        request.title.contains("device offline"),
        "{}",
        request.title
    );
    assert_eq!(request.idempotency_key, request.external_ref);
    let at = request.location.unwrap();
    assert!((at.lat - 30.01).abs() < 1e-9 && (at.lng - 121.01).abs() < 1e-9);
    assert_eq!(
        test.count("SELECT count(*) FROM outages WHERE ended_at IS NULL")
            .await,
        1
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_device_back_online_ends_its_outage_and_a_second_outage_asks_again(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    assert_ran(&Sipp::new("keepalive.xml", test.sip, CAMERA).run().await);
    test.advance(Duration::from_secs(200));
    test.health_round().await;
    assert_eq!(test.ticket_requests().await.len(), 1);

    // The device speaks again: the outage ends; then it falls silent.
    assert_ran(&Sipp::new("keepalive.xml", test.sip, CAMERA).run().await);
    assert_eq!(test.device(CAMERA).await.status(), pb::DeviceStatus::Online);
    assert_eq!(
        test.count("SELECT count(*) FROM outages WHERE ended_at IS NOT NULL")
            .await,
        1
    );
    test.advance(Duration::from_secs(200));
    test.health_round().await;
    let tickets = test.ticket_requests().await;
    assert_eq!(tickets.len(), 2, "a new outage, a new ticket");
    let keys: std::collections::HashSet<_> = tickets
        .iter()
        .map(|t| t.request.clone().unwrap().idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_device_registers_and_keeps_alive_over_tcp(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let run = Sipp::new("keepalive.xml", test.sip, CAMERA)
        .over(SipTransport::Tcp)
        .run()
        .await;
    assert_ran(&run);
    let device = test.device(CAMERA).await;
    assert_eq!(
        (device.status(), device.transport.as_str()),
        (pb::DeviceStatus::Online, "TCP")
    );
    assert!(device.last_keepalive_at.is_some());
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_three_packet_catalogue_with_one_resent_gives_each_channel_once(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    let nvr = "31011611001180000001";
    // Declared by hand, missing from the device's list: removed once the
    // list is complete.
    test.put_device(camera_request(nvr, "31011611001310000009"))
        .await;
    let run = Sipp::new("catalog_three_packets.xml", test.sip, nvr)
        .set("channel1", "31011611001310000001")
        .set("channel2", "31011611001310000002")
        .set("channel3", "31011611001310000003")
        .run()
        .await;
    assert_ran(&run);
    let syncs = test.syncs(nvr).await;
    assert_eq!(syncs.len(), 1, "one query, one sync: {syncs:?}");
    let sync = &syncs[0];
    assert_eq!(sync.state(), pb::SyncState::Complete);
    assert_eq!((sync.sum_num, sync.received, sync.removed), (3, 3, 1));
    let device = test.device(nvr).await;
    let channels: Vec<_> = device
        .channels
        .iter()
        .map(|c| {
            (
                c.channel_id.as_str(),
                c.grid_code.as_str(),
                c.manufacturer.as_str(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [
            ("31011611001310000001", "V1-A1-M01", "Hikvision"),
            ("31011611001310000002", "V1-A1-M02", "Hikvision"),
            ("31011611001310000003", "V2-A1-M01", "Hikvision"),
        ]
    );
    assert_eq!(
        test.count("SELECT count(*) FROM catalog_sync_items").await,
        3
    );
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'video.catalog.synced'")
            .await,
        1
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn an_alarm_is_answered_and_one_without_alarm_time_is_kept_with_the_reason(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let run = Sipp::new("alarm.xml", test.sip, CAMERA)
        .set("channel1", CHANNEL)
        .run()
        .await;
    assert_ran(&run);
    let alarms = test.alarms(CAMERA).await;
    assert_eq!(alarms.len(), 2);
    let usable = alarms.iter().find(|a| a.sn == 101).unwrap();
    assert!(usable.usable, "{usable:?}");
    assert_eq!(
        (usable.channel_id.as_str(), usable.priority, usable.method),
        (CHANNEL, 1, 5)
    );
    assert_eq!(
        usable.alarm_time.as_ref().unwrap().seconds % 86400,
        3600 + 5 * 60,
        "09:05 in Shanghai is 01:05 UTC"
    );
    let unusable = alarms.iter().find(|a| a.sn == 102).unwrap();
    assert!(!unusable.usable);
    assert_eq!(unusable.reason, "AlarmTime is missing");
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'video.alarm.received'")
            .await,
        2
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn online_rate_per_owner_and_grid_counts_camera_time_online_from_the_status_history(
    pool: PgPool,
) {
    const ENTERPRISE: &str = "31011611001320000003";
    const ENTERPRISE_CHANNEL: &str = "31011611001310000003";
    let test = TestVideo::spawn(pool).await;
    let t0 = fixtures::start_time(); // 09:00 in the town, on the hour
    // The town's camera and an enterprise's, in the same micro-grid.
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let mut enterprise = camera_request(ENTERPRISE, ENTERPRISE_CHANNEL);
    enterprise.owner = Some(pb::Owner {
        kind: pb::OwnerKind::Enterprise.into(),
        code: "E-HUAXIN".into(),
        name: "华新化工".into(),
    });
    test.put_device(enterprise).await;
    // The town's camera: online at 09:00, silent past its deadline (180 s),
    // offline at 09:03:20, back at 09:30, online until 10:00. The
    // enterprise's never registers.
    assert_ran(&Sipp::new("keepalive.xml", test.sip, CAMERA).run().await);
    test.advance(Duration::from_secs(200));
    test.health_round().await;
    assert_eq!(
        test.device(CAMERA).await.status(),
        pb::DeviceStatus::Offline
    );
    test.advance(Duration::from_secs(1600));
    assert_ran(&Sipp::new("keepalive.xml", test.sip, CAMERA).run().await);
    test.advance(Duration::from_secs(1800));

    let ask = |group_by: pb::RateGrouping| pb::SummariseOnlineRateRequest {
        from: Some(platform::time::timestamp(t0 - chrono::TimeDelta::hours(1))),
        to: None,
        bucket: pb::RateBucket::Hour.into(),
        group_by: group_by.into(),
    };
    let by_owner = test
        .town()
        .summarise_online_rate(ask(pb::RateGrouping::Owner))
        .await
        .unwrap()
        .into_inner();
    // Two hourly buckets (08:00 and 09:00) × two owners.
    let rate = |rates: &[pb::OnlineRate], key: &str, hour: i64| {
        let start = platform::time::timestamp(t0 + chrono::TimeDelta::hours(hour));
        rates
            .iter()
            .find(|r| r.key == key && r.bucket_start.as_ref() == Some(&start))
            .cloned()
            .unwrap_or_else(|| panic!("no rate of {key} at hour {hour}: {rates:?}"))
    };
    assert_eq!(by_owner.rates.len(), 4, "{:?}", by_owner.rates);
    let before = rate(&by_owner.rates, "TOWN", -1);
    assert!(!before.has_rate, "no history before the devices were put");
    let town = rate(&by_owner.rates, "TOWN", 0);
    // Online 09:00–09:03:20 and 09:30–10:00: 2,000 of 3,600 s.
    assert!(town.has_rate);
    assert!((town.rate - 2000.0 / 3600.0).abs() < 1e-9, "{town:?}");
    assert_eq!(town.cameras, 1);
    let huaxin = rate(&by_owner.rates, "E-HUAXIN", 0);
    assert_eq!((huaxin.has_rate, huaxin.rate), (true, 0.0));
    assert_eq!(huaxin.name, "华新化工");
    let total = by_owner.totals.iter().find(|r| r.key == "TOWN").unwrap();
    assert!((total.rate - 2000.0 / 3600.0).abs() < 1e-9, "{total:?}");

    let by_grid = test
        .town()
        .summarise_online_rate(ask(pb::RateGrouping::Grid))
        .await
        .unwrap()
        .into_inner();
    let grid = rate(&by_grid.rates, "V1-A1-M01", 0);
    // Both cameras' time: 2,000 of 7,200 camera-seconds online.
    assert_eq!(grid.cameras, 2);
    assert!((grid.rate - 2000.0 / 7200.0).abs() < 1e-9, "{grid:?}");
    assert!((grid.known_camera_hours - 2.0).abs() < 1e-9);

    let refused = test
        .town()
        .summarise_online_rate(pb::SummariseOnlineRateRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    for field in ["from", "bucket", "group_by"] {
        assert!(refused.message().contains(field), "{refused:?}");
    }
    test.cleanup().await;
}
