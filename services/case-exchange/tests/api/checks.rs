//! The joint information check (信息联查): a question with its purpose and
//! approving officer, answered by the peer with only what its sharing
//! policy lets leave, masked as it says; refused with a reason without an
//! approval; both on each side's message log; every read of the answer
//! audited in an append-only trail.

use case_exchange::convert;
use case_exchange::domain::check::{CheckRequest, SubjectKind};
use case_exchange::domain::envelope::{Envelope, ExchangeStatus, MessageType};
use case_exchange::domain::ids::{CheckId, MessageId};
use case_exchange::domain::payload::Payload;
use case_exchange::testing::*;
use proto::exchange::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

const WORKER_ID: &str = "330482199001011234";

#[sqlx::test(migrations = false)]
async fn exchange_check_is_answered_with_the_minimum_the_policy_allows_and_every_read_is_audited(
    pool: PgPool,
) {
    let fed = Federation::start(pool).await;
    let (langxia, guangchen, xindai) = (
        &fed.nodes[LANGXIA],
        &fed.nodes[GUANGCHEN],
        &fed.nodes[XINDAI],
    );
    // Xindai holds a joint case with Guangchen naming the worker whole.
    let case = xindai
        .report(
            guangchen,
            pb::ReportCaseRequest {
                case_number: "XD-2026-000088".into(),
                ..work_injury()
            },
        )
        .await;
    guangchen.wait_version(&case.shared_id, 2).await;
    xindai.wait_version(&case.shared_id, 2).await;

    // Without its purpose or approval a check never leaves.
    let mut unapproved = pb::RequestCheckRequest {
        idempotency_key: "unapproved".into(),
        peer_node: xindai.id(),
        subject_kind: pb::SubjectKind::Person.into(),
        subject: WORKER_ID.into(),
        purpose: " ".into(),
        approved_by: String::new(),
    };
    let status = langxia
        .desk()
        .request_check(unapproved.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for field in ["purpose", "approved_by"] {
        assert!(status.message().contains(field), "{status:?}");
    }
    unapproved.peer_node = "shanghai/jinshan/nowhere/case-exchange".into();
    unapproved.purpose = "x".into();
    unapproved.approved_by = "x".into();
    let status = langxia.desk().request_check(unapproved).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(langxia.count("SELECT count(*) FROM checks").await, 0);

    // Langxia asks Xindai about the worker.
    let asked = langxia
        .request_check(xindai, WORKER_ID, "廊下司法所张科长")
        .await
        .unwrap();
    assert_eq!(asked.state(), pb::CheckState::Pending);
    assert_eq!(asked.subject, "330482********1234", "kept masked here");
    let answered = langxia.wait_check(&asked.check_id).await;
    assert_eq!(answered.state(), pb::CheckState::Answered);
    assert!(answered.findings.is_empty(), "a list shows no findings");
    assert_eq!(
        langxia.count("SELECT count(*) FROM read_audit").await,
        0,
        "listing is no read of the answer"
    );

    let read = langxia.get_check(&asked.check_id).await.unwrap();
    assert_eq!(read.findings.len(), 1, "{read:?}");
    let finding = &read.findings[0];
    assert_eq!(finding.shared_case_id, case.shared_id);
    assert_eq!(finding.category_code, "WORK_INJURY");
    assert_eq!(finding.role, "WORKER");
    assert_eq!(finding.case_state, "ACKNOWLEDGED");
    assert_eq!(finding.name, "王*明");
    assert_eq!(finding.phone, "138****5678");
    assert_eq!(finding.id_number, "", "the policy withholds id numbers");
    // What Langxia keeps is what left Xindai: masked, the id number absent.
    let (phone, name, id_number): (String, String, String) = sqlx::query_as(
        "SELECT findings->0->>'phone', findings->0->>'name', findings->0->>'id_number' FROM checks",
    )
    .fetch_one(&langxia.pool)
    .await
    .unwrap();
    assert_eq!(
        (phone.as_str(), name.as_str(), id_number.as_str()),
        ("138****5678", "王*明", "")
    );
    assert_eq!(
        langxia
            .count(&format!(
                "SELECT count(*) FROM checks WHERE subject_masked LIKE '%{WORKER_ID}%'"
            ))
            .await,
        0
    );

    // Every read is audited, and the trail is append-only.
    langxia.get_check(&asked.check_id).await.unwrap();
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM read_audit WHERE object_kind = 'CHECK' AND subject = 'desk-op' AND role = 'town_operator' AND records = 1")
            .await,
        2
    );
    for sql in [
        "UPDATE read_audit SET subject = 'nobody'",
        "DELETE FROM read_audit",
        "TRUNCATE read_audit",
    ] {
        let refused = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&langxia.pool)
            .await;
        assert!(refused.is_err(), "{sql} is refused");
    }
    let missing = langxia
        .get_check(&CheckId::generate().to_string())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // The question and its answer are on both logs.
    let logged = "SELECT count(*) FROM message_log WHERE (direction, message_type) IN";
    assert_eq!(
        langxia
            .count(&format!(
                "{logged} (('SENT', 'REQUEST'), ('RECEIVED', 'RESPONSE'))"
            ))
            .await,
        2
    );
    assert_eq!(
        xindai
            .count(&format!(
                "{logged} (('RECEIVED', 'REQUEST'), ('SENT', 'RESPONSE'))"
            ))
            .await,
        2
    );
    // The request's delivery is answered by the response.
    langxia
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE message_type = 'REQUEST' AND state = 'ACCEPTED'",
            1,
        )
        .await;
    for node in [langxia, xindai] {
        assert!(node.verify().await.intact);
    }

    // A desk officer's token reads it too; a service's may not.
    let officer = langxia.client(&platform::testing::token(
        "officer-1",
        platform::auth::Role::DepartmentOfficer,
        None,
    ));
    assert!(
        officer
            .clone()
            .get_check(pb::GetCheckRequest {
                check_id: asked.check_id.clone(),
            })
            .await
            .is_ok()
    );
    let service = langxia.client(&platform::testing::token(
        "svc",
        platform::auth::Role::Service,
        None,
    ));
    let denied = service
        .clone()
        .get_check(pb::GetCheckRequest {
            check_id: asked.check_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(langxia.count("SELECT count(*) FROM read_audit").await, 3);
    fed.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn exchange_check_without_an_approving_officer_is_refused_with_its_reason(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (guangchen, xindai) = (&fed.nodes[GUANGCHEN], &fed.nodes[XINDAI]);
    xindai.report(guangchen, work_injury()).await;
    // Guangchen's node sends a question nobody approved (its own API would
    // not let it leave; a peer's node might).
    let as_guangchen = fed.raw_sender(GUANGCHEN, XINDAI, &guangchen.town.dir);
    let question = CheckRequest {
        check_id: CheckId::generate(),
        kind: SubjectKind::Person,
        subject: WORKER_ID.into(),
        purpose: "核实".into(),
        approved_by: " ".into(),
        requested_by: "desk-op".into(),
    };
    let mut envelope = Envelope {
        message_id: MessageId::generate(),
        sender: guangchen.town.node.clone(),
        recipients: vec![xindai.town.node.clone()],
        message_type: MessageType::Request,
        references: vec![],
        shared_case_id: None,
        sender_case_number: String::new(),
        recipient_case_number: String::new(),
        status: ExchangeStatus::Actual,
        sent_at: start_time(),
        payload: convert::encode_payload(&Payload::CheckRequest(question)),
        in_reply_to: None,
        signature: vec![],
    };
    as_guangchen
        .send(&mut envelope, start_time())
        .await
        .unwrap();
    xindai
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE message_type = 'RESPONSE'",
            1,
        )
        .await;
    let wire: Vec<u8> =
        sqlx::query_scalar("SELECT wire FROM deliveries WHERE message_type = 'RESPONSE'")
            .fetch_one(&xindai.pool)
            .await
            .unwrap();
    let sent = convert::envelope_of(convert::envelope_from_bytes(&wire).unwrap()).unwrap();
    let Payload::CheckAnswer(answer) = convert::decode_payload(&sent.payload).unwrap() else {
        panic!("a check's answer");
    };
    assert!(answer.refused);
    assert!(
        answer.reason.contains("approving officer"),
        "{}",
        answer.reason
    );
    assert!(answer.findings.is_empty(), "nothing leaves with a refusal");
    assert_eq!(sent.in_reply_to, Some(envelope.hash()));
    fed.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn exchange_get_case_is_an_audited_read(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    let case = langxia.report(xindai, work_injury()).await;
    let before = langxia
        .count("SELECT count(*) FROM read_audit WHERE object_kind = 'CASE'")
        .await;
    let officer = langxia.client(&platform::testing::token(
        "officer-2",
        platform::auth::Role::DepartmentOfficer,
        None,
    ));
    let shown = officer
        .clone()
        .get_case(pb::GetCaseRequest {
            shared_id: case.shared_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(shown.summary.unwrap().parties[0].phone, "138****5678");
    assert_eq!(
        langxia
            .count(&format!(
                "SELECT count(*) FROM read_audit WHERE object_kind = 'CASE' AND object_id = '{}'
                   AND subject = 'officer-2' AND role = 'department_officer' AND records = 2",
                case.shared_id
            ))
            .await,
        1
    );
    // A listing shows no more than the cases' summaries and is no read of
    // one case; an unknown case is not found and nothing is recorded.
    langxia
        .desk()
        .list_cases(pb::ListCasesRequest::default())
        .await
        .unwrap();
    let missing = officer
        .clone()
        .get_case(pb::GetCaseRequest {
            shared_id: CheckId::generate().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM read_audit WHERE object_kind = 'CASE'")
            .await,
        before + 1
    );
    fed.cleanup().await;
}
