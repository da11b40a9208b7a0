//! `weigrid-year`: a year of Langxia's ticket traffic replayed through the
//! real services.
//!
//! It starts the grid registry and ticket dispatch in this process, on
//! databases of their own (created here, dropped at the end) over the
//! PostgreSQL and NATS that `make run` uses, loads the Langxia data set
//! through the registry's API, then generates the year: at least the
//! source's volumes (622 12345 orders, 44 non-police 110 incidents, 103
//! hazards found by patrols) plus villager reports, times `--scale`.
//! Simulated handlers — the desk, micro-grid leaders, departments — act
//! through the dispatch API at realistic delays. Time is a manual clock the
//! replay moves from one action to the next, so a year takes minutes and
//! every deadline timer fires at its simulated moment. At the end it prints
//! the annual report from dispatch's statistics.

mod plan;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use clap::Parser;
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

use crate::plan::{Arrival, Rng, Step};

#[derive(Parser)]
#[command(
    name = "weigrid-year",
    about = "Replays a year of Langxia's tickets through the real services"
)]
struct Args {
    /// Multiplies every volume (1 = the source's year).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// The year to simulate (its holidays should be in the calendar).
    #[arg(long, default_value_t = 2026)]
    year: i32,
    /// Villager reports through the mini-program, before scaling.
    #[arg(long, default_value_t = 300)]
    villager_reports: u32,
    /// Seed of the traffic generator.
    #[arg(long, default_value_t = 2022)]
    seed: u64,
    /// Keep the replay's databases afterwards (to look at them).
    #[arg(long)]
    keep: bool,
}

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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.scale > 0.0 && args.scale <= 50.0,
        "--scale must be between 0 and 50"
    );
    // Escalations and warnings are part of the year; the report tells them.
    platform::telemetry::init_quiet("error");
    let started = Instant::now();
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin_url.clone());
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    let mut env = Env {
        admin,
        databases: Vec::new(),
    };
    let outcome = run(&args, &base, &mut env).await;
    if !args.keep {
        env.drop_all().await;
    }
    let report = outcome?;
    println!("{report}");
    println!("replayed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn run(args: &Args, base: &str, env: &mut Env) -> anyhow::Result<String> {
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
    ] {
        overrides.insert(format!("WEIGRID_DISPATCH__{k}"), v);
    }
    if let Ok(url) = std::env::var("WEIGRID__NATS__URL") {
        overrides.insert("WEIGRID__NATS__URL".into(), url);
    }
    let config: ticket_dispatch::DispatchConfig =
        platform::config::load_from("dispatch", ticket_dispatch::config::DEFAULTS, &overrides)?;
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

    // The year's arrivals.
    let mut rng = Rng::new(args.seed);
    let arrivals = plan::arrivals(
        &mut rng,
        &town,
        args.scale,
        args.villager_reports,
        year_start,
        year_end,
    );
    eprintln!("replaying {} tickets of {}…", arrivals.len(), args.year);
    let mut queue: BinaryHeap<Reverse<(DateTime<Utc>, usize, Step)>> = BinaryHeap::new();
    for (i, arrival) in arrivals.iter().enumerate() {
        queue.push(Reverse((arrival.at, i, Step::Arrive)));
    }
    let mut ids: Vec<Option<String>> = vec![None; arrivals.len()];
    let mut returned: Vec<bool> = vec![false; arrivals.len()];
    // The last answer about each ticket: a handler acts on what it was
    // told, and looks again only when a move is refused.
    let mut known: Vec<Option<pb::Ticket>> = vec![None; arrivals.len()];
    let mut done = 0usize;
    while let Some(Reverse((at, i, step))) = queue.pop() {
        if at > clock.now() {
            clock.set(at);
            settle_timers(&dispatch_pool, at).await?;
        }
        let next = act(
            &mut actors,
            &mut rng,
            &arrivals[i],
            &mut ids[i],
            &mut returned[i],
            &mut known[i],
            step,
        )
        .await?;
        match next {
            Some((delay, step)) => queue.push(Reverse((at + delay, i, step))),
            None => {
                done += 1;
                if done.is_multiple_of(100) {
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
    let mut report = format!(
        "A year in Langxia, {} (scale {}): {} tickets, all closed\n\n",
        args.year, args.scale, done
    );
    report += &weigrid_cli::ticket::report_text(&stats);
    // Stop both services cleanly (their outboxes flushed) before the
    // databases go.
    drop(actors);
    drop(desk);
    dispatch.stop().await?;
    registry.stop().await?;
    let mut villages = assessment.villages;
    villages.sort_by(|a, b| b.weighted.total_cmp(&a.weighted));
    report += "\nVillage assessment (score × weight):\n";
    for v in villages.iter().take(12) {
        report += &format!(
            "  {:<8} {:<6} {:<12} {:>5.1} × {:.2} = {:>5.2}\n",
            v.village_code, v.village_name, v.kind, v.score, v.weight, v.weighted
        );
    }
    Ok(report)
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

fn transition(ticket: &pb::Ticket, action: pb::Action) -> pb::TransitionRequest {
    pb::TransitionRequest {
        ticket_id: ticket.id.clone(),
        action: action.into(),
        ..Default::default()
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
            .transition(transition(&ticket, pb::Action::Dispatch))
            .await
            .map(|r| (r.into_inner().ticket, delays.accept(rng))),
        S::Dispatched if !*returned && rng.chance(0.04) => {
            *returned = true;
            let mut back = transition(&ticket, pb::Action::Return);
            back.reason = "力量不足，需上级协调".into();
            back.return_reason = pb::ReturnReason::BeyondOurMeans.into();
            actors
                .holder(&ticket)
                .await?
                .transition(back)
                .await
                .map(|r| (r.into_inner().ticket, delays.desk(rng)))
        }
        S::Dispatched | S::Reopened => actors
            .holder(&ticket)
            .await?
            .transition(transition(&ticket, pb::Action::Accept))
            .await
            .map(|r| (r.into_inner().ticket, delays.resolve(rng))),
        S::Accepted | S::InProgress => {
            let mut resolve = transition(&ticket, pb::Action::Resolve);
            resolve.result = "已处置并反馈".into();
            actors
                .holder(&ticket)
                .await?
                .transition(resolve)
                .await
                .map(|r| (r.into_inner().ticket, delays.verify(rng)))
        }
        S::Resolved => {
            let mut verify = transition(&ticket, pb::Action::Verify);
            verify.verified_true = rng.chance(0.97);
            verify.reason = if verify.verified_true {
                String::new()
            } else {
                "核查未整改到位".into()
            };
            desk.transition(verify)
                .await
                .map(|r| (r.into_inner().ticket, delays.follow_up(rng)))
        }
        S::Verified if channel == pb::Channel::GridPatrol || rng.chance(0.08) => {
            let mut close = transition(&ticket, pb::Action::Close);
            close.reporter_unreachable = true;
            desk.transition(close)
                .await
                .map(|r| (r.into_inner().ticket, TimeDelta::zero()))
        }
        S::Verified => {
            let mut follow_up = transition(&ticket, pb::Action::FollowUp);
            follow_up.satisfaction = plan::satisfaction(
                rng,
                ticket
                    .history
                    .iter()
                    .filter(|h| h.action() == pb::Action::Reopen)
                    .count(),
            );
            desk.transition(follow_up)
                .await
                .map(|r| (r.into_inner().ticket, delays.close(rng)))
        }
        S::FollowedUp => desk
            .transition(transition(&ticket, pb::Action::Close))
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
