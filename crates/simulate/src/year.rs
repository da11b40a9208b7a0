//! A year of Langxia's ticket traffic replayed through the real services.
//!
//! It starts the grid registry and ticket dispatch in this process, on
//! databases of their own (created here, dropped at the end) over the
//! PostgreSQL and NATS that `make run` uses, loads the Langxia data set
//! through the registry's API, then generates the year: at least the
//! source's volumes (622 12345 orders, 44 non-police 110 incidents, 103
//! hazards found by patrols) plus villager reports, times the scale.
//! Simulated handlers — the desk, micro-grid leaders, departments — act
//! through the dispatch API at realistic delays. Time is a manual clock the
//! replay moves from one action to the next, so a year takes minutes and
//! every deadline timer fires at its simulated moment.
//!
//! The same plan runs with supervision (warnings at fractions of the
//! allowed time, a breach sending the ticket up its chain) or without it
//! (breaches only recorded). Supervised, a handler told of a warning, or a
//! unit an escalation hands the ticket to, acts soon after; unsupervised,
//! a forgotten ticket waits as long as its handler takes. Each ticket draws
//! its delays from a generator of its own, so both runs see the same
//! arrivals and the same handlers. At the end the dispatch stream's own
//! count of its events is taken, to check the report against.
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use platform::auth::Role;
use platform::clock::{Clock as _, ManualClock};
use platform::grpc::client::Outgoing;
use platform::testing::Served;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::plan::{self, Arrival, Rng, Step};

/// What one replay runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Multiplies every volume (1 = the source's year).
    pub scale: f64,
    /// The year to simulate (its holidays should be in the calendar).
    pub year: i32,
    /// Villager reports through the mini-program, before scaling.
    pub villager_reports: u32,
    /// Seed of the traffic generator.
    pub seed: u64,
    /// Warnings and escalation on (the town's practice) or off.
    pub supervision: bool,
    /// Keep the replay's databases afterwards (to look at them).
    pub keep: bool,
}

/// What one replay found.
pub struct Year {
    pub options: Options,
    /// Tickets replayed, every one closed or rejected at the end.
    pub tickets: usize,
    /// Dispatch's statistics over the year.
    pub stats: pb::GetStatisticsResponse,
    /// The village assessment over the year.
    pub assessment: pb::GetAssessmentResponse,
    /// The DISPATCH stream's own count of messages per subject (without
    /// the prefix), taken after dispatch's outbox was empty.
    pub stream: BTreeMap<String, u64>,
    /// Handlers that acted sooner because supervision told them.
    pub prompted: usize,
    /// Wall-clock time the replay took.
    pub took: Duration,
}

impl Year {
    /// Returns the stream's count of `subject` (`dispatch.ticket.closed`).
    pub fn events(&self, subject: &str) -> u64 {
        self.stream.get(subject).copied().unwrap_or(0)
    }
}

/// A step planned for a ticket: when, which ticket, the ticket's
/// generation it was planned in, and what.
type Planned = (DateTime<Utc>, usize, u32, Step);

type Dispatch = DispatchServiceClient<InterceptedService<Channel, Outgoing>>;

struct Env {
    admin: PgPool,
    databases: Vec<String>,
}

impl Env {
    async fn database(&mut self, base: &str, name: &str) -> anyhow::Result<PgPool> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&self.admin)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&self.admin)
            .await?;
        self.databases.push(name.to_owned());
        Ok(PgPoolOptions::new()
            .max_connections(10)
            .connect(&format!("{base}/{name}"))
            .await?)
    }

    async fn drop_all(&self) {
        for name in &self.databases {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&self.admin)
            .await;
        }
    }
}

/// Clients per role and scope, made once.
struct Actors {
    addr: String,
    clients: HashMap<(Role, String), Dispatch>,
}

impl Actors {
    async fn client(&mut self, role: Role, scope: &str) -> anyhow::Result<Dispatch> {
        let key = (role, scope.to_owned());
        if let Some(client) = self.clients.get(&key) {
            return Ok(client.clone());
        }
        let scope = (!scope.is_empty()).then_some(scope);
        let token = grid_registry::testing::token(role, scope);
        let channel = Channel::from_shared(self.addr.clone())?.connect().await?;
        let client = DispatchServiceClient::with_interceptor(channel, Outgoing::bearer(&token)?);
        self.clients.insert(key, client.clone());
        Ok(client)
    }

