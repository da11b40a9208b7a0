//! `weigrid`: the command-line client for every weigrid service.
//!
//! It acts as a role of your choosing: with `--token` (or `WEIGRID_TOKEN`)
//! it sends that token; otherwise it mints a development token for `--role`
//! and `--scope` with the development secret, which services accept only in
//! `auth.mode = "dev"`.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use platform::auth::Role;
use proto::registry::v1 as pb;
use serde_json::{Value, json};
use weigrid_cli::connect::{self, DEV_SECRET, Identity};
use weigrid_cli::points::{self, PointsCommand};
use weigrid_cli::ticket::{self, TicketCommand};
use weigrid_cli::{load, render};

#[derive(Parser)]
#[command(
    name = "weigrid",
    version,
    about = "Command-line client for weigrid, the grassroots-governance platform"
)]
struct Cli {
    /// Grid registry address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_REGISTRY_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    registry: String,
    /// Ticket dispatch address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_DISPATCH_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    dispatch: String,
    /// Points address.
    #[arg(
        long,
        global = true,
        env = "WEIGRID_POINTS_URL",
        default_value = "http://127.0.0.1:50055"
    )]
    points: String,
    /// Bearer token from the identity provider; without it a development
    /// token is minted for --role and --scope.
    #[arg(long, global = true, env = "WEIGRID_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Role to act as (town_operator, workstation_staff, micro_grid_leader,
    /// member, department_officer, reviewer, resident, service).
    #[arg(
        long,
        global = true,
        env = "WEIGRID_ROLE",
        default_value = "town_operator"
    )]
    role: Role,
    /// Grid code the role is scoped to (a village for workstation staff).
    #[arg(long, global = true, env = "WEIGRID_SCOPE")]
    scope: Option<String>,
    /// Who you are, recorded by services (audit trails, events).
    #[arg(long, global = true, env = "WEIGRID_SUBJECT", default_value = "cli")]
    subject: String,
    /// Secret for development tokens (services' auth.dev_secret).
    #[arg(long, global = true, env = "WEIGRID_DEV_SECRET", default_value = DEV_SECRET, hide_default_value = true)]
    dev_secret: String,
    /// Output format.
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Prints a development token for --role and --scope (for grpcurl and friends).
    Token,
    /// The grid registry: grids, members, objects, responsibility.
    #[command(subcommand)]
    Grid(GridCommand),
    /// Loads a data set through the public API.
    #[command(subcommand)]
    Seed(SeedCommand),
    /// Ticket dispatch: take in, dispatch and follow tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// Villagers' points: residents, reports, balances, the catalogue.
    #[command(subcommand)]
    Points(PointsCommand),
    /// Statistics of the tickets received in a period, and the annual report.
    Stats {
        /// A calendar year (Shanghai time).
        #[arg(long)]
        year: Option<i32>,
        /// First day, YYYY-MM-DD (with --to).
        #[arg(long)]
        from: Option<String>,
        /// Day after the last, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// channel, unit or village.
        #[arg(long, default_value = "channel")]
        by: String,
        /// Print the assessment of villages instead.
        #[arg(long)]
        assessment: bool,
    },
}

