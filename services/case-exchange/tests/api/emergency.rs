//! Joint emergency response (处突联动): an alert fanned out to the peers and
//! to the members of the safe-merchants alliance and the joint defence
//! groups, acknowledgements tracked on both sides, the unacknowledged
//! escalated after the deadline into a ticket at the town that told them;
//! members' contacts masked and never on the bus.

use case_exchange::testing::*;
use platform::testing::eventually;
use proto::exchange::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

fn member(
    kind: pb::MemberKind,
    name: &str,
    households: u32,
    contact: (&str, &str),
) -> pb::AddMemberRequest {
    pb::AddMemberRequest {
        idempotency_key: format!("member-{name}"),
        kind: kind.into(),
        name: name.into(),
        place: "山塘老街".into(),
        households,
        contact_name: contact.0.into(),
        contact_phone: contact.1.into(),
    }
}

async fn add(node: &TestNode, request: pb::AddMemberRequest) -> pb::Member {
    node.desk()
        .add_member(request)
        .await
        .expect("the member is added")
        .into_inner()
        .member
        .expect("a member")
}

async fn acks(node: &TestNode, alert: &pb::Alert) -> Vec<pb::AlertAck> {
    try_acks(node, alert).await.expect("acks")
}

/// NOT_FOUND until the alert is kept at `node`.
async fn try_acks(node: &TestNode, alert: &pb::Alert) -> Result<Vec<pb::AlertAck>, tonic::Status> {
    Ok(node
        .desk()
        .list_alert_acks(pb::ListAlertAcksRequest {
            sender: alert.sender.clone(),
            identifier: alert.identifier.clone(),
        })
        .await?
        .into_inner()
        .acks)
}

fn states(acks: &[pb::AlertAck]) -> Vec<(String, pb::AckState)> {
    let mut shown: Vec<(String, pb::AckState)> = acks
        .iter()
        .map(|a| {
            let who = if a.member_name.is_empty() {
                a.recipient.clone()
            } else {
                a.member_name.clone()
            };
            (who, a.state())
        })
        .collect();
    shown.sort();
    shown
}

