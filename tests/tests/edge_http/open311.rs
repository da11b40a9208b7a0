//! Open311 GeoReport v2: the service list from dispatch's categories,
//! definitions, requests posted form-encoded with an API key and read back
//! in JSON and XML.

use proto::dispatch::v1 as dispatch;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{API_KEY, TestEdge};

/// A GeoReport request for a blocked drain in the test village.
fn drain(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("jurisdiction_id", "langxia.jinshan.sh.cn"),
        ("service_code", "DRAINAGE"),
        ("lat", "30.02"),
        ("long", "121.02"),
        ("description", "路边排水沟堵塞，雨天积水"),
        ("attribute[difficult]", "false"),
    ]
}

/// Returns the text of the first `name` element under `node`.
fn text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.descendants()
        .find(|n| n.has_tag_name(name))
        .and_then(|n| n.text())
}

#[sqlx::test(migrations = false)]
async fn edge_an_open311_request_posted_twice_is_one_ticket_read_in_json_and_xml(pool: PgPool) {
    let test = TestEdge::spawn(pool).await;

    let services = test.get("/open311/v2/services.json", None).await;
    assert_eq!(services.status, StatusCode::OK, "{}", services.text);
    let codes: Vec<&str> = services
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["service_code"].as_str())
        .collect();
    assert!(
        codes.contains(&"DRAINAGE") && codes.contains(&"SANITATION"),
        "{codes:?}"
    );
    let definition = test.get("/open311/v2/services/DRAINAGE.xml", None).await;
    let doc = roxmltree::Document::parse(&definition.text).expect("XML");
    assert_eq!(doc.root_element().tag_name().name(), "service_definition");
    assert_eq!(text(doc.root_element(), "code"), Some("difficult"));

    let first = test
        .post_form("/open311/v2/requests.json", &drain(API_KEY))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let id = first.body[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = test
        .post_form("/open311/v2/requests.json", &drain(API_KEY))
        .await;
    assert_eq!(
        second.body[0]["service_request_id"],
        id.as_str(),
        "the same request is one ticket"
    );
    let open311 = test
        .dispatch
        .at_desk()
        .await
        .list(dispatch::ListTicketsRequest {
            channels: vec![dispatch::Channel::Open311.into()],
            ..Default::default()
        })
        .await;
    assert_eq!(open311.len(), 1);
    assert_eq!(open311[0].number, id);

    let keyless = test.post_form("/open311/v2/requests.xml", &drain("")).await;
    assert_eq!(keyless.status, StatusCode::FORBIDDEN);
    let doc = roxmltree::Document::parse(&keyless.text).expect("an XML error");
    assert!(
        text(doc.root_element(), "description")
            .unwrap()
            .starts_with("api_key:")
    );
    let wrong = test
        .post_form("/open311/v2/requests.json", &drain("guessed"))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A form refused with a 400 whose GeoReport error names `field`: an
    // unknown service, and a NUL (PostgreSQL stores none; it was an
    // internal error in dispatch).
    for (index, field, value) in [
        (2, "service_code", "ASTROLOGY"),
        (5, "description", "排水沟\0堵塞"),
    ] {
        let mut form = drain(API_KEY);
        form[index] = (field, value);
        let refused = test.post_form("/open311/v2/requests.json", &form).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
        assert!(
            refused.body[0]["description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:")),
            "{}",
            refused.text
        );
    }

    let one = test
        .get(&format!("/open311/v2/requests/{id}.xml"), None)
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let doc = roxmltree::Document::parse(&one.text).expect("XML");
    let request = doc.root_element().first_element_child().unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_requests");
    assert_eq!(text(request, "service_request_id"), Some(id.as_str()));
    assert_eq!(text(request, "status"), Some("open"));
    assert_eq!(text(request, "service_code"), Some("DRAINAGE"));
    assert!(text(request, "expected_datetime").is_some(), "its deadline");
    assert!(text(request, "agency_responsible").is_some());
    // The services' clocks stand in March 2026.
    let window = "start_date=2026-02-01T00:00:00Z&end_date=2026-04-01T00:00:00Z";
    let listed = test
        .get(
            &format!("/open311/v2/requests.json?status=open&{window}"),
            None,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.text);
    assert_eq!(
        listed.body[0]["status_notes"]
            .as_str()
            .map(|n| !n.is_empty()),
        Some(true)
    );
    let closed = test
        .get(
            &format!("/open311/v2/requests.xml?status=closed&{window}"),
            None,
        )
        .await;
    let doc = roxmltree::Document::parse(&closed.text).expect("XML");
    assert_eq!(
        doc.root_element()
            .children()
            .filter(|n| n.is_element())
            .count(),
        0
    );
    let elsewhere = test
        .get("/open311/v2/services.json?jurisdiction_id=xindai", None)
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    test.cleanup().await;
}
