//! Footage applications (依申请公开) from the mini-program, and their
//! review in the console, over HTTP only: video ingest checks and keeps
//! them, a resident sees their own only, the review is the town centre's.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use video_ingest::testing::camera_request;

use crate::helpers::TestEdge;

const CAMERA: &str = "31011611001320000021";
const CHANNEL: &str = "31011611001310000021";

/// An application for the camera of the tests, for a window before video
/// ingest's clock (2026-03-02T01:00Z).
fn application(channel: &str) -> Value {
    json!({
        "applicant": {"name": "王小明", "id_number": "310116199001011234", "phone": "13812345678"},
        "channel_ids": [channel],
        "starts_at": "2026-03-02T08:20:00+08:00",
        "ends_at": "2026-03-02T08:40:00+08:00",
        "purpose": "vehicle_scrape",
        "dispute_ticket": "LX-2026-000123",
    })
}

#[sqlx::test(migrations = false)]
async fn edge_footage_a_resident_applies_sees_only_their_own_and_the_town_reviews_in_the_console(
    pool: PgPool,
) {
    let test = TestEdge::spawn(pool).await;
    test.video.put_device(camera_request(CAMERA, CHANNEL)).await;
    let token = test.register("wang-xiaoming", "13812345678").await;
    let other = test.register("li-si", "13900001111").await;

    // Bad input is refused by field: the edge's own checks, then video
    // ingest's, carried through.
    let mut bad = application(CHANNEL);
    bad["starts_at"] = json!("yesterday");
    bad["channel_ids"] = json!([]);
    let refused = test
        .post("/api/v1/footage-applications", Some(&token), bad)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(refused.fields(), ["channel_ids", "starts_at"]);
    let mut unknown = application("31011611001310000099");
    unknown["applicant"]["id_number"] = json!("12345");
    let refused = test
        .post("/api/v1/footage-applications", Some(&token), unknown)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    let mut fields = refused.fields();
    fields.sort();
    assert!(
        fields.contains(&"applicant.id_number".to_owned()),
        "{fields:?}"
    );
    let no_session = test
        .post("/api/v1/footage-applications", None, application(CHANNEL))
        .await;
    assert_eq!(no_session.status, StatusCode::UNAUTHORIZED);

    // Applied: registered, the applicant masked.
    let applied = test
        .post(
            "/api/v1/footage-applications",
            Some(&token),
            application(CHANNEL),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.text);
    assert_eq!(applied.body["state"], "submitted");
    assert_eq!(applied.body["purpose"], "vehicle_scrape");
    assert_eq!(applied.body["applicant"]["id_number"], "310116********1234");
    assert_eq!(applied.body["applicant"]["phone"], "138****5678");
    let number = applied.body["number"].as_str().unwrap().to_owned();

    // Their own, and no one else's.
    let mine = test.get("/api/v1/footage-applications", Some(&token)).await;
    assert_eq!(
        mine.body["applications"][0]["number"],
        number.as_str(),
        "{}",
        mine.text
    );
    let theirs = test.get("/api/v1/footage-applications", Some(&other)).await;
    assert_eq!(theirs.body["applications"], json!([]), "{}", theirs.text);
    let peek = test
        .get(
            &format!("/api/v1/footage-applications/{number}"),
            Some(&other),
        )
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND, "{}", peek.text);

    // The review in the console: a village's workstation lists but may
    // not review; the town centre approves a redacted copy.
    let village = test.staff("workstation_staff", "V1").await;
    let desk = test.staff("town_operator", "").await;
    let waiting = test.get_console(&desk, "/console/api/disclosures").await;
    assert_eq!(waiting.status, StatusCode::OK, "{}", waiting.text);
    let numbers: Vec<&str> = waiting.body["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["number"].as_str())
        .collect();
    assert_eq!(numbers, [number.as_str()]);
    assert_eq!(
        waiting.body["applications"][0]["applicant"]["id_number"], "310116********1234",
        "the list is masked"
    );

    // The applicant's identity, whole, only for the review (the town
    // centre, the police) and only on asking, each read on the access log.
    let identity = |cookie: &str| {
        test.send(test.console(
            Method::POST,
            &format!("/console/api/disclosures/{number}/identity"),
            cookie,
        ))
    };
    let refused = identity(&village).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(
        !refused.text.contains("王小明") && !refused.text.contains("1990"),
        "{}",
        refused.text
    );
    let unmarked = test
        .send(
            test.request(
                Method::POST,
                &format!("/console/api/disclosures/{number}/identity"),
                None,
            )
            .header(reqwest::header::COOKIE, &desk),
        )
        .await;
    assert_eq!(
        unmarked.status,
        StatusCode::FORBIDDEN,
        "a read from another site's form: {}",
        unmarked.text
    );
    let police = test.staff("police", "").await;
    for reviewer in [&desk, &police] {
        let read = identity(reviewer).await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.text);
        assert_eq!(
            read.body["applicant"],
            json!({"name": "王小明", "id_number": "310116199001011234", "phone": "13812345678"})
        );
        assert_eq!(read.headers["cache-control"], "no-store");
    }
    let reads: Vec<(String, String)> = test
        .video
        .custody_log()
        .await
        .into_iter()
        .filter(|e| e.action == "IDENTITY_READ")
        .map(|e| (e.actor_role, e.application_id))
        .collect();
    let id = applied.body["id"].as_str().unwrap();
    assert_eq!(
        reads,
        [
            ("town_operator".to_owned(), id.to_owned()),
            ("police".to_owned(), id.to_owned())
        ],
        "each read for the review is on the access log, the refused one is not"
    );
    let again = test.get_console(&desk, "/console/api/disclosures").await;
    assert_eq!(
        again.body["applications"][0]["applicant"]["phone"], "138****5678",
        "the list stays masked"
    );
    let review = |cookie: &str, body: Value| {
        test.send(
            test.console(
                Method::POST,
                &format!("/console/api/disclosures/{number}/review"),
                cookie,
            )
            .json(&body),
        )
    };
    let refused = review(&village, json!({"approve": "copy"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let unclear = review(&desk, json!({"approve": "everything"})).await;
    assert_eq!(unclear.fields(), ["approve"]);
    let approved = review(&desk, json!({"approve": "copy"})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.body["state"], "approved");
    let seen = test
        .get(
            &format!("/api/v1/footage-applications/{number}"),
            Some(&token),
        )
        .await;
    assert_eq!(
        (seen.body["state"].clone(), seen.body["decision"].clone()),
        (json!("approved"), json!("copy")),
        "{}",
        seen.text
    );
    assert!(seen.body["valid_until"].is_string());
    test.cleanup().await;
}
