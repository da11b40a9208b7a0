//! The unit of work: every mutating call, event consumer and timer of every
//! service runs its use case inside one, so that no handler writes the
//! steps by hand.
//!
//! [`Units::begin`] opens the transaction and claims the call's idempotency
//! key: a call already committed under the same key and request gets its
//! saved answer back ([`Begun::Replay`]); otherwise the work is handed out
//! ([`Begun::Fresh`]). [`Units::begin_event`] does the same for an event,
//! with the inbox row as the key, and [`Units::begin_job`] for background
//! work. The work collects the events the use case publishes;
//! [`Work::commit`] stores the answer under the key, writes the outbox rows,
//! commits and wakes the relay, in that order. `commit` consumes the work,
//! so a path that forgets it cannot leave half a write behind: dropping the
//! work rolls everything back, the key and inbox row included.
//!
//! ```ignore
//! pub async fn accept(units: &Units, caller: &Caller, key: CallKey, cmd: Accept,
//!                     answer: impl FnOnce(&TicketView) -> pb::AcceptTicketResponse)
//!     -> Result<pb::AcceptTicketResponse, AppError> {
//!     let mut work = match units.begin(key).await? {
//!         Begun::Replay(saved) => return Ok(saved),
//!         Begun::Fresh(work) => work,
//!     };
//!     let mut ticket = tickets::load_for_update(work.conn(), cmd.ticket).await?;
//!     let event = ticket.accept(caller, work.now())?;
//!     tickets::save(work.conn(), &ticket).await?;
//!     work.publish(events::ticket(&ticket, &event));
//!     work.commit(answer(&view)).await
//! }
//! ```

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use prost::Message;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::auth::Caller;
use crate::clock::SharedClock;
use crate::error::AppError;
use crate::idempotency::{self, IdempotencyKey};
use crate::inbox::ReceivedEvent;
use crate::outbox::{OutboxEvent, RelayWaker};

/// The key of one mutating call: who called which RPC with which client key
/// and request. A call without a client key is not idempotent by key (the
/// use case may still have a natural one, such as a 12345 order number).
#[derive(Debug, Clone)]
pub struct CallKey(Option<IdempotencyKey>);

impl CallKey {
    /// Returns the key of the call `request` made by `caller` with the
    /// client's `key`: keys are the caller's own, and a call is named by its
    /// request type (`weigrid.dispatch.v1.CreateTicketRequest`), so two RPCs
    /// never share one. The request's encoding is hashed, so the same key
    /// with another request is refused rather than answered wrongly.
    pub fn new<R: Message + prost::Name>(caller: &Caller, key: &str, request: &R) -> Self {
        Self::of_subject(&caller.subject, key, request)
    }

    /// Returns the key of a call made by `subject` (a service acting on its
    /// own, such as a consumer turning an event into a call).
    pub fn of_subject<R: Message + prost::Name>(subject: &str, key: &str, request: &R) -> Self {
        Self(IdempotencyKey::new(
            subject,
            R::full_name(),
            key.trim(),
            request,
        ))
    }

    /// Returns the key of a call without a client key.
    pub fn none() -> Self {
        Self(None)
    }

    /// Returns whether the caller gave a key.
    pub fn is_keyed(&self) -> bool {
        self.0.is_some()
    }
}

/// Hands out units of work over one database.
#[derive(Clone)]
pub struct Units {
    pool: PgPool,
    clock: SharedClock,
    waker: RelayWaker,
}

/// How a call begins: the saved answer of the same call, or the work to do.
pub enum Begun<A> {
    /// The same call (key and request) committed before: its answer.
    Replay(A),
    /// A new call: do the work, then [`Work::commit`].
    Fresh(Work<A>),
}

impl Units {
    /// Returns units over `pool`, reading time from `clock` and waking the
    /// relay behind `waker` after each commit that published.
    pub fn new(pool: PgPool, clock: SharedClock, waker: RelayWaker) -> Self {
        Self { pool, clock, waker }
    }

