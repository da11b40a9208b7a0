//! Evidence: clips recorded with the SHA-256 of each file, verified online
//! and offline (an altered file and an edited log entry each named), legal
//! holds the retention purge never touches, and a face camera's footage
//! read by the police only.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use platform::auth::Role;
use proto::video::v1 as pb;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use tonic::Code;
use video_ingest::testing::*;

const CAMERA: &str = "31011611001320000011";
const CHANNEL: &str = "31011611001310000011";
const FACE_CAMERA: &str = "31011611001320000012";
const FACE_CHANNEL: &str = "31011611001310000012";

/// Returns the fields a refusal names.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    platform::error::field_violations(status)
        .into_iter()
        .map(|v| v.field)
        .collect()
}

fn t0() -> DateTime<Utc> {
    fixtures::start_time()
}

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (t0() - TimeDelta::minutes(30), t0() - TimeDelta::minutes(25))
}

#[sqlx::test(migrations = false)]
async fn video_evidence_a_clip_whose_file_was_altered_is_found_by_verify(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let (starts, ends) = window();
    let clip = test
        .record_clip(
            CHANNEL,
            starts,
            ends,
            &[("0001.mp4", b"segment one"), ("0002.mp4", b"segment two")],
        )
        .await;
    assert_eq!(clip.files.len(), 2);
    assert_eq!(
        clip.files[1].sha256,
        hex::encode(Sha256::digest(b"segment two")),
        "the service hashes each file itself"
    );
    let intact = test.verify_offline(None).await;
    assert!(intact.intact(), "{intact:?}");

    // Someone with access to the store rewrites the second segment.
    let path = test.evidence_dir().join(&clip.files[1].object_key);
    std::fs::write(&path, b"segment 2 (edited)").unwrap();

    let offline = test.verify_offline(Some(&clip.clip_id)).await;
    assert!(offline.chain.broken.is_none(), "the log itself holds");
    let problem = offline.clips[0]
        .problem
        .clone()
        .expect("the clip is broken");
    assert!(problem.contains("0002.mp4"), "{problem}");
    let online = test
        .town()
        .verify_evidence(pb::VerifyEvidenceRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(online.chain_intact);
    assert!(!online.clips[0].intact);
    assert_eq!(online.clips[0].problem, problem, "online and offline agree");

    // Nobody is handed the altered bytes.
    let read = test
        .client(Role::Police)
        .read_clip_file(pb::ReadClipFileRequest {
            clip_id: clip.clip_id.clone(),
            name: "0002.mp4".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(read.code(), Code::FailedPrecondition, "{read:?}");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_evidence_a_chain_with_an_edited_entry_is_found_by_verify(pool: PgPool) {
    let test = TestVideo::spawn(pool.clone()).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let (starts, ends) = window();
    let first = test
        .record_clip(CHANNEL, starts, ends, &[("0001.mp4", b"one")])
        .await;
    test.town()
        .hold_clip(pb::HoldClipRequest {
            idempotency_key: "hold-1".into(),
            clip_id: first.clip_id.clone(),
            reason: "交通事故 案号 2026-017".into(),
        })
        .await
        .unwrap();
    test.record_clip(CHANNEL, starts, ends, &[("0001.mp4", b"two")])
        .await;
    let log = test.custody_log().await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["RECORDED", "HELD", "RECORDED"]);
    assert!(test.verify_offline(None).await.intact());

    // The hold's reason is edited in the database afterwards.
    sqlx::query("UPDATE custody_log SET detail = 'no reason' WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    let report = test.verify_offline(None).await;
    let (seq, problem) = report.chain.broken.clone().expect("the chain is broken");
    assert_eq!(seq, 2, "{problem}");
    assert_eq!(report.chain.checked, 1);
    assert!(problem.contains("changed"), "{problem}");
    let online = test
        .town()
        .verify_evidence(pb::VerifyEvidenceRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(!online.chain_intact);
    assert_eq!(online.broken_seq, 2);

    // A clip's file list edited (its hash swapped) no longer matches the
    // manifest the log recorded.
    sqlx::query("UPDATE clip_files SET sha256 = sha256(sha256) WHERE clip_id = $1")
        .bind(uuid::Uuid::parse_str(&first.clip_id).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let report = test.verify_offline(Some(&first.clip_id)).await;
    let problem = report.clips[0]
        .problem
        .clone()
        .expect("the manifest is broken");
    assert!(problem.contains("custody log entry 1"), "{problem}");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_evidence_the_retention_purge_never_touches_a_held_clip(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let (starts, ends) = window();
    let held = test
        .record_clip(CHANNEL, starts, ends, &[("0001.mp4", b"held")])
        .await;
    let kept = test
        .record_clip(CHANNEL, starts, ends, &[("0001.mp4", b"not held")])
        .await;
    test.client(Role::Police)
        .hold_clip(pb::HoldClipRequest {
            idempotency_key: "hold".into(),
            clip_id: held.clip_id.clone(),
            reason: "刑事案件".into(),
        })
        .await
        .unwrap();
    assert_eq!(test.purge_round().await, 0, "nothing is past its retention");

    test.advance(Duration::from_secs(91 * 24 * 3600));
    assert_eq!(test.purge_round().await, 1);
    assert_eq!(test.purge_round().await, 0, "a purged clip is purged once");
    let dir = test.evidence_dir();
    assert!(
        dir.join(&held.files[0].object_key).exists(),
        "the held clip keeps its file"
    );
    assert!(!dir.join(&kept.files[0].object_key).exists());
    let purged = test
        .town()
        .get_clip(pb::GetClipRequest {
            clip_id: kept.clip_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .clip
        .unwrap();
    assert!(purged.purged_at.is_some());
    assert_eq!(purged.files.len(), 1, "the manifest stays");
    let log = test.custody_log().await;
    assert_eq!(log.last().unwrap().action, "PURGED");
    assert_eq!(log.last().unwrap().clip_id, kept.clip_id);
    assert!(
        test.verify_offline(None).await.intact(),
        "a purge breaks nothing"
    );

    // Released, the held clip is purged in its turn.
    test.client(Role::Police)
        .release_clip(pb::ReleaseClipRequest {
            idempotency_key: "release".into(),
            clip_id: held.clip_id.clone(),
            reason: "结案".into(),
        })
        .await
        .unwrap();
    assert_eq!(test.purge_round().await, 1);
    assert!(!dir.join(&held.files[0].object_key).exists());
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_evidence_a_face_cameras_footage_is_read_by_the_police_only(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    let mut face = camera_request(FACE_CAMERA, FACE_CHANNEL);
    face.channels[0].kind = pb::CameraKind::Face.into();
    test.put_device(face).await;
    let (starts, ends) = window();
    let clip = test
        .record_clip(FACE_CHANNEL, starts, ends, &[("0001.mp4", b"faces")])
        .await;
    assert!(clip.identifies);
    let read = |role| {
        let mut client = test.client(role);
        let id = clip.clip_id.clone();
        async move {
            client
                .read_clip_file(pb::ReadClipFileRequest {
                    clip_id: id,
                    name: "0001.mp4".into(),
                })
                .await
        }
    };
    let refused = read(Role::TownOperator).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("police"),
        "{}",
        refused.message()
    );
    let content = read(Role::Police).await.unwrap().into_inner().content;
    assert_eq!(content, b"faces");
    let log = test.custody_log().await;
    let steps: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.actor_role.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("RECORDED", "town_operator"),
            ("ACCESS_REFUSED", "town_operator"),
            ("READ", "police"),
        ]
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_evidence_a_clip_is_checked_before_anything_is_stored(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let (starts, ends) = window();
    let mut client = test.town();
    let refused = client
        .record_clip(pb::RecordClipRequest {
            idempotency_key: "bad".into(),
            channel_id: CHANNEL.into(),
            starts_at: Some(platform::time::timestamp(ends)),
            ends_at: Some(platform::time::timestamp(starts)),
            incident_id: String::new(),
            files: vec![pb::ClipFileUpload {
                name: "../escape.mp4".into(),
                content: b"x".to_vec(),
                sha256: "00".repeat(32),
                ..Default::default()
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let named = fields(&refused);
    assert!(named.contains(&"ends_at".to_owned()), "{named:?}");
    assert!(named.contains(&"files[0].name".to_owned()), "{named:?}");

    let mismatch = client
        .record_clip(pb::RecordClipRequest {
            idempotency_key: "mismatch".into(),
            channel_id: CHANNEL.into(),
            starts_at: Some(platform::time::timestamp(starts)),
            ends_at: Some(platform::time::timestamp(ends)),
            incident_id: String::new(),
            files: vec![pb::ClipFileUpload {
                name: "0001.mp4".into(),
                content: b"x".to_vec(),
                sha256: "00".repeat(32),
                ..Default::default()
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&mismatch), ["files[0].sha256"]);
    assert_eq!(test.count("SELECT count(*) FROM clips").await, 0);
    assert_eq!(test.count("SELECT count(*) FROM custody_log").await, 0);
    test.cleanup().await;
}
