//! A stored value this version does not know fails loudly: it is never read
//! as a default and moved on from.

use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::hotline;
use ticket_dispatch::testing::*;

#[sqlx::test(migrations = false)]
async fn an_unknown_stored_ticket_state_fails_loudly_instead_of_being_read_as_received(
    pool: PgPool,
) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-2026-0000500")).await;
    let id: uuid::Uuid = ticket.id.parse().unwrap();
    sqlx::query("UPDATE tickets SET state = 'PARKED' WHERE ticket_id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let outbox = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let published = outbox(pool.clone()).await;

    let read = desk.try_ticket(&ticket.id).await.unwrap_err();
    assert_eq!(read.code(), Code::Internal);
    assert_eq!(
        read.message(),
        "internal error",
        "no SQL reaches the caller"
    );
    let listed = desk
        .client()
        .list_tickets(pb::ListTicketsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(listed.code(), Code::Internal);
    // Read as RECEIVED, it could be dispatched: it is not.
    let moved = desk
        .try_move(on::<pb::DispatchTicketRequest>(&ticket))
        .await;
    assert_eq!(moved.unwrap_err().code(), Code::Internal);

    let (state, version): (String, i64) =
        sqlx::query_as("SELECT state, version FROM tickets WHERE ticket_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), version), ("PARKED", 1), "nothing changed");
    assert_eq!(outbox(pool).await, published, "nothing published");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn dispatch_an_unknown_stored_leg_outcome_fails_loudly(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-2026-0000501")).await;
    let ticket = desk.dispatch(&ticket).await;
    assert!(!ticket.legs.is_empty());
    let id: uuid::Uuid = ticket.id.parse().unwrap();
    // As a later version that knows one more outcome would store it.
    sqlx::query("ALTER TABLE ticket_legs DROP CONSTRAINT ticket_legs_outcome_check")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE ticket_legs SET outcome = 'ARBITRATED', ended_at = now() WHERE ticket_id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let read = desk.try_ticket(&ticket.id).await.unwrap_err();
    assert_eq!(read.code(), Code::Internal);
    // Read as still open, the ticket could be accepted: it is not.
    let moved = desk.try_move(on::<pb::AcceptTicketRequest>(&ticket)).await;
    assert_eq!(moved.unwrap_err().code(), Code::Internal);
    test.cleanup().await;
}