    /// Returns the pool (the platform's own bookkeeping only).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Opens a read-only transaction for a query: nothing done through it
    /// can write (a write is an error), so every change goes through a unit
    /// of work. Dropping it ends it.
    ///
    /// # Errors
    /// The database failed.
    pub async fn read(&self) -> Result<Read, AppError> {
        // One round trip: the transaction begins read-only.
        let txn = self.pool.begin_with("BEGIN READ ONLY").await?;
        Ok(Read(txn))
    }

    /// Opens a read-only transaction that sees one snapshot of the whole
    /// database (REPEATABLE READ), for a report whose queries must agree.
    ///
    /// # Errors
    /// The database failed.
    pub async fn read_snapshot(&self) -> Result<Read, AppError> {
        let txn = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        Ok(Read(txn))
    }

    /// Returns the current time, for queries ("overdue now"). A change
    /// happens at [`Work::now`], the time its unit of work began.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Returns the clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Returns the service's metrics (those of its outbox relay), if any.
    pub fn metrics(&self) -> Option<&std::sync::Arc<crate::metrics::Metrics>> {
        self.waker.metrics()
    }

    /// Begins a mutating call: opens the transaction and claims `key`. A
    /// duplicate arriving while the first is in flight waits on the key's
    /// row lock, then replays.
    ///
    /// # Errors
    /// The key was used for another request (FAILED_PRECONDITION), or the
    /// database failed.
    pub async fn begin<A: Message + Default>(&self, key: CallKey) -> Result<Begun<A>, AppError> {
        let mut txn = self.pool.begin().await?;
        if let Some(key) = &key.0
            && let Some(saved) = idempotency::begin::<A>(&mut txn, key).await?
        {
            txn.rollback().await?;
            return Ok(Begun::Replay(saved));
        }
        Ok(Begun::Fresh(self.work(txn, key.0)))
    }

    /// Begins applying `event` for the durable consumer `consumer`: opens
    /// the transaction and claims the event's inbox row. Returns `None` when
    /// the consumer applied it before (it is then only acknowledged).
    ///
    /// # Errors
    /// The database failed.
    pub async fn begin_event(
        &self,
        consumer: &str,
        event: &ReceivedEvent,
    ) -> Result<Option<Work<()>>, AppError> {
        let (work, claimed) = self.begin_events(consumer, &[event]).await?;
        if claimed.contains(&event.event_id) {
            return Ok(Some(work));
        }
        work.txn.rollback().await?;
        Ok(None)
    }

    /// Returns whether `consumer` applied the event `event_id` before (a
    /// cheap look before preparing a redelivered event; the claim in
    /// [`Units::begin_event`] stays the guarantee).
    ///
    /// # Errors
    /// The database failed.
    pub async fn already_applied(
        &self,
        consumer: &str,
        event_id: uuid::Uuid,
    ) -> Result<bool, AppError> {
        let ids = self.applied_ids(consumer, &[event_id]).await?;
        Ok(ids.contains(&event_id))
    }

    /// Begins applying `events` together for the durable consumer
    /// `consumer`: opens one transaction and claims their inbox rows in one
    /// statement. Returns the work and the ids claimed (those the consumer
    /// had not applied before, each once).
    ///
    /// # Errors
    /// The database failed.
    pub async fn begin_events(
        &self,
        consumer: &str,
        events: &[&ReceivedEvent],
    ) -> Result<(Work<()>, std::collections::HashSet<uuid::Uuid>), AppError> {
        let mut txn = self.pool.begin().await?;
        let claimed = crate::inbox::claim_all(&mut txn, consumer, events).await?;
        Ok((self.work(txn, None), claimed))
    }