    /// The desk (the town operations centre).
    async fn desk(&mut self) -> anyhow::Result<Dispatch> {
        self.client(Role::TownOperator, "").await
    }

    /// Whoever holds the ticket now.
    async fn holder(&mut self, ticket: &pb::Ticket) -> anyhow::Result<Dispatch> {
        let unit = ticket.assignee.clone().unwrap_or_default();
        match unit.kind.as_str() {
            "MICRO_GRID" => self.client(Role::MicroGridLeader, &unit.code).await,
            "DEPARTMENT" => self.client(Role::DepartmentOfficer, &unit.code).await,
            "WORKSTATION" => self.client(Role::WorkstationStaff, &unit.code).await,
            _ => self.desk().await,
        }
    }
}

use platform::time::timestamp as stamp;

/// Replays the year of `options` on databases made beside `admin_url`'s
/// and returns what it found.
///
/// # Errors
/// PostgreSQL or NATS fail, a service does not start, or a call fails in a
/// way no handler expects.
pub async fn replay(options: Options, admin_url: &str) -> anyhow::Result<Year> {
    anyhow::ensure!(
        options.scale > 0.0 && options.scale <= 200.0,
        "--scale must be between 0 and 200"
    );
    let started = Instant::now();
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin_url.to_owned());
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    let mut env = Env {
        admin,
        databases: Vec::new(),
    };
    let outcome = run(&options, &base, &mut env).await;
    if !options.keep {
        env.drop_all().await;
    }
    let mut year = outcome?;
    year.took = started.elapsed();
    Ok(year)
}

