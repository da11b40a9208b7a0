//! Disclosure on application (依申请公开): an application checked against
//! the cameras, their retention and the window; the applicant masked but
//! for the review; approved as a copy, issued, viewed, then refused after
//! its expiry, every step on the access log; faces and plates for the
//! police only; the statistics.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use platform::auth::Role;
use proto::video::v1 as pb;
use sqlx::PgPool;
use tonic::Code;
use video_ingest::testing::*;

use crate::evidence::fields;

const CAMERA: &str = "31011611001320000021";
const CHANNEL: &str = "31011611001310000021";
const PLATE_CAMERA: &str = "31011611001320000022";
const PLATE_CHANNEL: &str = "31011611001310000022";

fn t0() -> DateTime<Utc> {
    fixtures::start_time()
}

fn ts(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(platform::time::timestamp(at))
}

fn application(channel: &str, purpose: pb::Purpose) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        applicant: Some(pb::Applicant {
            name: "王小明".into(),
            id_number: "310116199001011234".into(),
            phone: "13812345678".into(),
        }),
        channel_ids: vec![channel.into()],
        starts_at: ts(t0() - TimeDelta::minutes(40)),
        ends_at: ts(t0() - TimeDelta::minutes(20)),
        purpose: purpose.into(),
        purpose_detail: String::new(),
        dispute_ticket: "LX-2026-000123".into(),
    }
}

async fn submit(test: &TestVideo, request: pb::SubmitApplicationRequest) -> pb::Application {
    submit_by(&test.client(Role::WorkstationStaff), request).await
}

async fn submit_by(client: &Client, request: pb::SubmitApplicationRequest) -> pb::Application {
    client
        .clone()
        .submit_application(request)
        .await
        .expect("the application is registered")
        .into_inner()
        .application
        .expect("an application")
}

async fn review(
    test: &TestVideo,
    number: &str,
    outcome: pb::review_application_request::Outcome,
) -> pb::Application {
    test.town()
        .review_application(pb::ReviewApplicationRequest {
            idempotency_key: format!("review-{number}"),
            application: number.into(),
            outcome: Some(outcome),
        })
        .await
        .expect("the application is reviewed")
        .into_inner()
        .application
        .expect("an application")
}

async fn view(
    test: &TestVideo,
    role: Role,
    number: &str,
) -> Result<pb::ViewFootageResponse, tonic::Status> {
    Ok(test
        .client(role)
        .view_footage(pb::ViewFootageRequest {
            application: number.into(),
        })
        .await?
        .into_inner())
}