#[sqlx::test(migrations = false)]
async fn exchange_alert_fans_out_to_peers_and_members_and_the_unacknowledged_are_escalated(
    pool: PgPool,
) {
    let fed = Federation::start(pool).await;
    let (langxia, guangchen, xindai) = (
        &fed.nodes[LANGXIA],
        &fed.nodes[GUANGCHEN],
        &fed.nodes[XINDAI],
    );
    // Both halves of Shantang old street: shops in Langxia and Guangchen,
    // and a ten-household group in Langxia.
    let teahouse = add(
        langxia,
        member(
            pb::MemberKind::AllianceShop,
            "山塘茶馆",
            0,
            ("张小明", "13900001111"),
        ),
    )
    .await;
    assert_eq!(
        (
            teahouse.contact_name.as_str(),
            teahouse.contact_phone.as_str()
        ),
        ("张*明", "139****1111"),
        "contacts are masked in answers"
    );
    add(
        langxia,
        member(
            pb::MemberKind::AllianceShop,
            "廊下酱鸭铺",
            0,
            ("李大海", "13900002222"),
        ),
    )
    .await;
    add(
        langxia,
        member(
            pb::MemberKind::JointDefenceGroup,
            "山塘村三组十户联防",
            10,
            ("王建国", "13900003333"),
        ),
    )
    .await;
    add(
        guangchen,
        member(
            pb::MemberKind::AllianceShop,
            "广陈竹编坊",
            0,
            ("陈美丽", "13900004444"),
        ),
    )
    .await;
    let status = langxia
        .desk()
        .add_member(member(
            pb::MemberKind::JointDefenceGroup,
            "空组",
            0,
            ("赵六", "1"),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for field in ["households", "contact_phone"] {
        assert!(status.message().contains(field), "{status:?}");
    }
    let listed = langxia
        .desk()
        .list_members(pb::ListMembersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|m| m.contact_phone.contains("****")));

    // Langxia issues the fire alert: two peers and three members told.
    let alert = langxia.issue_alert(shantang_fire()).await.unwrap();
    let told = acks(langxia, &alert).await;
    assert_eq!(told.len(), 5);
    assert!(told.iter().all(|a| a.state() == pb::AckState::Notified));
    // Guangchen fans it out to its own member when it arrives.
    let there = eventually(PATIENCE, "Guangchen's member told", || async {
        try_acks(guangchen, &alert)
            .await
            .ok()
            .filter(|acks| acks.len() == 1)
    })
    .await;
    assert_eq!(there[0].member_name, "广陈竹编坊");

    // Guangchen's desk acknowledges: a CAP Ack goes back to Langxia.
    let answered = guangchen
        .desk()
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            idempotency_key: "ack-fire".into(),
            sender: alert.sender.clone(),
            identifier: alert.identifier.clone(),
            member_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let cap_ack = answered.cap_ack.unwrap();
    assert_eq!(cap_ack.msg_type, "Ack");
    assert!(
        cap_ack.cap_xml.contains(&format!(",{},", alert.identifier)),
        "{}",
        cap_ack.cap_xml
    );
    let peer_acked = eventually(PATIENCE, "Guangchen's Ack at Langxia", || async {
        acks(langxia, &alert)
            .await
            .into_iter()
            .find(|a| a.recipient == guangchen.id() && a.state() == pb::AckState::Acknowledged)
    })
    .await;
    assert!(peer_acked.acked_by.contains("desk-op"), "{peer_acked:?}");
    // The teahouse acknowledges by phone; the desk records it.
    let ack = langxia
        .desk()
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            idempotency_key: "ack-teahouse".into(),
            sender: alert.sender.clone(),
            identifier: alert.identifier.clone(),
            member_id: teahouse.member_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .ack
        .unwrap();
    assert_eq!(ack.state(), pb::AckState::Acknowledged);
    // Xindai's desk has not acknowledged; a member not told is not found.
    let status = xindai
        .desk()
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            idempotency_key: "ack-nobody".into(),
            sender: alert.sender.clone(),
            identifier: alert.identifier.clone(),
            member_id: teahouse.member_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    for node in &fed.nodes {
        node.wait_count(
            "SELECT count(*) FROM deliveries WHERE state <> 'ACCEPTED'",
            0,
        )
        .await;
    }
    // Before the deadline nothing is escalated.
    fed.clock.advance(chrono::Duration::minutes(14));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM alert_acks WHERE state = 'ESCALATED'")
            .await,
        0
    );
    // After it: Xindai, the duck shop and the group escalated in Langxia,
    // one ticket asked of Langxia's dispatch; Guangchen's shop in Guangchen.
    fed.clock.advance(chrono::Duration::minutes(2));
    langxia
        .wait_count(
            "SELECT count(*) FROM alert_acks WHERE state = 'ESCALATED'",
            3,
        )
        .await;
    guangchen
        .wait_count(
            "SELECT count(*) FROM alert_acks WHERE state = 'ESCALATED'",
            1,
        )
        .await;
    assert_eq!(
        states(&acks(langxia, &alert).await),
        vec![
            ("山塘村三组十户联防".to_owned(), pb::AckState::Escalated),
            ("山塘茶馆".to_owned(), pb::AckState::Acknowledged),
            ("廊下酱鸭铺".to_owned(), pb::AckState::Escalated),
            (guangchen.id(), pb::AckState::Acknowledged),
            (xindai.id(), pb::AckState::Escalated),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    let ticket = "SELECT count(*) FROM outbox WHERE subject = 'exchange.ticket.requested'";
    for node in [langxia, guangchen] {
        node.wait_count(ticket, 1).await;
    }
    assert_eq!(xindai.count(ticket).await, 0, "Xindai told none of its own");

    // No member's contact in any event, ticket or log line of the bus.
    for node in [langxia, guangchen] {
        for secret in [
            "13900002222",
            "13900003333",
            "13900004444",
            "王建国",
            "李大海",
            "陈美丽",
        ] {
            let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                node.count(&format!(
                    "SELECT count(*) FROM outbox WHERE encode(payload, 'hex') LIKE '%{hex}%'"
                ))
                .await,
                0,
                "{secret} never on the bus"
            );
        }
        assert!(
            node.count("SELECT count(*) FROM outbox WHERE subject = 'exchange.alert.fanned_out'")
                .await
                >= 1
        );
    }
    fed.cleanup().await;
}