async fn run(args: &Options, base: &str, env: &mut Env) -> anyhow::Result<Year> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let year_start = tz
        .with_ymd_and_hms(args.year, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
        .with_timezone(&Utc);
    let year_end = tz
        .with_ymd_and_hms(args.year + 1, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
        .with_timezone(&Utc);
    let clock = ManualClock::new(year_start - TimeDelta::days(1));
    let prefix = platform::testing::unique_prefix();
    let id = std::process::id();

    // The registry, with the town.
    let registry_pool = env
        .database(base, &format!("weigrid_year_registry_{id}"))
        .await?;
    let config = grid_registry::testing::test_config(&prefix, &[]);
    let mut registry =
        Served::<grid_registry::App>::try_start(registry_pool, config, Arc::new(clock.clone()))
            .await?;
    let registry_addr = registry.addr();
    let town = langxia::generate();
    eprintln!("loading Langxia into the registry…");
    let mut operator = weigrid_cli::connect::registry(
        &format!("http://{registry_addr}"),
        &weigrid_cli::connect::Identity {
            token: Some(grid_registry::testing::token(Role::TownOperator, None)),
            role: Role::TownOperator,
            scope: None,
            subject: "replay".into(),
            dev_secret: String::new(),
            tls: weigrid_cli::connect::Tls::default(),
        },
    )
    .await?;
    weigrid_cli::load::load(&operator, &town).await?;
    let _ = weigrid_cli::load::is_loaded(&mut operator).await?;

    // Dispatch, over the same clock.
    let dispatch_pool = env
        .database(base, &format!("weigrid_year_dispatch_{id}"))
        .await?;
    let mut overrides = std::collections::HashMap::new();
    for (k, v) in [
        ("AUTH__MODE", "dev".to_owned()),
        ("GRPC__LISTEN", "127.0.0.1:0".to_owned()),
        ("METRICS__ENABLED", "false".to_owned()),
        ("NATS__PREFIX", prefix.clone()),
        (
            "CLIENTS__REGISTRY__ENDPOINT",
            format!("http://{registry_addr}"),
        ),
        ("WORKERS__TIMER_INTERVAL", "10ms".to_owned()),
        ("DEADLINES__ESCALATE", args.supervision.to_string()),
    ] {
        overrides.insert(format!("WEIGRID_DISPATCH__{k}"), v);
    }
    if !args.supervision {
        overrides.insert(
            "WEIGRID_DISPATCH__DEADLINES__WARNING_FRACTIONS".into(),
            String::new(),
        );
    }
    if let Ok(url) = std::env::var("WEIGRID__NATS__URL") {
        overrides.insert("WEIGRID__NATS__URL".into(), url);
    }
    let config: ticket_dispatch::DispatchConfig =
        platform::config::load_from("dispatch", ticket_dispatch::config::DEFAULTS, &overrides)?;
    let nats = config.service.nats.clone();
    let mut dispatch = Served::<ticket_dispatch::App>::try_start(
        dispatch_pool.clone(),
        config,
        Arc::new(clock.clone()),
    )
    .await?;
    let addr = format!("http://{}", dispatch.addr());
    let mut actors = Actors {
        addr,
        clients: HashMap::new(),
    };

    // The year's arrivals, and a generator per ticket for its handlers'
    // delays and one for how soon a prompted handler acts.
    let mut rng = Rng::new(args.seed);
    let arrivals = plan::arrivals(
        &mut rng,
        &town,
        args.scale,
        args.villager_reports,
        year_start,
        year_end,
    );
    eprintln!(
        "replaying {} tickets of {} {} supervision…",
        arrivals.len(),
        args.year,
        if args.supervision { "with" } else { "without" }
    );
    let mut handlers: Vec<Rng> = (0..arrivals.len())
        .map(|i| Rng::new(args.seed ^ ((i as u64 + 1) << 20)))
        .collect();
    let mut prompts: Vec<Rng> = (0..arrivals.len())
        .map(|i| Rng::new(!args.seed ^ ((i as u64 + 1) << 20)))
        .collect();
    // (when, ticket, generation, step): a step planned before a ticket's
    // last prompt is stale and skipped.
    let mut queue: BinaryHeap<Reverse<Planned>> = BinaryHeap::new();
    for (i, arrival) in arrivals.iter().enumerate() {
        queue.push(Reverse((arrival.at, i, 0, Step::Arrive)));
    }
    let mut ids: Vec<Option<String>> = vec![None; arrivals.len()];
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut returned: Vec<bool> = vec![false; arrivals.len()];
    let mut generation: Vec<u32> = vec![0; arrivals.len()];
    let mut planned: Vec<Option<DateTime<Utc>>> = vec![None; arrivals.len()];
    // The last answer about each ticket: a handler acts on what it was
    // told, and looks again only when a move is refused or it is prompted.
    let mut known: Vec<Option<pb::Ticket>> = vec![None; arrivals.len()];
    let mut done = 0usize;
    let mut prompted = 0usize;
    while let Some(Reverse((at, i, planned_in, step))) = queue.pop() {
        if planned_in != generation[i] {
            continue;
        }
        if at > clock.now() {
            clock.set(at);
            settle_timers(&dispatch_pool, at).await?;
            if args.supervision {
                // 督办: whoever holds a warned or escalated ticket is told,
                // and acts soon unless they were about to anyway.
                for ticket in supervised(&dispatch_pool, at).await? {
                    let Some(&j) = by_id.get(&ticket) else {
                        continue;
                    };
                    let soon = at + plan::Delays::of(arrivals[j].channel).prompt(&mut prompts[j]);
                    if planned[j].is_some_and(|p| p > soon) {
                        generation[j] += 1;
                        planned[j] = Some(soon);
                        known[j] = None;
                        queue.push(Reverse((soon, j, generation[j], Step::Next)));
                        prompted += 1;
                    }
                }
            }
        }
        let next = act(
            &mut actors,
            &mut handlers[i],
            &arrivals[i],
            &mut ids[i],
            &mut returned[i],
            &mut known[i],
            step,
        )
        .await?;
        if step == Step::Arrive
            && let Some(id) = &ids[i]
        {
            by_id.insert(id.clone(), i);
        }
        match next {
            Some((delay, step)) => {
                planned[i] = Some(at + delay);
                queue.push(Reverse((at + delay, i, generation[i], step)));
            }
            None => {
                planned[i] = None;
                done += 1;
                if done.is_multiple_of(1000) {
                    eprintln!(
                        "  {done} of {} tickets closed (simulated {})",
                        arrivals.len(),
                        at.with_timezone(&tz).format("%Y-%m-%d")
                    );
                }
            }
        }
    }
    let mut desk = actors.desk().await?;
    let stats = desk
        .get_statistics(pb::GetStatisticsRequest {
            from: Some(stamp(year_start)),
            to: Some(stamp(year_end)),
            group_by: 0,
            keys: Vec::new(),
        })
        .await?
        .into_inner();
    let assessment = desk
        .get_assessment(pb::GetAssessmentRequest {
            from: Some(stamp(year_start)),
            to: Some(stamp(year_end)),
        })
        .await?
        .into_inner();
    // The stream's own count, once every event is out of the outbox.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(&dispatch_pool)
                .await?;
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{left} dispatch events still unpublished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stream = stream_counts(&nats).await?;
    // Stop both services cleanly before the databases go.
    drop(actors);
    drop(desk);
    dispatch.stop().await?;
    registry.stop().await?;
    Ok(Year {
        options: args.clone(),
        tickets: done,
        stats,
        assessment,
        stream,
        prompted,
        took: Duration::ZERO,
    })
}

/// Returns the tickets whose warning or breach timer fired at `at`.
async fn supervised(pool: &PgPool, at: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    let tickets: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT DISTINCT ticket_id FROM ticket_timers WHERE fired_at = $1")
            .bind(at)
            .fetch_all(pool)
            .await?;
    Ok(tickets.into_iter().map(|t| t.to_string()).collect())
}

/// Returns the DISPATCH stream's count of messages per subject, the
/// prefix taken off.
async fn stream_counts(
    nats: &platform::config::NatsConfig,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let bus = platform::events::Bus::connect(nats).await?;
    let name = bus.stream_name(&ticket_dispatch::events::STREAM);
    let stream = bus
        .jetstream()
        .get_stream(&name)
        .await
        .with_context(|| format!("opening the stream {name}"))?;
    let mut subjects = stream.info_with_subjects(">").await?;
    let mut counts = BTreeMap::new();
    while let Some((subject, n)) = futures::TryStreamExt::try_next(&mut subjects).await? {
        counts.insert(bus.strip_prefix(&subject).to_owned(), n as u64);
    }
    Ok(counts)
}

/// Waits until dispatch's timer worker has fired every timer due at `now`.
async fn settle_timers(pool: &PgPool, now: DateTime<Utc>) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let due: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ticket_timers WHERE fired_at IS NULL AND fire_at <= $1",
        )
        .bind(now)
        .fetch_one(pool)
        .await?;
        if due == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{due} deadline timers were not fired"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Performs one step of a ticket's life and plans the next: returns the