    /// Returns which of `events` `consumer` applied before, in one query
    /// (the batch form of [`Units::already_applied`]).
    ///
    /// # Errors
    /// The database failed.
    pub async fn applied_of(
        &self,
        consumer: &str,
        events: &[&ReceivedEvent],
    ) -> Result<std::collections::HashSet<uuid::Uuid>, AppError> {
        let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event_id).collect();
        self.applied_ids(consumer, &ids).await
    }

    async fn applied_ids(
        &self,
        consumer: &str,
        ids: &[uuid::Uuid],
    ) -> Result<std::collections::HashSet<uuid::Uuid>, AppError> {
        let applied: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT event_id FROM inbox WHERE consumer = $1 AND event_id = ANY($2)",
        )
        .bind(consumer)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(applied.into_iter().collect())
    }

    /// Begins background work (a timer firing, a sweep): a transaction
    /// whose events are published on commit; its answer (often `()`) is what
    /// commit returns.
    ///
    /// # Errors
    /// The database failed.
    pub async fn begin_job<A: Message>(&self) -> Result<Work<A>, AppError> {
        let txn = self.pool.begin().await?;
        Ok(self.work(txn, None))
    }

    fn work<A>(&self, txn: Transaction<'static, Postgres>, key: Option<IdempotencyKey>) -> Work<A> {
        Work {
            txn,
            key,
            events: Vec::new(),
            waker: self.waker.clone(),
            now: self.clock.now(),
            _answer: PhantomData,
        }
    }
}

/// A read-only transaction for queries (see [`Units::read`]); it derefs to
/// the connection the repositories take.
pub struct Read(Transaction<'static, Postgres>);

impl std::ops::Deref for Read {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0
    }
}

impl std::ops::DerefMut for Read {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0
    }
}

/// One unit of work in progress: a transaction, the call's key and the
/// events to publish. Dropped without [`Work::commit`], it rolls back.
#[must_use = "a unit of work does nothing until it is committed"]
pub struct Work<A = ()> {
    txn: Transaction<'static, Postgres>,
    key: Option<IdempotencyKey>,
    events: Vec<OutboxEvent>,
    waker: RelayWaker,
    now: DateTime<Utc>,
    _answer: PhantomData<fn(A)>,
}

impl<A: Message> Work<A> {
    /// Returns the transaction's connection, for the repositories.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.txn
    }

    /// Returns the time the work began: every change it makes happens then.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Publishes `event` if and only if the work commits.
    pub fn publish(&mut self, event: OutboxEvent) {
        self.events.push(event);
    }

    /// Returns how many events the work will publish.
    pub fn published(&self) -> usize {
        self.events.len()
    }

    /// Stores `answer` under the call's key, writes the outbox rows,
    /// commits and wakes the relay; returns the answer.
    ///
    /// # Errors
    /// The database failed: nothing of the work was kept.
    pub async fn commit(mut self, answer: A) -> Result<A, AppError> {
        if self.key.is_some() || !self.events.is_empty() {
            let saved = self.key.as_ref().map(|key| (key, answer.encode_to_vec()));
            store_outcome(&mut self.txn, saved, &self.events).await?;
        }
        self.txn.commit().await?;
        if !self.events.is_empty() {
            self.waker.wake();
        }
        Ok(answer)
    }
}

/// Stores the call's answer under its key (when it has one) and writes the
/// work's events to the outbox, in their order, in one statement: one round
/// trip before COMMIT however many events there are.
async fn store_outcome(
    conn: &mut PgConnection,
    saved: Option<(&IdempotencyKey, Vec<u8>)>,
    events: &[OutboxEvent],
) -> Result<(), sqlx::Error> {
    let (caller, key, response) = match saved {
        Some((key, response)) => (Some(key.caller()), Some(key.key()), Some(response)),
        None => (None, None, None),
    };
    // With no key, the UPDATE's `caller_id = NULL` matches no row.
    sqlx::query(
        "WITH answer AS (
             UPDATE idempotency_keys SET response = $3
             WHERE caller_id = $1 AND idempotency_key = $2
         )
         INSERT INTO outbox (event_id, subject, payload, headers)
         SELECT e.event_id, e.subject, e.payload, e.headers
         FROM UNNEST($4::uuid[], $5::text[], $6::bytea[], $7::jsonb[])
              WITH ORDINALITY AS e (event_id, subject, payload, headers, n)
         ORDER BY e.n",
    )
    .bind(caller)
    .bind(key)
    .bind(response)
    .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.subject.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.payload.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| sqlx::types::Json(&e.headers))
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}