#[derive(Subcommand)]
enum GridCommand {
    /// Lists grids.
    List {
        /// TOWN, VILLAGE, RESIDENTIAL, AREA or MICRO.
        #[arg(long)]
        level: Option<String>,
        /// Only children of this grid.
        #[arg(long)]
        parent: Option<String>,
    },
    /// Shows one grid with its ancestors.
    Show { code: String },
    /// Names the micro-grid containing a point.
    Resolve {
        /// Latitude, e.g. 30.80.
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        /// Longitude, e.g. 121.19.
        #[arg(allow_negative_numbers = true)]
        lng: f64,
    },
    /// Lists who is responsible for a place or an object in a safety domain.
    Responsible {
        /// A point as LAT,LNG.
        #[arg(long, conflicts_with = "object", required_unless_present = "object")]
        at: Option<String>,
        /// A covered object's code, e.g. ENT-0001.
        #[arg(long)]
        object: Option<String>,
        /// Safety domain code, e.g. PRODUCTION_SAFETY.
        #[arg(long)]
        domain: String,
    },
    /// Lists micro-grids lacking people and objects outside every micro-grid.
    Coverage {
        /// Only under this grid.
        #[arg(long)]
        grid: Option<String>,
    },
    /// Lists the members serving in a grid.
    Members {
        code: String,
        /// Include every grid below.
        #[arg(long)]
        all: bool,
    },
    /// Lists covered objects.
    Objects {
        /// SHOP, SCHOOL, ENTERPRISE, COOPERATIVE, RIVER, FOREST_PARCEL, ROAD,
        /// FARMLAND, GARBAGE_POINT or KEY_POINT.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        grid: Option<String>,
    },
    /// Lists departments and what they answer for.
    Departments,
    /// Imports grids and objects from a GeoJSON FeatureCollection.
    Import {
        file: std::path::PathBuf,
        /// Only validate, listing every invalid feature.
        #[arg(long)]
        dry_run: bool,
    },
    /// Exports the overview map as GeoJSON.
    Export {
        /// Grid levels to include (repeatable); all when absent.
        #[arg(long)]
        level: Vec<String>,
        /// Object kinds to include (repeatable).
        #[arg(long)]
        kind: Vec<String>,
        /// Include every covered object.
        #[arg(long)]
        all_objects: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Lists special-care people (masked; the read is audited).
    Care {
        /// Why you read this data; recorded.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        grid: Option<String>,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// Loads the Langxia town data set into the registry (skipped when there).
    Langxia {
        /// Load even when the town grid exists (each call is idempotent).
        #[arg(long)]
        force: bool,
    },
}

/// A failure to report: a gRPC status, or anything else.
enum Failure {
    Status(tonic::Status),
    Other(anyhow::Error),
}

impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Self {
        Failure::Status(status)
    }
}

impl From<anyhow::Error> for Failure {
    /// A service's status inside an error is reported as the status.
    fn from(err: anyhow::Error) -> Self {
        match err.downcast::<tonic::Status>() {
            Ok(status) => Failure::Status(status),
            Err(err) => Failure::Other(err),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = cli.output;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Status(status)) => {
            match output {
                Output::Json => println!("{}", render::status_json(&status)),
                Output::Text => eprintln!("error: {}", render::status(&status)),
            }
            ExitCode::FAILURE
        }
        Err(Failure::Other(err)) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn print(output: Output, value: &Value, text: impl FnOnce() -> String) {
    match output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).expect("JSON values serialise")
        ),
        Output::Text => {
            let text = text();
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", text.trim_end());
        }
    }
}

