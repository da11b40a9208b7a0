//! Bad input on every endpoint is refused in one JSON shape naming the
//! field; a photo too large or not an image is refused before it is
//! stored.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestEdge, png};

/// Asserts that `answer` is a 400 naming every one of `fields`.
fn names(answer: &crate::helpers::Answer, what: &str, fields: &[&str]) {
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "{what}: {}",
        answer.text
    );
    assert_eq!(answer.body["error"]["code"], "invalid_argument", "{what}");
    let named = answer.fields();
    for field in fields {
        assert!(
            named.iter().any(|n| n == field),
            "{what}: {field} in {named:?}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn edge_bad_input_on_each_endpoint_is_a_json_error_naming_the_field(pool: PgPool) {
    let test = TestEdge::spawn(pool).await;
    let token = test.register("li-si", "13900001111").await;
    let t = Some(token.as_str());

    let cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        ("/api/v1/sessions", "no code", json!({}), vec!["login_code"]),
        (
            "/api/v1/sessions",
            "a code WeChat refuses",
            json!({"login_code": "081xYz"}),
            vec!["login_code"],
        ),
        (
            "/api/v1/residents",
            "an empty registration",
            json!({"login_code": "local:w", "name": "", "phone": "110", "village_code": ""}),
            vec!["name", "phone", "village_code"],
        ),
        (
            "/api/v1/reports",
            "a report of the wrong type",
            json!({"category_code": "SANITATION", "severity": "high", "text": "x", "location": {"lat": 30.0, "lng": 121.0}}),
            vec!["severity"],
        ),
        (
            "/api/v1/reports",
            "a report without a place",
            json!({"category_code": "SANITATION", "severity": 1, "text": "x"}),
            vec!["location"],
        ),
        (
            "/api/v1/reports",
            "a report points refuses",
            json!({"category_code": "ASTROLOGY", "severity": 9, "text": "", "location": {"lat": 30.02, "lng": 121.02}}),
            vec!["severity", "text", "category_code"],
        ),
        (
            "/api/v1/reports",
            "a photo not uploaded",
            json!({"category_code": "SANITATION", "severity": 1, "text": "x", "location": {"lat": 30.02, "lng": 121.02},
                   "photos": ["nope", "ab".repeat(32)]}),
            vec!["photos[0]"],
        ),
        (
            "/api/v1/reports",
            "a NUL character in a report (PostgreSQL stores none: it was a 500)",
            json!({"category_code": "SANITATION\0", "severity": 1, "text": "x", "location": {"lat": 30.02, "lng": 121.02}}),
            vec!["category_code"],
        ),
        (
            "/api/v1/residents",
            "a phone with spaces around it, which the document's pattern refuses",
            json!({"login_code": "local:w", "name": "张三", "phone": " 13900001112 ", "village_code": "LX-V02"}),
            vec!["phone"],
        ),
        (
            "/api/v1/orders",
            "an order of nothing",
            json!({"item_code": " "}),
            vec!["item_code"],
        ),
        (
            "/api/v1/orders",
            "an order of an unknown item",
            json!({}),
            vec!["item_code"],
        ),
    ];
    for (path, what, body, fields) in cases {
        let answer = test.post(path, t, body).await;
        names(&answer, what, &fields);
    }

    let unknown = test
        .post(
            "/api/v1/reports",
            t,
            json!({"category_code": "SANITATION", "severity": 1, "text": "x", "location": {"lat": 30.02, "lng": 121.02},
                   "photos": ["ab".repeat(32)]}),
        )
        .await;
    names(&unknown, "a photo never uploaded", &["photos[0]"]);
    let keyless = test
        .send(
            test.request(Method::POST, "/api/v1/reports", t)
                .json(&json!({"category_code": "SANITATION"})),
        )
        .await;
    names(&keyless, "no idempotency key", &["Idempotency-Key"]);
    let not_json = test
        .send(
            test.request(Method::POST, "/api/v1/sessions", None)
                .header("content-type", "text/plain")
                .body("login_code=local:x"),
        )
        .await;
    names(&not_json, "a body that is not JSON", &["Content-Type"]);
    let broken = test
        .send(
            test.request(Method::POST, "/api/v1/sessions", None)
                .header("content-type", "application/json")
                .body("{\"login_code\": "),
        )
        .await;
    names(&broken, "broken JSON", &["body"]);
    let not_multipart = test
        .send(
            test.request(Method::POST, "/api/v1/photos", t)
                .header("content-type", "image/png")
                .body(png(100)),
        )
        .await;
    names(&not_multipart, "a photo not in a form", &["Content-Type"]);
    names(
        &test.get("/api/v1/reports?page_size=many", t).await,
        "a page size that is no number",
        &["page_size"],
    );
    for size in ["0", "101"] {
        names(
            &test
                .get(&format!("/api/v1/reports?page_size={size}"), t)
                .await,
            "a page size outside the document's 1-100",
            &["page_size"],
        );
    }
    let blank_key = test
        .send(
            test.request(Method::POST, "/api/v1/reports", t)
                .header("idempotency-key", "a key")
                .json(&json!({"category_code": "SANITATION"})),
        )
        .await;
    names(
        &blank_key,
        "an idempotency key with a space",
        &["Idempotency-Key"],
    );
    let extra_part = test
        .send(
            test.request(Method::POST, "/api/v1/photos", t).multipart(
                reqwest::multipart::Form::new()
                    .text("caption", "路灯")
                    .part(
                        "photo",
                        reqwest::multipart::Part::bytes(png(100)).file_name("p.png"),
                    ),
            ),
        )
        .await;
    names(&extra_part, "a part besides the photo", &["caption"]);
    names(
        &test.get("/api/v1/reports?page_token=forged", t).await,
        "a forged page token",
        &["page_token"],
    );
    names(
        &test.get("/api/v1/reports/not-a-report", t).await,
        "a report id that is no id",
        &["id"],
    );

    // Without a session every resident endpoint is 401, in the same shape.
    for path in [
        "/api/v1/me",
        "/api/v1/reports",
        "/api/v1/balance",
        "/api/v1/statement",
        "/api/v1/catalogue",
        "/api/v1/categories",
    ] {
        let answer = test.get(path, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.body["error"]["code"], "unauthenticated", "{path}");
    }
    let staff = platform::testing::token("op", platform::auth::Role::TownOperator, None);
    let answer = test.get("/api/v1/balance", Some(&staff)).await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "staff use the console"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn edge_an_oversized_or_wrong_type_photo_is_refused_before_it_is_stored(pool: PgPool) {
    let test = TestEdge::spawn_with(pool, &[("PHOTOS__MAX_BYTES", "4096".into())]).await;
    let token = test.register("wang-wu", "13700002222").await;

    let oversized = test.upload(&token, png(64 * 1024)).await;
    names(&oversized, "an oversized photo", &["photo"]);
    let gif = test
        .upload(&token, b"GIF89a\x01\x00\x01\x00".to_vec())
        .await;
    names(&gif, "a GIF", &["photo"]);
    let script = test
        .upload(
            &token,
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        )
        .await;
    names(&script, "an SVG", &["photo"]);
    let empty = test.upload(&token, Vec::new()).await;
    names(&empty, "an empty file", &["photo"]);
    assert_eq!(test.stored_photos(), 0, "nothing refused was stored");

    let fits = test.upload(&token, png(4096)).await;
    assert_eq!(fits.status, StatusCode::CREATED, "{}", fits.text);
    assert_eq!(test.stored_photos(), 1);
    let again = test.upload(&token, png(4096)).await;
    assert_eq!(again.body["sha256"], fits.body["sha256"]);
    assert_eq!(test.stored_photos(), 1, "the same picture is one object");

    let too_many: Vec<String> = (0..10).map(|i| format!("{i:064x}")).collect();
    let answer = test
        .post(
            "/api/v1/reports",
            Some(&token),
            json!({"category_code": "SANITATION", "severity": 1, "text": "x",
                   "location": {"lat": 30.02, "lng": 121.02}, "photos": too_many}),
        )
        .await;
    names(&answer, "ten photos", &["photos"]);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn edge_a_resident_over_the_rate_limit_is_told_to_wait_in_the_error_shape(pool: PgPool) {
    let test = TestEdge::spawn_with(
        pool,
        &[
            ("LIMITS__PER_RESIDENT_PER_MINUTE", "3".into()),
            ("LIMITS__UPLOADS_PER_RESIDENT_PER_MINUTE", "1".into()),
        ],
    )
    .await;
    let token = test.register("zhao-liu", "13600003333").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(test.get("/api/v1/balance", Some(&token)).await);
    }
    let limited = statuses.last().unwrap();
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(limited.body["error"]["code"], "rate_limited");
    assert!(statuses[..3].iter().all(|a| a.status == StatusCode::OK));
    // Another resident is not held up by the first.
    let other = test.register("sun-qi", "13600004444").await;
    assert_eq!(
        test.get("/api/v1/balance", Some(&other)).await.status,
        StatusCode::OK
    );
    let first = test.upload(&other, png(100)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = test.upload(&other, png(200)).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(test.stored_photos(), 1, "a refused upload stores nothing");
    test.cleanup().await;
}
