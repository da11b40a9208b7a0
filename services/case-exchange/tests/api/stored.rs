//! A stored value this version does not know fails loudly, as INTERNAL,
//! and is never read as something it is not.

use case_exchange::testing::*;
use sqlx::PgPool;
use tonic::Code;

#[sqlx::test(migrations = false)]
async fn an_unknown_case_state_fails_the_read_instead_of_becoming_another(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    let case = langxia.report(xindai, work_injury()).await;
    for sql in [
        "ALTER TABLE joint_cases DROP CONSTRAINT joint_cases_state_check",
        "UPDATE joint_cases SET state = 'ESCALATED'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&langxia.pool)
            .await
            .unwrap();
    }
    let status = langxia.try_case(&case.shared_id).await.unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(
        status.message(),
        "internal error",
        "no SQL reaches the caller"
    );
    fed.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn exchange_unknown_risk_level_or_check_state_fails_the_read(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let langxia = &fed.nodes[LANGXIA];
    langxia
        .put_risk(proto::exchange::v1::PutRiskRequest {
            idempotency_key: "bank".into(),
            kind: proto::exchange::v1::RiskKind::Place.into(),
            name: "山塘老街河埠头".into(),
            level: proto::exchange::v1::RiskLevel::High.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for sql in [
        "ALTER TABLE risks DROP CONSTRAINT risks_level_check",
        "UPDATE risks SET level = 'SEVERE'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&langxia.pool)
            .await
            .unwrap();
    }
    let status = langxia
        .desk()
        .list_risks(proto::exchange::v1::ListRisksRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.message(), "internal error");
    fed.cleanup().await;
}