fn parse_enum<T>(
    value: &str,
    prefix: &str,
    from: impl Fn(&str) -> Option<T>,
    field: &str,
) -> anyhow::Result<T> {
    from(&format!(
        "{prefix}{}",
        value.trim().to_uppercase().replace('-', "_")
    ))
    .with_context(|| format!("--{field}: unknown value {value:?}"))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let identity = Identity {
        token: cli.token.clone(),
        role: cli.role,
        scope: cli.scope.clone(),
        subject: cli.subject.clone(),
        dev_secret: cli.dev_secret.clone(),
    };
    let output = cli.output;
    match cli.command {
        Command::Token => {
            println!("{}", identity.bearer());
            Ok(())
        }
        Command::Seed(SeedCommand::Langxia { force }) => {
            let mut registry = connect::registry(&cli.registry, &identity).await?;
            if !force && load::is_loaded(&mut registry).await? {
                print(
                    output,
                    &json!({ "loaded": false, "reason": "already loaded" }),
                    || "the Langxia data set is already loaded (use --force to load again)".into(),
                );
                return Ok(());
            }
            let town = langxia::generate();
            let report = load::load(&registry, &town).await?;
            let value = json!({
                "loaded": true, "grids": report.grids, "members": report.members, "objects": report.objects,
                "care_people": report.care_people, "departments": report.departments, "domains": report.domains,
                "duties": report.duties, "already_present": report.already_present,
                "seconds": report.elapsed.as_secs_f64(),
            });
            print(output, &value, || {
                format!(
                    "loaded Langxia in {:.1} s: {} grids, {} members, {} covered objects, {} special-care people, \
                     {} departments, {} safety domains, {} duties ({} already present)",
                    report.elapsed.as_secs_f64(),
                    report.grids,
                    report.members,
                    report.objects,
                    report.care_people,
                    report.departments,
                    report.domains,
                    report.duties,
                    report.already_present
                )
            });
            Ok(())
        }
        Command::Grid(command) => {
            let mut registry = connect::registry(&cli.registry, &identity).await?;
            grid(&mut registry, output, command).await
        }
        Command::Ticket(command) => {
            let mut client = connect::dispatch(&cli.dispatch, &identity).await?;
            let (value, text) = ticket::run(&mut client, command).await?;
            print(output, &value, || text);
            Ok(())
        }
        Command::Points(command) => {
            let mut client = connect::points(&cli.points, &identity).await?;
            let (value, text) = points::run(&mut client, command).await?;
            print(output, &value, || text);
            Ok(())
        }
        Command::Stats {
            year,
            from,
            to,
            by,
            assessment,
        } => {
            let mut client = connect::dispatch(&cli.dispatch, &identity).await?;
            let (from, to) = ticket::period(year, from.as_deref(), to.as_deref())?;
            let stamp = platform::time::timestamp;
            if assessment {
                let villages = client
                    .get_assessment(proto::dispatch::v1::GetAssessmentRequest {
                        from: Some(stamp(from)),
                        to: Some(stamp(to)),
                    })
                    .await?
                    .into_inner()
                    .villages;
                let value = Value::Array(villages.iter().map(|v| json!({
                    "village": v.village_code, "name": v.village_name, "kind": v.kind, "tickets": v.tickets,
                    "five_chief": v.five_chief_score, "unified_management": v.unified_management_score,
                    "safety": v.safety_score, "score": v.score, "weight": v.weight, "weighted": v.weighted,
                })).collect());
                print(output, &value, || {
                    let mut text = format!(
                        "{:<10} {:<10} {:<12} {:>7} {:>9} {:>9} {:>9} {:>7} {:>8}\n",
                        "village",
                        "name",
                        "kind",
                        "tickets",
                        "五长制",
                        "一网统管",
                        "安全",
                        "score",
                        "weighted"
                    );
                    for v in &villages {
                        text += &format!(
                            "{:<10} {:<10} {:<12} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>7.1} {:>8.2}\n",
                            v.village_code,
                            v.village_name,
                            v.kind,
                            v.tickets,
                            v.five_chief_score,
                            v.unified_management_score,
                            v.safety_score,
                            v.score,
                            v.weighted
                        );
                    }
                    text
                });
                return Ok(());
            }
            let group_by = match by.as_str() {
                "channel" => 0,
                "unit" => 1,
                "village" => 2,
                other => {
                    return Err(
                        anyhow::anyhow!("--by: {other} is not channel, unit or village").into(),
                    );
                }
            };
            let stats = client
                .get_statistics(proto::dispatch::v1::GetStatisticsRequest {
                    from: Some(stamp(from)),
                    to: Some(stamp(to)),
                    group_by,
                })
                .await?
                .into_inner();
            let value = json!({
                "total": stats.total.as_ref().map(stats_json),
                "groups": stats.groups.iter().map(stats_json).collect::<Vec<_>>(),
            });
            print(output, &value, || ticket::report_text(&stats));
            Ok(())
        }
    }
}