async fn access_log(test: &TestVideo, number: &str) -> Vec<pb::CustodyEntry> {
    test.town()
        .list_custody_log(pb::ListCustodyLogRequest {
            application: number.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("the access log is listed")
        .into_inner()
        .entries
}

#[sqlx::test(migrations = false)]
async fn video_disclosure_approved_copied_then_viewed_after_expiry_is_refused_and_every_step_is_logged(
    pool: PgPool,
) {
    use pb::review_application_request::Outcome;
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let original = test
        .record_clip(
            CHANNEL,
            t0() - TimeDelta::minutes(30),
            t0() - TimeDelta::minutes(25),
            &[("0001.mp4", b"the scrape")],
        )
        .await;

    let submitted = submit(&test, application(CHANNEL, pb::Purpose::VehicleScrape)).await;
    let number = submitted.number.clone();
    assert!(number.starts_with("SQ-2026-"), "{number}");
    let shown = submitted.applicant.clone().unwrap();
    assert_eq!(
        (
            shown.name.as_str(),
            shown.id_number.as_str(),
            shown.phone.as_str()
        ),
        ("王*明", "310116********1234", "138****5678"),
        "masked everywhere but the review"
    );
    let not_review = test
        .client(Role::WorkstationStaff)
        .get_application(pb::GetApplicationRequest {
            application: number.clone(),
            for_review: true,
        })
        .await
        .unwrap_err();
    assert_eq!(not_review.code(), Code::PermissionDenied);
    let for_review = test
        .town()
        .get_application(pb::GetApplicationRequest {
            application: number.clone(),
            for_review: true,
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    assert_eq!(
        for_review.applicant.unwrap().id_number,
        "310116199001011234"
    );

    let approved = review(&test, &number, Outcome::Approve(pb::Decision::Copy.into())).await;
    assert_eq!(approved.state(), pb::ApplicationState::Approved);
    let before_issue = view(&test, Role::TownOperator, &number).await.unwrap_err();
    assert_eq!(
        before_issue.code(),
        Code::FailedPrecondition,
        "{before_issue:?}"
    );

    let issued = test
        .town()
        .issue_copy(pb::IssueCopyRequest {
            idempotency_key: "issue".into(),
            application: number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let copy = &issued.copies[0];
    assert_eq!(
        copy.source_clip_id, original.clip_id,
        "linked to the original"
    );
    assert_ne!(
        copy.files[0].object_key, original.files[0].object_key,
        "a new object"
    );
    assert_ne!(copy.manifest_sha256, original.manifest_sha256);
    assert!(
        test.evidence_dir().join(&copy.files[0].object_key).exists(),
        "the copy is an object of its own"
    );

    let seen = view(&test, Role::TownOperator, &number).await.unwrap();
    assert_eq!(seen.files[0].content, b"the scrape");
    assert_eq!(
        seen.files[0].file.as_ref().unwrap().sha256,
        copy.files[0].sha256
    );

    test.advance(Duration::from_secs(8 * 24 * 3600));
    let expired = view(&test, Role::TownOperator, &number).await.unwrap_err();
    assert_eq!(expired.code(), Code::FailedPrecondition);
    assert!(
        expired.message().contains("expired"),
        "{}",
        expired.message()
    );

    let log = access_log(&test, &number).await;
    let steps: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        steps,
        [
            "APPLIED",
            "IDENTITY_READ",
            "APPROVED",
            "ACCESS_REFUSED",
            "COPIED",
            "VIEWED",
            "ACCESS_REFUSED"
        ]
    );
    for entry in test.custody_log().await {
        for secret in ["王小明", "310116199001011234", "13812345678"] {
            assert!(!entry.detail.contains(secret), "{entry:?}");
            assert!(!entry.actor.contains(secret), "{entry:?}");
        }
    }
    let report = test.verify_offline(None).await;
    assert!(report.intact(), "the copy verifies too: {report:?}");

    let stats = test
        .town()
        .summarise_applications(pb::SummariseApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.total, 1);
    assert_eq!(stats.tallies[0].purpose(), pb::Purpose::VehicleScrape);
    assert_eq!(stats.tallies[0].decision(), pb::Decision::Copy);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_disclosure_an_application_is_checked_against_the_cameras_the_retention_and_the_window(
    pool: PgPool,
) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let mut request = application("31011611001310000099", pb::Purpose::Other);
    request.starts_at = ts(t0() - TimeDelta::days(120));
    request.ends_at = ts(t0() - TimeDelta::days(120) + TimeDelta::hours(1));
    let refused = test
        .client(Role::WorkstationStaff)
        .submit_application(request)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let mut named = fields(&refused);
    named.sort();
    assert_eq!(named, ["purpose_detail", "starts_at"]);
    let mut unknown = application("31011611001310000099", pb::Purpose::LostItem);
    unknown.channel_ids.push(CHANNEL.into());
    let refused = test
        .client(Role::WorkstationStaff)
        .submit_application(unknown)
        .await
        .unwrap_err();
    assert_eq!(fields(&refused), ["channel_ids[0]"], "{refused:?}");

    let mut future = application(CHANNEL, pb::Purpose::LostItem);
    future.ends_at = ts(t0() + TimeDelta::hours(1));
    future.applicant.as_mut().unwrap().id_number = "12345".into();
    let refused = test
        .client(Role::WorkstationStaff)
        .submit_application(future)
        .await
        .unwrap_err();
    let mut named = fields(&refused);
    named.sort();
    assert_eq!(named, ["applicant.id_number", "ends_at"]);
    assert_eq!(test.count("SELECT count(*) FROM applications").await, 0);

    // A refusal carries its reason and is on the log.
    let submitted = submit(&test, application(CHANNEL, pb::Purpose::LostItem)).await;
    let refused = review(
        &test,
        &submitted.number,
        pb::review_application_request::Outcome::Refuse("申请时段内无相关画面".into()),
    )
    .await;
    assert_eq!(refused.state(), pb::ApplicationState::Refused);
    assert_eq!(refused.refusal_reason, "申请时段内无相关画面");
    let log = access_log(&test, &submitted.number).await;
    assert_eq!(log.last().unwrap().action, "REFUSED");
    let again = view(&test, Role::TownOperator, &submitted.number)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_disclosure_a_non_police_role_is_refused_faces_and_plates(pool: PgPool) {
    use pb::review_application_request::Outcome;
    let test = TestVideo::spawn(pool).await;
    let mut plate = camera_request(PLATE_CAMERA, PLATE_CHANNEL);
    plate.channels[0].kind = pb::CameraKind::Plate.into();
    test.put_device(plate).await;
    test.record_clip(
        PLATE_CHANNEL,
        t0() - TimeDelta::minutes(30),
        t0() - TimeDelta::minutes(25),
        &[("0001.mp4", b"plates")],
    )
    .await;

    let viewing = submit(
        &test,
        application(PLATE_CHANNEL, pb::Purpose::VehicleScrape),
    )
    .await;
    review(
        &test,
        &viewing.number,
        Outcome::Approve(pb::Decision::Viewing.into()),
    )
    .await;
    let refused = view(&test, Role::TownOperator, &viewing.number)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("police"),
        "{}",
        refused.message()
    );
    let seen = view(&test, Role::Police, &viewing.number).await.unwrap();
    assert_eq!(
        seen.clips.len(),
        1,
        "the police station supervises the viewing"
    );
    let steps: Vec<(String, String)> = access_log(&test, &viewing.number)
        .await
        .into_iter()
        .map(|e| (e.action, e.actor_role))
        .collect();
    assert_eq!(
        steps[2..],
        [
            ("ACCESS_REFUSED".to_owned(), "town_operator".to_owned()),
            ("VIEWED".to_owned(), "police".to_owned())
        ]
    );

    let copy = submit(
        &test,
        application(PLATE_CHANNEL, pb::Purpose::VehicleScrape),
    )
    .await;
    review(
        &test,
        &copy.number,
        Outcome::Approve(pb::Decision::Copy.into()),
    )
    .await;
    let not_copied = test
        .town()
        .issue_copy(pb::IssueCopyRequest {
            idempotency_key: "issue-plates".into(),
            application: copy.number.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(not_copied.code(), Code::FailedPrecondition);
    assert!(
        not_copied.message().contains("plate"),
        "{}",
        not_copied.message()
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_disclosure_a_resident_applies_and_sees_only_their_own_applications(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let mine = test.client_of(Role::Resident, "resident-a");
    let theirs = test.client_of(Role::Resident, "resident-b");
    let submit_as = |mut client: Client| async move {
        client
            .submit_application(application(CHANNEL, pb::Purpose::VehicleScrape))
            .await
            .expect("a resident applies")
            .into_inner()
            .application
            .expect("an application")
    };
    let own = submit_as(mine.clone()).await;
    let other = submit_as(theirs).await;
    let desk = submit(&test, application(CHANNEL, pb::Purpose::LostItem)).await;
    assert_eq!(
        own.applicant.as_ref().unwrap().id_number,
        "310116********1234",
        "masked in the resident's answer too"
    );

    let listed: Vec<String> = mine
        .clone()
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .applications
        .into_iter()
        .map(|a| a.number)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&own.number), "only their own");
    let all = test
        .town()
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert_eq!(all.len(), 3, "the desk lists every one");
    let get = |number: &str, for_review: bool| {
        let mut client = mine.clone();
        let request = pb::GetApplicationRequest {
            application: number.into(),
            for_review,
        };
        async move { client.get_application(request).await }
    };
    assert_eq!(
        get(&own.number, false)
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap()
            .number,
        own.number
    );
    for number in [&other.number, &desk.number] {
        let refused = get(number, false).await.unwrap_err();
        assert_eq!(refused.code(), Code::NotFound, "another's is not found");
    }
    let review = get(&own.number, true).await.unwrap_err();
    assert_eq!(review.code(), Code::PermissionDenied, "no review read");
    let refused = mine
        .clone()
        .review_application(pb::ReviewApplicationRequest {
            idempotency_key: "self-approval".into(),
            application: own.number.clone(),
            outcome: Some(pb::review_application_request::Outcome::Approve(
                pb::Decision::Copy.into(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    test.cleanup().await;
}

/// The application numbers `client` lists, page by page of `page_size`;
/// and how many pages it took.
async fn list_all(client: &Client, page_size: u32) -> (Vec<String>, usize) {
    let (mut numbers, mut pages, mut token) = (Vec::new(), 0, String::new());
    loop {
        let page = client
            .clone()
            .list_applications(pb::ListApplicationsRequest {
                page_size,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("a page of applications")
            .into_inner();
        pages += 1;
        numbers.extend(page.applications.into_iter().map(|a| a.number));
        if page.next_page_token.is_empty() {
            return (numbers, pages);
        }
        token = page.next_page_token;
    }
}

#[sqlx::test(migrations = false)]
async fn video_disclosure_applications_are_listed_in_pages_each_once_newest_first(pool: PgPool) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let mut submitted = Vec::new();
    for _ in 0..7 {
        submitted.push(
            submit(&test, application(CHANNEL, pb::Purpose::LostItem))
                .await
                .number,
        );
        // Distinct submission times, so newest first is one order.
        test.advance(Duration::from_secs(1));
    }
    let (listed, pages) = list_all(&test.town(), 3).await;
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first, "every application once, newest first");
    assert_eq!(pages, 3, "pages of 3, 3 and 1");
    let (one_page, pages) = list_all(&test.town(), 0).await;
    assert_eq!(
        (one_page.len(), pages),
        (7, 1),
        "the default page holds them"
    );
    // Seven in pages of seven: the full page names a next one, which is
    // empty and the last.
    let (exact, pages) = list_all(&test.town(), 7).await;
    assert_eq!((exact.len(), pages), (7, 2));

    for token in ["nonsense", "1764633600123456_not-a-uuid", "x_y_z"] {
        let refused = test
            .town()
            .list_applications(pb::ListApplicationsRequest {
                page_token: token.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{token:?}");
        assert_eq!(fields(&refused), ["page_token"]);
    }
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_disclosure_a_village_workstation_lists_and_reads_its_villages_applications_only(
    pool: PgPool,
) {
    const EAST_CAMERA: &str = "31011611001320000023";
    const EAST_CHANNEL: &str = "31011611001310000023";
    let test = TestVideo::spawn(pool).await;
    // CHANNEL lies in V1 (micro-grid V1-A1-M01), EAST_CHANNEL in V2.
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let mut east = camera_request(EAST_CAMERA, EAST_CHANNEL);
    east.channels[0].location = Some(pb::LatLng {
        lat: 30.01,
        lng: 121.06,
    });
    let east = test.put_device(east).await;
    assert_eq!(east.channels[0].village_code, "V2");

    let west_desk = test.client_scoped(Role::WorkstationStaff, "staff-v1", "V1");
    let east_desk = test.client_scoped(Role::WorkstationStaff, "staff-v2", "V2");
    let by = |client: &Client, request| {
        let client = client.clone();
        async move { submit_by(&client, request).await.number }
    };
    let west = by(&west_desk, application(CHANNEL, pb::Purpose::LostItem)).await;
    test.advance(Duration::from_secs(1));
    let eastern = by(
        &east_desk,
        application(EAST_CHANNEL, pb::Purpose::StrawBurning),
    )
    .await;
    test.advance(Duration::from_secs(1));
    // A villager of V2 applies at V2's workstation for a camera in V1: both
    // workstations follow it (V1's camera, V2's desk).
    let crossing = by(&east_desk, application(CHANNEL, pb::Purpose::VehicleScrape)).await;
    test.advance(Duration::from_secs(1));
    let both = {
        let mut request = application(CHANNEL, pb::Purpose::IllegalDumping);
        request.channel_ids.push(EAST_CHANNEL.into());
        by(&test.town(), request).await
    };

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let lists = |client: Client| async move { sorted(list_all(&client, 2).await.0) };
    assert_eq!(
        lists(west_desk.clone()).await,
        sorted(vec![west.clone(), crossing.clone(), both.clone()]),
        "V1's workstation: applications naming a V1 camera"
    );
    assert_eq!(
        lists(east_desk.clone()).await,
        sorted(vec![eastern.clone(), crossing.clone(), both.clone()]),
        "V2's workstation: V2's cameras, and what it registered"
    );
    let micro_grid = test.client_scoped(Role::WorkstationStaff, "staff-m01", "V1-A1-M01");
    assert_eq!(
        lists(micro_grid).await,
        sorted(vec![west.clone(), crossing.clone(), both.clone()]),
        "a micro-grid's workstation: its cameras"
    );
    let everything = sorted(vec![
        west.clone(),
        eastern.clone(),
        crossing.clone(),
        both.clone(),
    ]);
    for role in [Role::TownOperator, Role::Police] {
        assert_eq!(
            lists(test.client(role)).await,
            everything,
            "{role} sees all"
        );
    }

    let get = |client: &Client, number: &str| {
        let mut client = client.clone();
        let request = pb::GetApplicationRequest {
            application: number.into(),
            for_review: false,
        };
        async move { client.get_application(request).await }
    };
    assert!(get(&west_desk, &west).await.is_ok());
    assert!(get(&west_desk, &both).await.is_ok());
    let refused = get(&west_desk, &eastern).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::NotFound,
        "another village's is not found"
    );
    let refused = get(&east_desk, &west).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    assert!(get(&test.client(Role::Police), &eastern).await.is_ok());

    // A workstation's token without its village follows nothing.
    let unscoped = test.client_of(Role::WorkstationStaff, "staff-nowhere");
    let refused = unscoped
        .clone()
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("scope"), "{refused:?}");
    assert_eq!(
        get(&unscoped, &west).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    test.cleanup().await;
}
