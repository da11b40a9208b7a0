//! CAP 1.2 alerts: issued as CAP XML to every peer, received, read back
//! element by element; a malformed one refused at the peer port naming
//! the element.

use case_exchange::convert;
use case_exchange::domain::cap::CapAlert;
use case_exchange::domain::envelope::{Envelope, ExchangeStatus, MessageType};
use case_exchange::domain::ids::MessageId;
use case_exchange::domain::payload::Payload;
use case_exchange::peers::SendError;
use case_exchange::testing::*;
use platform::testing::eventually;
use proto::exchange::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

#[sqlx::test(migrations = false)]
async fn exchange_alert_is_issued_as_cap_xml_and_received_the_same_by_every_peer(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let langxia = &fed.nodes[LANGXIA];
    let issued = langxia.issue_alert(shantang_fire()).await.unwrap();
    assert_eq!(issued.direction(), pb::AlertDirection::Issued);
    assert!(
        issued
            .cap_xml
            .contains("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">")
    );
    assert!(
        issued
            .cap_xml
            .contains("<sent>2026-03-02T09:00:00+08:00</sent>"),
        "{}",
        issued.cap_xml
    );
    let cap = CapAlert::parse(&issued.cap_xml).unwrap();
    assert_eq!(cap.sender, langxia.id());
    assert_eq!(cap.status, "Exercise");
    assert_eq!(cap.info[0].areas[0].circles, ["30.812000,121.163000 0.5"]);

    for peer in [&fed.nodes[GUANGCHEN], &fed.nodes[XINDAI]] {
        let received = eventually(PATIENCE, "the alert at the peer", || async move {
            peer.alerts(pb::AlertDirection::Received)
                .await
                .into_iter()
                .next()
        })
        .await;
        assert_eq!(received.identifier, issued.identifier);
        assert_eq!(
            (
                received.event.as_str(),
                received.urgency.as_str(),
                received.severity.as_str()
            ),
            ("山塘老街商铺火情", "Immediate", "Severe")
        );
        assert_eq!(CapAlert::parse(&received.cap_xml).unwrap(), cap);
        peer.wait_count(
            "SELECT count(*) FROM message_log WHERE direction = 'RECEIVED' AND message_type = 'REPORT'",
            1,
        )
        .await;
    }
    langxia
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE state = 'ACCEPTED'",
            2,
        )
        .await;

    // The same call again is the same alert, sent once.
    let again = langxia.issue_alert(shantang_fire()).await.unwrap();
    assert_eq!(again.identifier, issued.identifier);
    assert_eq!(langxia.count("SELECT count(*) FROM deliveries").await, 2);

    // A value CAP does not know is refused before anything is kept.
    let status = langxia
        .issue_alert(pb::IssueAlertRequest {
            idempotency_key: "soon".into(),
            urgency: "Soon".into(),
            categories: vec!["Danger".into()],
            ..shantang_fire()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for field in ["urgency", "categories[0]"] {
        assert!(status.message().contains(field), "{status:?}");
    }
    fed.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn exchange_malformed_cap_alert_is_refused_naming_the_element(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (guangchen, xindai) = (&fed.nodes[GUANGCHEN], &fed.nodes[XINDAI]);
    let issued = guangchen.issue_alert(shantang_fire()).await.unwrap();
    let mut cap = CapAlert::parse(&issued.cap_xml).unwrap();
    cap.identifier = MessageId::generate().to_string();
    cap.info[0].urgency = "Soon".into();
    let as_guangchen = fed.raw_sender(GUANGCHEN, XINDAI, &guangchen.town.dir);
    let mut envelope = Envelope {
        message_id: MessageId::generate(),
        sender: guangchen.town.node.clone(),
        recipients: vec![xindai.town.node.clone()],
        message_type: MessageType::Report,
        references: vec![],
        shared_case_id: None,
        sender_case_number: String::new(),
        recipient_case_number: String::new(),
        status: ExchangeStatus::Exercise,
        sent_at: start_time(),
        payload: convert::encode_payload(&Payload::Alert(cap)),
        in_reply_to: None,
        signature: vec![],
    };
    match as_guangchen.send(&mut envelope, start_time()).await {
        Err(SendError::Refused(message)) => {
            assert!(message.starts_with("MALFORMED"), "{message}");
            assert!(message.contains("<urgency>"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let refusal = xindai.refusals().await.into_iter().next().unwrap();
    assert_eq!(refusal.reason, "MALFORMED");
    assert!(
        refusal.detail.contains("CAP <urgency>"),
        "{}",
        refusal.detail
    );
    // The well-formed one arrived; the malformed one was never kept.
    eventually(PATIENCE, "the good alert at Xindai", || async move {
        (xindai.alerts(pb::AlertDirection::Received).await.len() == 1).then_some(())
    })
    .await;
    fed.cleanup().await;
}