async fn grid(
    registry: &mut connect::Registry,
    output: Output,
    command: GridCommand,
) -> Result<(), Failure> {
    match command {
        GridCommand::List { level, parent } => {
            let level = match level {
                Some(l) => {
                    parse_enum(&l, "GRID_LEVEL_", pb::GridLevel::from_str_name, "level")? as i32
                }
                None => 0,
            };
            let mut grids = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = registry
                    .list_grids(pb::ListGridsRequest {
                        level,
                        parent_code: parent.clone().unwrap_or_default(),
                        page_size: 1000,
                        page_token,
                        without_boundaries: true,
                    })
                    .await?
                    .into_inner();
                grids.extend(page.grids);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let value = Value::Array(grids.iter().map(render::grid).collect());
            print(output, &value, || {
                let mut text = format!(
                    "{:<16} {:<12} {:<12} {:>10}  name\n",
                    "code", "level", "parent", "households"
                );
                for g in &grids {
                    let households = if g.households == 0 {
                        String::new()
                    } else {
                        g.households.to_string()
                    };
                    text += &format!(
                        "{:<16} {:<12} {:<12} {:>10}  {}\n",
                        g.code,
                        render::level(g.level),
                        g.parent_code,
                        households,
                        g.name
                    );
                }
                text + &format!("{} grids", grids.len())
            });
        }
        GridCommand::Show { code } => {
            let found = registry
                .get_grid(pb::GetGridRequest {
                    code: code.clone(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            let grid = found.grid.unwrap_or_default();
            let mut value = render::grid(&grid);
            value["ancestors"] =
                Value::Array(found.ancestors.iter().map(render::grid_ref).collect());
            print(output, &value, || {
                let path: Vec<_> = found
                    .ancestors
                    .iter()
                    .map(|a| a.code.as_str())
                    .chain([grid.code.as_str()])
                    .collect();
                let mut text = format!(
                    "{} {}\n  level:       {}\n  path:        {}\n",
                    grid.code,
                    grid.name,
                    render::level(grid.level),
                    path.join(" → ")
                );
                if grid.households != 0 {
                    text += &format!(
                        "  households:  {}\n  party group: {}\n",
                        grid.households, grid.party_group
                    );
                }
                text += &format!("  version:     {}", grid.version);
                text
            });
        }
        GridCommand::Resolve { lat, lng } => {
            let resolved = registry
                .resolve_location(pb::ResolveLocationRequest {
                    location: Some(pb::LatLng { lat, lng }),
                })
                .await?
                .into_inner();
            let micro = resolved.micro_grid.unwrap_or_default();
            let value = json!({
                "micro_grid": render::grid_ref(&micro),
                "ancestors": resolved.ancestors.iter().map(render::grid_ref).collect::<Vec<_>>(),
                "also_on_border": resolved.also_on_border.iter().map(render::grid_ref).collect::<Vec<_>>(),
            });
            print(output, &value, || {
                let path: Vec<_> = resolved
                    .ancestors
                    .iter()
                    .map(|a| format!("{} {}", a.code, a.name))
                    .collect();
                let mut text = format!(
                    "{} {}\n  within: {}",
                    micro.code,
                    micro.name,
                    path.join(" → ")
                );
                if !resolved.also_on_border.is_empty() {
                    let others: Vec<_> = resolved
                        .also_on_border
                        .iter()
                        .map(|g| g.code.as_str())
                        .collect();
                    text += &format!("\n  on the border with: {}", others.join(", "));
                }
                text
            });
        }
        GridCommand::Responsible { at, object, domain } => {
            use pb::find_responsible_request::Target;
            let target = match (at, object) {
                (Some(at), _) => {
                    let (lat, lng) = at
                        .split_once(',')
                        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                        .context("--at takes LAT,LNG, e.g. 30.80,121.19")?;
                    Target::Location(pb::LatLng { lat, lng })
                }
                (None, Some(object)) => Target::ObjectCode(object),
                (None, None) => {
                    return Err(anyhow::anyhow!("give --at LAT,LNG or --object CODE").into());
                }
            };
            let found = registry
                .find_responsible(pb::FindResponsibleRequest {
                    target: Some(target),
                    domain_code: domain,
                })
                .await?
                .into_inner();
            let value = json!({
                "micro_grid": found.micro_grid.as_ref().map(render::grid_ref),
                "chain": found.chain.iter().map(render::party).collect::<Vec<_>>(),
            });
            print(output, &value, || {
                let lines: Vec<_> = found
                    .chain
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("{}. {}", i + 1, render::party_line(p)))
                    .collect();
                lines.join("\n")
            });
        }
        GridCommand::Coverage { grid } => {
            let report = registry
                .get_coverage_report(pb::GetCoverageReportRequest {
                    grid_code: grid.unwrap_or_default(),
                })
                .await?
                .into_inner();
            let gaps: Vec<Value> = report
                .gaps
                .iter()
                .map(|g| {
                    json!({
                        "micro_grid": g.micro_grid.as_ref().map(render::grid_ref),
                        "lacks_leader": g.lacks_leader, "lacks_party_instructor": g.lacks_party_instructor,
                        "lacks_member": g.lacks_member,
                    })
                })
                .collect();
            let value = json!({
                "micro_grids": report.micro_grids, "gaps": gaps,
                "uncovered_objects": report.uncovered_objects.iter().map(render::object).collect::<Vec<_>>(),
            });
            print(output, &value, || {
                let mut text = format!(
                    "{} micro-grids; {} lack someone; {} covered objects outside every micro-grid\n",
                    report.micro_grids,
                    report.gaps.len(),
                    report.uncovered_objects.len()
                );
                for g in &report.gaps {
                    let mut lacking = Vec::new();
                    for (missing, what) in [
                        (g.lacks_leader, "leader"),
                        (g.lacks_party_instructor, "party instructor"),
                        (g.lacks_member, "member"),
                    ] {
                        if missing {
                            lacking.push(what);
                        }
                    }
                    let code = g
                        .micro_grid
                        .as_ref()
                        .map(|m| m.code.as_str())
                        .unwrap_or_default();
                    text += &format!("  {code:<16} lacks {}\n", lacking.join(", "));
                }
                for o in &report.uncovered_objects {
                    text += &format!(
                        "  {:<16} {} {} is outside every micro-grid\n",
                        o.code,
                        render::kind(o.kind),
                        o.name
                    );
                }
                text
            });
        }
        GridCommand::Members { code, all } => {
            let members = registry
                .list_members(pb::ListMembersRequest {
                    grid_code: code,
                    include_descendants: all,
                })
                .await?
                .into_inner()
                .members;
            let value = Value::Array(members.iter().map(render::member).collect());
            print(output, &value, || {
                let mut text = String::new();
                for m in &members {
                    text += &format!(
                        "{:<16} {:<18} {:<8} {}\n",
                        m.grid_code,
                        render::role(m.role),
                        m.name,
                        m.phone_masked
                    );
                }
                text + &format!("{} members", members.len())
            });
        }
        GridCommand::Objects { kind, grid } => {
            let kind = match kind {
                Some(k) => {
                    parse_enum(&k, "OBJECT_KIND_", pb::ObjectKind::from_str_name, "kind")? as i32
                }
                None => 0,
            };
            let mut objects = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = registry
                    .list_objects(pb::ListObjectsRequest {
                        kind,
                        grid_code: grid.clone().unwrap_or_default(),
                        page_size: 1000,
                        page_token,
                    })
                    .await?
                    .into_inner();
                objects.extend(page.objects);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let value = Value::Array(objects.iter().map(render::object).collect());
            print(output, &value, || {
                let mut text = String::new();
                for o in &objects {
                    let risk = if o.high_risk { "high-risk" } else { "" };
                    text += &format!(
                        "{:<12} {:<14} {:<16} {:<9} {}\n",
                        o.code,
                        render::kind(o.kind),
                        o.micro_grid_code,
                        risk,
                        o.name
                    );
                }
                text + &format!("{} objects", objects.len())
            });
        }
        GridCommand::Departments => {
            let departments = registry
                .list_departments(pb::ListDepartmentsRequest {})
                .await?
                .into_inner()
                .departments;
            let value = Value::Array(
                departments
                    .iter()
                    .map(|d| {
                        json!({
                            "code": d.code, "name": d.name,
                            "kind": pb::DepartmentKind::try_from(d.kind).unwrap_or_default().as_str_name().trim_start_matches("DEPARTMENT_KIND_"),
                            "regulates": d.regulates.iter().map(|k| render::kind(*k)).collect::<Vec<_>>(),
                            "domains": d.domains,
                        })
                    })
                    .collect(),
            );
            print(output, &value, || {
                let mut text = String::new();
                for d in &departments {
                    let kinds: Vec<_> = d.regulates.iter().map(|k| render::kind(*k)).collect();
                    text += &format!(
                        "{:<20} {}\n  regulates: {}\n  domains:   {}\n",
                        d.code,
                        d.name,
                        kinds.join(", "),
                        d.domains.join(", ")
                    );
                }
                text
            });
        }
        GridCommand::Import { file, dry_run } => {
            let geojson = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let report = registry
                .import_geo_json(pb::ImportGeoJsonRequest {
                    idempotency_key: if dry_run {
                        String::new()
                    } else {
                        uuid::Uuid::now_v7().to_string()
                    },
                    geojson,
                    dry_run,
                })
                .await?
                .into_inner();
            let errors: Vec<Value> = report
                .errors
                .iter()
                .map(|e| json!({ "index": e.index, "field": e.field, "reason": e.reason }))
                .collect();
            let value = json!({ "dry_run": report.dry_run, "grids": report.grids, "objects": report.objects, "errors": errors });
            print(output, &value, || {
                let mut text = if report.dry_run {
                    format!(
                        "dry run: {} grids and {} objects would be imported",
                        report.grids, report.objects
                    )
                } else {
                    format!(
                        "imported {} grids and {} objects",
                        report.grids, report.objects
                    )
                };
                if !report.errors.is_empty() {
                    text += &format!("; {} invalid features:\n", report.errors.len());
                    for e in &report.errors {
                        text += &format!("  #{:<5} {}: {}\n", e.index, e.field, e.reason);
                    }
                }
                text
            });
            if !report.errors.is_empty() {
                return Err(anyhow::anyhow!(
                    "{} invalid features; nothing imported",
                    report.errors.len()
                )
                .into());
            }
        }
        GridCommand::Export {
            level,
            kind,
            all_objects,
            out,
        } => {
            let levels = level
                .iter()
                .map(|l| {
                    parse_enum(l, "GRID_LEVEL_", pb::GridLevel::from_str_name, "level")
                        .map(|l| l as i32)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let kinds = kind
                .iter()
                .map(|k| {
                    parse_enum(k, "OBJECT_KIND_", pb::ObjectKind::from_str_name, "kind")
                        .map(|k| k as i32)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let map = registry
                .export_map(pb::ExportMapRequest {
                    levels,
                    kinds,
                    include_all_objects: all_objects,
                })
                .await?
                .into_inner();
            match out {
                Some(path) => {
                    std::fs::write(&path, &map.geojson)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {} features to {}", map.features, path.display());
                }
                None => println!("{}", map.geojson),
            }
        }
        GridCommand::Care { purpose, grid } => {
            let people = registry
                .list_care_people(pb::ListCarePeopleRequest {
                    grid_code: grid.unwrap_or_default(),
                    purpose,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .people;
            let value = Value::Array(people.iter().map(render::care_person).collect());
            print(output, &value, || {
                let mut text = String::new();
                for p in &people {
                    text += &format!(
                        "{:<10} {:<16} {:<24} {:<6} {} {}\n",
                        p.code,
                        p.micro_grid_code,
                        render::category(p.category),
                        p.name_masked,
                        p.id_number_masked,
                        p.phone_masked
                    );
                }
                text + &format!("{} people (masked; this read was audited)", people.len())
            });
        }
    }
    Ok(())
}

fn stats_json(s: &proto::dispatch::v1::Statistics) -> Value {
    json!({
        "key": s.key, "received": s.received, "dispatched": s.dispatched, "resolved": s.resolved, "closed": s.closed,
        "closure_rate": s.closure_rate, "on_time_rate": s.on_time_rate, "resolution_rate": s.resolution_rate,
        "satisfaction_rate": s.satisfaction_rate, "rated": s.rated,
        "avg_minutes_to_dispatch": s.avg_minutes_to_dispatch, "p90_minutes_to_dispatch": s.p90_minutes_to_dispatch,
        "avg_minutes_to_sign": s.avg_minutes_to_sign, "p90_minutes_to_sign": s.p90_minutes_to_sign,
        "avg_hours_to_close": s.avg_hours_to_close, "p90_hours_to_close": s.p90_hours_to_close,
        "returns": s.returns, "extensions": s.extensions, "escalations": s.escalations,
        "hazards": s.hazards, "hazard_rectification_rate": s.hazard_rectification_rate,
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn every_command_and_flag_is_defined_once() {
        super::Cli::command().debug_assert();
    }

    /// Parsing reads every flag back by its id: a subcommand's flag that
    /// shares a global flag's id fails here, not in a user's hands.
    #[test]
    fn command_lines_of_every_group_parse() {
        use clap::Parser as _;
        for line in [
            "weigrid token",
            "weigrid grid list --level village",
            "weigrid ticket list --queue desk",
            "weigrid ticket reopen LX-2026-000001 --reason x --cause report-untrue",
            "weigrid points rules",
            "weigrid points rules --set SANITATION --base-points 8 --inactive",
            "weigrid points balance R-AAAA-BBBB --role workstation_staff --scope LX-V02",
            "weigrid points catalog --put SOAP --cost 5 --stock 10 --restock -2",
            "weigrid points adjust --resident R-AAAA-BBBB --amount -5 --reason x",
            "weigrid stats --year 2026",
        ] {
            let parsed = super::Cli::try_parse_from(line.split(' '));
            assert!(parsed.is_ok(), "{line}: {:?}", parsed.err());
        }
    }
}
