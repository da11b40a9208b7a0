//! Each refusal at the peer port: a certificate of an unknown CA, another
//! node's certificate, an unknown node, a bad signature, a replayed message
//! id and a stale attempt; each refused, recorded and nothing applied.

use case_exchange::convert;
use case_exchange::domain::envelope::{Envelope, ExchangeStatus, MessageType};
use case_exchange::domain::ids::MessageId;
use case_exchange::domain::payload::Payload;
use case_exchange::peers::SendError;
use case_exchange::pki::{dev_pki, dev_towns};
use case_exchange::testing::*;
use sqlx::PgPool;

fn cancel(fed: &Federation, from: &str, reason: &str) -> Envelope {
    Envelope {
        message_id: MessageId::generate(),
        sender: node(from),
        recipients: vec![fed.nodes[XINDAI].town.node.clone()],
        message_type: MessageType::Cancel,
        references: vec![],
        shared_case_id: None,
        sender_case_number: String::new(),
        recipient_case_number: String::new(),
        status: ExchangeStatus::Test,
        sent_at: start_time(),
        payload: convert::encode_payload(&Payload::Cancel {
            reason: reason.into(),
        }),
        in_reply_to: None,
        signature: vec![],
    }
}

fn refused_with(sent: Result<impl std::fmt::Debug, SendError>, code: &str) {
    match sent {
        Err(SendError::Refused(message)) => assert!(message.starts_with(code), "{message}"),
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[sqlx::test(migrations = false)]
async fn the_peer_port_refuses_and_records_every_envelope_it_cannot_trust(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let guangchen = fed.nodes[GUANGCHEN].id();
    let now = start_time();
    let as_guangchen = fed.raw_sender(GUANGCHEN, XINDAI, &fed.nodes[GUANGCHEN].town.dir);

    // A certificate from a CA nobody allow-listed: TLS turns it away.
    let rogue_dir = fed.dir.join("rogue");
    let rogue = dev_towns(&rogue_dir, [1, 2, 3]);
    dev_pki(&rogue_dir, &rogue).unwrap();
    let impostor = fed.raw_sender(GUANGCHEN, XINDAI, &rogue[GUANGCHEN].dir);
    let sent = impostor
        .send(&mut cancel(&fed, &guangchen, "rogue"), now)
        .await;
    assert!(matches!(sent, Err(SendError::Away(_))), "{sent:?}");

    // Langxia's (trusted) certificate, with an envelope signed as Guangchen.
    let wrong_cert = fed.raw_sender(GUANGCHEN, XINDAI, &fed.nodes[LANGXIA].town.dir);
    refused_with(
        wrong_cert
            .send(&mut cancel(&fed, &guangchen, "x"), now)
            .await,
        "WRONG_CERTIFICATE",
    );

    // A node nobody allow-listed.
    refused_with(
        as_guangchen
            .send(
                &mut cancel(&fed, "anhui/hefei/feixi/case-exchange", "x"),
                now,
            )
            .await,
        "UNKNOWN_SENDER",
    );

    // Signed with another key.
    let mut forged = cancel(&fed, &guangchen, "x");
    forged.sign(&ed25519_dalek::SigningKey::from_bytes(&[9; 32]));
    refused_with(as_guangchen.send(&mut forged, now).await, "BAD_SIGNATURE");

    // A message id used before, for another envelope.
    let mut original = cancel(&fed, &guangchen, "first");
    as_guangchen.send(&mut original, now).await.unwrap();
    let mut reused = cancel(&fed, &guangchen, "second");
    reused.message_id = original.message_id;
    refused_with(as_guangchen.send(&mut reused, now).await, "REPLAYED");

    // An attempt ten minutes off (the skew allows five).
    refused_with(
        as_guangchen
            .send(
                &mut cancel(&fed, &guangchen, "old"),
                now - chrono::Duration::minutes(10),
            )
            .await,
        "STALE",
    );

    let xindai = &fed.nodes[XINDAI];
    let mut reasons: Vec<String> = xindai
        .refusals()
        .await
        .into_iter()
        .map(|r| r.reason)
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "BAD_SIGNATURE",
            "REPLAYED",
            "STALE",
            "UNKNOWN_SENDER",
            "WRONG_CERTIFICATE"
        ]
    );
    assert_eq!(
        xindai.count("SELECT count(*) FROM received_messages").await,
        1,
        "only the original"
    );
    assert!(xindai.verify().await.intact);
    fed.cleanup().await;
}
