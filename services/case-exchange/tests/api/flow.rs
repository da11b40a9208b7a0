//! The seed's flow 7 end to end between Langxia and Xindai, comparing both
//! nodes' views after every step; the sharing policy withholding a field;
//! the message log verifying and an edited entry found.

use case_exchange::testing::*;
use proto::exchange::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

#[sqlx::test(migrations = false)]
async fn flow_7_runs_from_joint_report_to_agreement_with_the_same_case_on_both_sides(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);

    // Joint report (案情联报): reported here, acknowledged by Xindai's node.
    let reported = langxia.report(xindai, work_injury()).await;
    assert_eq!(reported.state(), pb::CaseState::Reported);
    let id = reported.shared_id.clone();
    let there = xindai.wait_version(&id, 2).await;
    let here = langxia.wait_version(&id, 2).await;
    assert_eq!(here.state(), pb::CaseState::Acknowledged);
    assert_eq!(shared_view(&here), shared_view(&there));
    assert_eq!(there.origin_case_number, "LX-2026-000417");

    // Xindai's dispatch is asked for a CROSS_BORDER ticket carrying the id.
    let requested = xindai
        .count(&format!(
            "SELECT count(*) FROM outbox WHERE subject = 'exchange.ticket.requested' AND payload::text LIKE '%{}%'",
            hex(&id)
        ))
        .await;
    assert_eq!(requested, 1, "one ticket asked of Xindai's dispatch");

    // The policy withheld the worker's id number; the phone left masked.
    let worker = &there.summary.as_ref().unwrap().parties[0];
    assert_eq!(worker.id_number, "", "id numbers never leave");
    assert_eq!(worker.phone, "138****5678");
    let stored: String =
        sqlx::query_scalar("SELECT summary->'parties'->0->>'phone' FROM joint_cases")
            .fetch_one(&xindai.pool)
            .await
            .unwrap();
    assert_eq!(stored, "138****5678", "Xindai never had the whole phone");

    // Only Xindai accepts.
    let status = langxia.accept(&id).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    xindai.accept(&id).await.unwrap();
    assert_eq!(
        shared_view(&langxia.wait_version(&id, 3).await),
        shared_view(&xindai.case(&id).await)
    );

    // Joint mediation (纠纷联调), scheduled in Langxia with both sides.
    langxia
        .schedule(flow7_mediation(&id, langxia, xindai))
        .await
        .unwrap();
    let there = xindai.wait_version(&id, 4).await;
    assert_eq!(there.state(), pb::CaseState::InMediation);
    assert_eq!(shared_view(&langxia.case(&id).await), shared_view(&there));

    // The agreement, recorded in Xindai, identical in Langxia.
    let agreement = pb::RecordMediationOutcomeRequest {
        idempotency_key: "outcome".into(),
        shared_id: id.clone(),
        agreed: true,
        agreement_text: "厂方一次性支付工伤赔偿十二万元，分两期付清。".into(),
        agreed_amount_fen: 12_000_000,
        obligations: vec![pb::Obligation {
            party: "廊下精密冲压厂".into(),
            duty: "支付赔偿".into(),
            amount_fen: 12_000_000,
            due_at: None,
        }],
    };
    let without_text = xindai
        .outcome(pb::RecordMediationOutcomeRequest {
            agreement_text: " ".into(),
            ..agreement.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(without_text.code(), Code::InvalidArgument);
    xindai.outcome(agreement).await.unwrap();
    let here = langxia.wait_version(&id, 5).await;
    assert_eq!(here.state(), pb::CaseState::Agreed);
    let mediation = here.mediation.clone().unwrap();
    assert_eq!(mediation.agreed_amount_fen, 12_000_000);
    assert_eq!(
        mediation.agreement_text,
        "厂方一次性支付工伤赔偿十二万元，分两期付清。"
    );
    assert_eq!(shared_view(&here), shared_view(&xindai.case(&id).await));

    // Closed in Langxia, closed in Xindai.
    langxia.close(&id, "协议已履行").await.unwrap();
    let there = xindai.wait_version(&id, 6).await;
    assert_eq!(there.state(), pb::CaseState::Closed);
    let here = langxia.case(&id).await;
    assert_eq!(shared_view(&here), shared_view(&there));
    let movers: Vec<(&str, &str)> = here
        .history
        .iter()
        .map(|m| (m.by_node.as_str(), m.by_person.as_str()))
        .collect();
    assert_eq!(
        movers[1],
        (xindai.id().as_str(), "case-exchange"),
        "the acknowledgement is Xindai's node's"
    );
    assert_eq!(movers[2], (xindai.id().as_str(), "desk-op"));

    // Every envelope acknowledged, each applied once; both logs intact.
    for node in [langxia, xindai] {
        node.wait_count(
            "SELECT count(*) FROM deliveries WHERE state <> 'ACCEPTED'",
            0,
        )
        .await;
        let verdict = node.verify().await;
        assert!(verdict.intact, "{verdict:?}");
    }
    // Langxia sent REPORT, UPDATE (schedule), UPDATE (close) and answered
    // two updates; it received the same five the other way.
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM message_log WHERE direction = 'SENT'")
            .await,
        5
    );
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM message_log WHERE direction = 'RECEIVED'")
            .await,
        5
    );
    assert_eq!(
        xindai.count("SELECT count(*) FROM received_messages").await,
        5
    );
    // Guangchen saw nothing of it.
    assert_eq!(
        fed.nodes[GUANGCHEN]
            .count("SELECT count(*) FROM joint_cases")
            .await,
        0
    );
    fed.cleanup().await;
}

/// Returns how `text` shows in PostgreSQL's `bytea::text` (hex).
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[sqlx::test(migrations = false)]
async fn verify_names_the_first_entry_edited_in_the_message_log(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (langxia, guangchen) = (&fed.nodes[LANGXIA], &fed.nodes[GUANGCHEN]);
    let case = langxia.report(guangchen, work_injury()).await;
    langxia.wait_version(&case.shared_id, 2).await;
    let verdict = langxia.verify().await;
    assert!(verdict.intact);
    assert_eq!(
        verdict.checked, 2,
        "the report sent and the answer received"
    );

    sqlx::query("UPDATE message_log SET peer = 'anhui/x/y/case-exchange' WHERE seq = 2")
        .execute(&langxia.pool)
        .await
        .unwrap();
    let verdict = langxia.verify().await;
    assert!(!verdict.intact);
    assert_eq!(verdict.broken_seq, 2);
    assert!(verdict.problem.contains("changed"), "{}", verdict.problem);
    fed.cleanup().await;
}
