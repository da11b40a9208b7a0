//! Joint risk control (风险联控): the shared risk list, made and changed by
//! each entry's owner, the same on all three nodes after every change; a
//! person only masked, anywhere.

use case_exchange::testing::*;
use platform::testing::eventually;
use proto::exchange::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

fn risk(
    kind: pb::RiskKind,
    name: &str,
    group: pb::CareGroup,
    level: pb::RiskLevel,
) -> pb::PutRiskRequest {
    pb::PutRiskRequest {
        idempotency_key: format!("risk-{name}"),
        risk_id: String::new(),
        kind: kind.into(),
        name: name.into(),
        care_group: group.into(),
        level: level.into(),
        description: format!("{name}：联防联控"),
        location: Some(pb::LatLng {
            lat: 30.812,
            lng: 121.163,
        }),
        withdrawn: false,
    }
}

/// Waits until every node holds the same list of `n` entries; returns it.
async fn in_step(fed: &Federation, n: usize, versions: u32) -> Vec<pb::Risk> {
    eventually(
        PATIENCE,
        "the same risk list on every node",
        || async move {
            let first = fed.nodes[LANGXIA].risks().await;
            let total: u32 = first.iter().map(|r| r.version).sum();
            if first.len() != n || total != versions {
                return None;
            }
            for node in &fed.nodes[1..] {
                if node.risks().await != first {
                    return None;
                }
            }
            Some(first)
        },
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn exchange_risk_list_is_the_same_on_every_node_and_people_stay_masked(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (langxia, guangchen, xindai) = (
        &fed.nodes[LANGXIA],
        &fed.nodes[GUANGCHEN],
        &fed.nodes[XINDAI],
    );
    let place = langxia
        .put_risk(risk(
            pb::RiskKind::Place,
            "山塘老街河埠头",
            pb::CareGroup::Unspecified,
            pb::RiskLevel::High,
        ))
        .await
        .unwrap();
    assert_eq!(
        (place.version, place.owner_node.as_str()),
        (1, langxia.id().as_str())
    );
    guangchen
        .put_risk(risk(
            pb::RiskKind::Enterprise,
            "广陈农家乐烟花仓库",
            pb::CareGroup::Unspecified,
            pb::RiskLevel::Medium,
        ))
        .await
        .unwrap();
    let person = xindai
        .put_risk(risk(
            pb::RiskKind::Person,
            "王小明",
            pb::CareGroup::KeyPetitioner,
            pb::RiskLevel::Medium,
        ))
        .await
        .unwrap();
    assert_eq!(person.name, "王*明");
    let list = in_step(&fed, 3, 3).await;
    assert_eq!(list.len(), 3);

    // A person is kept masked on every node, never whole.
    for node in &fed.nodes {
        assert_eq!(
            node.count("SELECT count(*) FROM risks WHERE name = '王小明'")
                .await,
            0
        );
        assert_eq!(
            node.count(
                "SELECT count(*) FROM risks WHERE name = '王*明' AND care_group = 'KEY_PETITIONER'"
            )
            .await,
            1
        );
    }

    // The owner changes its entry; every node follows.
    let mut change = risk(
        pb::RiskKind::Place,
        "山塘老街河埠头",
        pb::CareGroup::Unspecified,
        pb::RiskLevel::Low,
    );
    change.idempotency_key = "lower".into();
    change.risk_id = place.risk_id.clone();
    let lowered = langxia.put_risk(change.clone()).await.unwrap();
    assert_eq!(lowered.version, 2);
    let list = in_step(&fed, 3, 4).await;
    let held = list.iter().find(|r| r.risk_id == place.risk_id).unwrap();
    assert_eq!(held.level(), pb::RiskLevel::Low);

    // Only the owner changes an entry.
    change.idempotency_key = "not-mine".into();
    let status = guangchen.put_risk(change).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    // Withdrawn, it stays on every list as withdrawn.
    let mut withdraw = risk(
        pb::RiskKind::Person,
        "王小明",
        pb::CareGroup::KeyPetitioner,
        pb::RiskLevel::Medium,
    );
    withdraw.idempotency_key = "withdraw".into();
    withdraw.risk_id = person.risk_id.clone();
    withdraw.withdrawn = true;
    xindai.put_risk(withdraw).await.unwrap();
    let list = in_step(&fed, 3, 5).await;
    assert!(
        list.iter()
            .any(|r| r.risk_id == person.risk_id && r.withdrawn)
    );

    // A person needs a group; a place has none.
    let status = langxia
        .put_risk(risk(
            pb::RiskKind::Person,
            "李四",
            pb::CareGroup::Unspecified,
            pb::RiskLevel::Low,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("care_group"), "{status:?}");

    // Every change reached every peer once, and was accepted.
    for node in &fed.nodes {
        node.wait_count(
            "SELECT count(*) FROM deliveries WHERE state NOT IN ('ACCEPTED')",
            0,
        )
        .await;
        assert!(node.verify().await.intact);
    }
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM message_log WHERE direction = 'SENT' AND message_type = 'UPDATE'")
            .await,
        4,
        "two versions of its entry to each of two peers"
    );
    fed.cleanup().await;
}