/// delay and step, or `None` once the ticket is closed.
async fn act(
    actors: &mut Actors,
    rng: &mut Rng,
    arrival: &Arrival,
    id: &mut Option<String>,
    returned: &mut bool,
    known: &mut Option<pb::Ticket>,
    step: Step,
) -> anyhow::Result<Option<(TimeDelta, Step)>> {
    let mut desk = actors.desk().await?;
    if step == Step::Arrive {
        let ticket = desk
            .create_ticket(arrival.request.clone())
            .await?
            .into_inner()
            .ticket
            .context("created ticket")?;
        *id = Some(ticket.id.clone());
        *known = Some(ticket.clone());
        let delays = plan::Delays::of(arrival.channel);
        // At the desk it waits to be dispatched; a simple case is already
        // with its micro-grid, waiting to be signed for.
        let wait = if ticket.state() == pb::TicketState::Received {
            delays.desk(rng)
        } else {
            delays.accept(rng)
        };
        return Ok(Some((wait, Step::Next)));
    }
    let ticket = match known.take() {
        Some(ticket) => ticket,
        None => {
            let ticket_id = id.clone().context("a ticket before its arrival")?;
            desk.get_ticket(pb::GetTicketRequest {
                id: ticket_id,
                ..Default::default()
            })
            .await?
            .into_inner()
            .ticket
            .context("ticket")?
        }
    };
    let channel = arrival.channel;
    let delays = plan::Delays::of(channel);
    use pb::TicketState as S;
    let outcome = match ticket.state() {
        S::Received | S::Returned if ticket.unrouted => {
            return Ok(Some((TimeDelta::minutes(10), Step::Next)));
        }
        // A duplicate closes with the ticket it repeats.
        S::Received if !ticket.duplicate_of.is_empty() => {
            return Ok(Some((TimeDelta::hours(12), Step::Next)));
        }
        S::Received | S::Returned => desk
            .dispatch_ticket(pb::DispatchTicketRequest {
                ticket_id: ticket.id.clone(),
                ..Default::default()
            })
            .await
            .map(|r| (r.into_inner().ticket, delays.accept(rng))),
        S::Dispatched if !*returned && rng.chance(0.04) => {
            *returned = true;
            let back = pb::ReturnTicketRequest {
                ticket_id: ticket.id.clone(),
                reason: pb::ReturnReason::BeyondOurMeans.into(),
                note: "力量不足，需上级协调".into(),
                ..Default::default()
            };
            actors
                .holder(&ticket)
                .await?
                .return_ticket(back)
                .await
                .map(|r| (r.into_inner().ticket, delays.desk(rng)))
        }
        S::Dispatched | S::Reopened => actors
            .holder(&ticket)
            .await?
            .accept_ticket(pb::AcceptTicketRequest {
                ticket_id: ticket.id.clone(),
                ..Default::default()
            })
            .await
            .map(|r| (r.into_inner().ticket, delays.resolve(rng))),
        S::Accepted | S::InProgress => {
            let resolve = pb::ResolveTicketRequest {
                ticket_id: ticket.id.clone(),
                result: "已处置并反馈".into(),
                ..Default::default()
            };
            actors
                .holder(&ticket)
                .await?
                .resolve_ticket(resolve)
                .await
                .map(|r| (r.into_inner().ticket, delays.verify(rng)))
        }
        S::Resolved => {
            let verified_true = rng.chance(0.97);
            let verify = pb::VerifyTicketRequest {
                ticket_id: ticket.id.clone(),
                verified_true,
                note: if verified_true {
                    String::new()
                } else {
                    "核查未整改到位".into()
                },
                ..Default::default()
            };
            desk.verify_ticket(verify)
                .await
                .map(|r| (r.into_inner().ticket, delays.follow_up(rng)))
        }
        S::Verified if channel == pb::Channel::GridPatrol || rng.chance(0.08) => desk
            .close_ticket(pb::CloseTicketRequest {
                ticket_id: ticket.id.clone(),
                reporter_unreachable: true,
                ..Default::default()
            })
            .await
            .map(|r| (r.into_inner().ticket, TimeDelta::zero())),
        S::Verified => {
            let follow_up = pb::FollowUpTicketRequest {
                ticket_id: ticket.id.clone(),
                satisfaction: plan::satisfaction(
                    rng,
                    ticket
                        .history
                        .iter()
                        .filter(|h| h.action() == pb::Action::Reopen)
                        .count(),
                ),
                ..Default::default()
            };
            desk.follow_up_ticket(follow_up)
                .await
                .map(|r| (r.into_inner().ticket, delays.close(rng)))
        }
        S::FollowedUp => desk
            .close_ticket(pb::CloseTicketRequest {
                ticket_id: ticket.id.clone(),
                ..Default::default()
            })
            .await
            .map(|r| (r.into_inner().ticket, TimeDelta::zero())),
        S::Closed | S::Rejected => return Ok(None),
        // The year's desk refers nothing; a ticket under review waits for
        // its decision.
        S::UnderReview => return Ok(Some((TimeDelta::days(1), Step::Next))),
        S::Unspecified => anyhow::bail!("ticket {} in an unknown state", ticket.number),
    };
    match outcome {
        Ok((ticket, delay)) => {
            *known = ticket;
            Ok(Some((delay, Step::Next)))
        }
        // Something moved under the handler (an escalation changed the
        // holder): look again shortly.
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::FailedPrecondition
                    | tonic::Code::PermissionDenied
                    | tonic::Code::NotFound
            ) =>
        {
            Ok(Some((TimeDelta::minutes(5), Step::Next)))
        }
        Err(status) => Err(status.into()),
    }
}
