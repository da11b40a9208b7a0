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
use crate::outbox::{self, OutboxEvent, RelayWaker};

/// The key of one mutating call: who called which RPC with which client key
/// and request. A call without a client key is not idempotent by key (the
/// use case may still have a natural one, such as a 12345 order number).
#[derive(Debug, Clone)]
pub struct CallKey(Option<IdempotencyKey>);

impl CallKey {
    /// Returns the key of `rpc` called by `caller` with the client's `key`
    /// and `request`; the request's encoding is hashed, so the same key with
    /// another request is refused rather than answered wrongly.
    pub fn new(caller: &Caller, rpc: &'static str, key: &str, request: &impl Message) -> Self {
        Self(IdempotencyKey::new(
            &caller.subject,
            rpc,
            key.trim(),
            request,
        ))
    }

    /// Returns the key of a call made by `subject` (a service acting on its
    /// own, such as a consumer turning an event into a call).
    pub fn of_subject(subject: &str, rpc: &'static str, key: &str, request: &impl Message) -> Self {
        Self(IdempotencyKey::new(subject, rpc, key.trim(), request))
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

    /// Returns the pool, for reads outside any unit of work.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Returns the current time.
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
        let mut txn = self.pool.begin().await?;
        if !crate::inbox::claim(&mut txn, consumer, event.event_id, &event.subject).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        Ok(Some(self.work(txn, None)))
    }

    /// Begins background work (a timer firing, a sweep): a transaction
    /// whose events are published on commit.
    ///
    /// # Errors
    /// The database failed.
    pub async fn begin_job(&self) -> Result<Work<()>, AppError> {
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
        if let Some(key) = &self.key {
            idempotency::complete(&mut self.txn, key, &answer).await?;
        }
        for event in &self.events {
            outbox::enqueue(&mut self.txn, event).await?;
        }
        self.txn.commit().await?;
        if !self.events.is_empty() {
            self.waker.wake();
        }
        Ok(answer)
    }
}
