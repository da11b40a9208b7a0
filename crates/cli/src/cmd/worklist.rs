//! `weigrid worklist …`: the work lists (一套明细单) of case review — an
//! upper-level policy recorded and broken into the villages' tasks by what
//! the registry says of each village, the annual and monthly lists per grid
//! and per chief, progress reports, verification and closing (销号), and
//! the printable documents: a village's work list and its responsibility
//! book (一本责任册) as self-contained HTML.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use proto::registry::v1 as registry;
use proto::review::v1 as pb;
use serde_json::{Value, json};

use crate::cmd::review::instant;
use crate::connect::{self, Identity, Review};
use crate::document;
use crate::output::Output;
use crate::render::{enum_name as name, time};

/// Work-list commands.
#[derive(Subcommand)]
pub enum WorklistCommand {
    /// Records an upper-level policy or task (上级政策任务) with its deadline
    /// and rules; without --title, lists the policies.
    Policy {
        #[arg(long)]
        title: Option<String>,
        /// Who issued it, e.g. 区应急管理局.
        #[arg(long, default_value = "")]
        issuer: String,
        /// Its document number.
        #[arg(long, default_value = "")]
        reference: String,
        #[arg(long, default_value = "")]
        text: String,
        /// Due by: RFC 3339, or a day YYYY-MM-DD (its end, Shanghai time).
        #[arg(long)]
        deadline: Option<String>,
        /// A rule ATTRIBUTE[>=N]:TITLE:DETAIL (repeatable), e.g.
        /// "rivers:河道巡查:巡查辖区{count}条河道"; attributes: rivers,
        /// high-risk-enterprises, schools, farmland, special-care, all.
        #[arg(long)]
        rule: Vec<String>,
    },
    /// Breaks a policy into the villages' tasks (任务分解), asking the
    /// registry about each village.
    Decompose {
        policy: String,
        /// Only villages under this grid (the town, or one village).
        #[arg(long)]
        grid: Option<String>,
    },
    /// Lists work items: a grid's or a chief's annual or monthly list.
    List {
        /// A village or residential committee code.
        #[arg(long)]
        grid: Option<String>,
        /// A responsible chief's name.
        #[arg(long)]
        chief: Option<String>,
        #[arg(long)]
        policy: Option<String>,
        /// The year of the deadlines.
        #[arg(long)]
        year: Option<u32>,
        /// A month of --year: the monthly list.
        #[arg(long, requires = "year")]
        month: Option<u32>,
    },
    /// Reports progress on a work item; --done asks the town to verify it.
    Report {
        item: String,
        #[arg(long)]
        percent: u32,
        #[arg(long)]
        note: String,
        #[arg(long)]
        done: bool,
    },
    /// Records the town's verification (核查) of an item reported done;
    /// --reject sends it back to work.
    Verify {
        item: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        reject: bool,
    },
    /// Closes a verified work item (销号); refused before verification.
    Close {
        item: String,
        #[arg(long)]
        note: String,
    },
    /// Writes a printable document as self-contained HTML: a village's work
    /// list or responsibility book, the town's workflow table, or the
    /// overview map of a village or the town (the four ones, 四个一).
    Export {
        /// Which document.
        #[arg(long, value_enum, default_value_t = Document::WorkList)]
        document: Document,
        /// The village or residential committee code, e.g. LX-V01 (not for
        /// the workflow table, which is the town's).
        #[arg(long)]
        grid: Option<String>,
        /// The year of the work list.
        #[arg(long)]
        year: Option<u32>,
        /// A month of --year: the monthly list.
        #[arg(long, requires = "year")]
        month: Option<u32>,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// A printable document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Document {
    /// The village's work list (一套明细单), from case review.
    WorkList,
    /// The village's responsibility book (一本责任册), from the registry.
    ResponsibilityBook,
    /// The town's workflow table (一纸流程表): every case's steps and each
    /// category's time limit, from ticket dispatch.
    WorkflowTable,
    /// The overview map (一张总览图) of a village's grids, or of the whole
    /// town without --grid, from the registry's boundaries.
    OverviewMap,
}

/// A village attribute a rule selects on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Attribute {
    /// Rivers (河道).
    Rivers,
    /// High-risk enterprises (高危企业).
    HighRiskEnterprises,
    /// Schools (学校).
    Schools,
    /// Farmland (耕地).
    Farmland,
    /// Special-care people (特殊人群), counted only.
    SpecialCare,
    /// Every village and residential committee.
    All,
}

impl From<Attribute> for pb::VillageAttribute {
    fn from(a: Attribute) -> Self {
        match a {
            Attribute::Rivers => pb::VillageAttribute::Rivers,
            Attribute::HighRiskEnterprises => pb::VillageAttribute::HighRiskEnterprises,
            Attribute::Schools => pb::VillageAttribute::Schools,
            Attribute::Farmland => pb::VillageAttribute::Farmland,
            Attribute::SpecialCare => pb::VillageAttribute::SpecialCare,
            Attribute::All => pb::VillageAttribute::All,
        }
    }
}

/// Parses ATTRIBUTE[>=N]:TITLE:DETAIL.
pub fn rule(text: &str) -> anyhow::Result<pb::TaskRule> {
    let mut parts = text.splitn(3, ':');
    let (Some(head), Some(title), Some(detail)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("--rule {text}: ATTRIBUTE[>=N]:TITLE:DETAIL");
    };
    let (attribute, at_least) = match head.split_once(">=") {
        Some((a, n)) => (
            a,
            n.trim()
                .parse::<u32>()
                .with_context(|| format!("--rule {text}: N in ATTRIBUTE>=N is a whole number"))?,
        ),
        None => (head, 1),
    };
    let attribute = <Attribute as ValueEnum>::from_str(attribute.trim(), true)
        .map_err(|e| anyhow::anyhow!("--rule {text}: {e}"))?;
    Ok(pb::TaskRule {
        attribute: pb::VillageAttribute::from(attribute).into(),
        at_least,
        title: title.to_owned(),
        detail: detail.to_owned(),
    })
}

/// Where the documents that are not case review's come from.
#[derive(Debug, Clone, Copy)]
pub struct Neighbours<'a> {
    /// The grid registry's address (the responsibility book).
    pub registry: &'a str,
    /// Ticket dispatch's address (the workflow table).
    pub dispatch: &'a str,
}

/// Returns the village a village's document needs.
fn village(grid: Option<String>) -> anyhow::Result<String> {
    grid.filter(|g| !g.trim().is_empty())
        .context("--grid: a village's document names the village, e.g. --grid LX-V01")
}

impl WorklistCommand {
    /// Runs the command against case review (the responsibility book
    /// against the registry at `neighbours.registry`, the workflow table
    /// against dispatch at `neighbours.dispatch`) and prints its answer.
    ///
    /// # Errors
    /// Bad arguments, a file that cannot be written, or a service's status.
    pub async fn execute(
        self,
        client: &mut Review,
        neighbours: Neighbours<'_>,
        identity: &Identity,
        output: Output,
    ) -> anyhow::Result<()> {
        let (value, text) = match self {
            WorklistCommand::Export {
                document: Document::ResponsibilityBook,
                grid,
                out,
                ..
            } => {
                let grid = village(grid)?;
                let mut registry = connect::registry(neighbours.registry, identity).await?;
                export_book(&mut registry, &grid, &out).await?
            }
            WorklistCommand::Export {
                document: Document::OverviewMap,
                grid,
                out,
                ..
            } => {
                let mut registry = connect::registry(neighbours.registry, identity).await?;
                export_map(&mut registry, grid.as_deref(), &out).await?
            }
            WorklistCommand::Export {
                document: Document::WorkflowTable,
                out,
                ..
            } => {
                let mut dispatch = connect::dispatch(neighbours.dispatch, identity).await?;
                export_workflow(&mut dispatch, &out).await?
            }
            command => answer(client, command).await?,
        };
        output.print(&value, || text);
        Ok(())
    }
}

fn attribute_name(value: i32) -> String {
    pb::VillageAttribute::try_from(value).map_or_else(
        |_| value.to_string(),
        |a| name(a.as_str_name(), "VILLAGE_ATTRIBUTE_"),
    )
}

fn policy_json(p: &pb::Policy) -> Value {
    json!({
        "id": p.id, "title": p.title, "issuer": p.issuer, "reference": p.reference,
        "text": p.text, "deadline": time(&p.deadline),
        "rules": p.rules.iter().map(|r| json!({
            "attribute": attribute_name(r.attribute), "at_least": r.at_least,
            "title": r.title, "detail": r.detail,
        })).collect::<Vec<_>>(),
        "state": name(p.state().as_str_name(), "POLICY_STATE_"), "created_by": p.created_by,
        "created_at": time(&p.created_at), "decomposed_at": time(&p.decomposed_at), "items": p.items,
    })
}

fn policy_line(p: &pb::Policy) -> String {
    format!(
        "{}  {:<10} due 时限 {}  {} items 项  {} ({})",
        p.id,
        name(p.state().as_str_name(), "POLICY_STATE_"),
        time(&p.deadline),
        p.items,
        p.title,
        p.issuer
    )
}

fn item_json(i: &pb::WorkItem) -> Value {
    json!({
        "id": i.id, "policy_id": i.policy_id, "policy_title": i.policy_title,
        "grid_code": i.grid_code, "grid_name": i.grid_name,
        "attribute": attribute_name(i.attribute), "count": i.count,
        "title": i.title, "detail": i.detail, "deadline": time(&i.deadline), "chief": i.chief,
        "state": name(i.state().as_str_name(), "WORK_ITEM_STATE_"),
        "light": name(i.light().as_str_name(), "LIGHT_"), "percent": i.percent,
        "reports": i.reports.iter().map(|r| json!({
            "percent": r.percent, "note": r.note, "done": r.done,
            "reported_by": r.reported_by, "reported_at": time(&r.reported_at),
        })).collect::<Vec<_>>(),
        "verified_by": i.verified_by, "verified_at": time(&i.verified_at),
        "closed_by": i.closed_by, "closed_at": time(&i.closed_at),
    })
}

fn light_mark(light: pb::Light) -> &'static str {
    match light {
        pb::Light::Green => "绿 GREEN ",
        pb::Light::Yellow => "黄 YELLOW",
        pb::Light::Red => "红 RED   ",
        pb::Light::Done => "销 DONE  ",
        pb::Light::Unspecified => "—       ",
    }
}

fn item_line(i: &pb::WorkItem) -> String {
    format!(
        "{}  {}  {:<8} {:<9} {:>3}%  due {}  {} — {}  chief 责任人 {}",
        i.id,
        light_mark(i.light()),
        i.grid_code,
        name(i.state().as_str_name(), "WORK_ITEM_STATE_"),
        i.percent,
        time(&i.deadline),
        i.title,
        i.detail,
        if i.chief.is_empty() { "—" } else { &i.chief }
    )
}

/// Runs a work-list command against case review.
async fn answer(client: &mut Review, command: WorklistCommand) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
    let item = |i: Option<pb::WorkItem>| -> anyhow::Result<(Value, String)> {
        let i = i.context("no work item in the answer")?;
        Ok((item_json(&i), item_line(&i)))
    };
    match command {
        WorklistCommand::Policy { title: None, .. } => {
            let r = client
                .list_policies(pb::ListPoliciesRequest { limit: 0 })
                .await?
                .into_inner();
            let text = r
                .policies
                .iter()
                .map(policy_line)
                .collect::<Vec<_>>()
                .join("\n");
            Ok((
                Value::Array(r.policies.iter().map(policy_json).collect()),
                text,
            ))
        }
        WorklistCommand::Policy {
            title: Some(title),
            issuer,
            reference,
            text,
            deadline,
            rule: rules,
        } => {
            let deadline = instant(&deadline.context("--deadline is needed with --title")?)?;
            let rules = rules
                .iter()
                .map(|r| rule(r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let r = client
                .create_policy(pb::CreatePolicyRequest {
                    idempotency_key: key,
                    title,
                    issuer,
                    reference,
                    text,
                    deadline: Some(platform::time::timestamp(deadline)),
                    rules,
                })
                .await?
                .into_inner();
            let p = r.policy.context("no policy in the answer")?;
            Ok((policy_json(&p), policy_line(&p)))
        }
        WorklistCommand::Decompose { policy, grid } => {
            let r = client
                .decompose_policy(pb::DecomposePolicyRequest {
                    idempotency_key: key,
                    policy_id: policy,
                    grid_code: grid.unwrap_or_default(),
                })
                .await?
                .into_inner();
            let p = r.policy.context("no policy in the answer")?;
            let mut text = format!(
                "{}\nbroken into 分解为 {} tasks:",
                policy_line(&p),
                r.items.len()
            );
            for i in &r.items {
                text.push_str(&format!("\n  {}", item_line(i)));
            }
            Ok((
                json!({"policy": policy_json(&p), "items": r.items.iter().map(item_json).collect::<Vec<_>>()}),
                text,
            ))
        }
        WorklistCommand::List {
            grid,
            chief,
            policy,
            year,
            month,
        } => {
            let items = list(
                client,
                grid.unwrap_or_default(),
                chief.unwrap_or_default(),
                policy.unwrap_or_default(),
                year.unwrap_or(0),
                month.unwrap_or(0),
            )
            .await?;
            let text = items.iter().map(item_line).collect::<Vec<_>>().join("\n");
            Ok((Value::Array(items.iter().map(item_json).collect()), text))
        }
        WorklistCommand::Report {
            item: id,
            percent,
            note,
            done,
        } => item(
            client
                .report_progress(pb::ReportProgressRequest {
                    idempotency_key: key,
                    item_id: id,
                    percent,
                    note,
                    done,
                })
                .await?
                .into_inner()
                .item,
        ),
        WorklistCommand::Verify {
            item: id,
            note,
            reject,
        } => item(
            client
                .verify_work_item(pb::VerifyWorkItemRequest {
                    idempotency_key: key,
                    item_id: id,
                    confirmed: !reject,
                    note,
                })
                .await?
                .into_inner()
                .item,
        ),
        WorklistCommand::Close { item: id, note } => item(
            client
                .close_work_item(pb::CloseWorkItemRequest {
                    idempotency_key: key,
                    item_id: id,
                    note,
                })
                .await?
                .into_inner()
                .item,
        ),
        WorklistCommand::Export {
            document: Document::WorkList,
            grid,
            year,
            month,
            out,
        } => {
            let grid = village(grid)?;
            export_work_list(client, &grid, year, month.unwrap_or(0), &out).await
        }
        WorklistCommand::Export { .. } => {
            anyhow::bail!("this document comes from the registry or dispatch")
        }
    }
}

async fn list(
    client: &mut Review,
    grid_code: String,
    chief: String,
    policy_id: String,
    year: u32,
    month: u32,
) -> anyhow::Result<Vec<pb::WorkItem>> {
    Ok(client
        .list_work_items(pb::ListWorkItemsRequest {
            grid_code,
            chief,
            policy_id,
            year,
            month,
            limit: 2000,
        })
        .await?
        .into_inner()
        .items)
}

fn now_in_town() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn write(out: &std::path::Path, html: &str) -> anyhow::Result<()> {
    std::fs::write(out, html).with_context(|| format!("writing {}", out.display()))
}

/// Writes `grid`'s work list of `year` (this year's when none; one `month`
/// of it when not 0) to `out`.
pub async fn export_work_list(
    client: &mut Review,
    grid: &str,
    year: Option<u32>,
    month: u32,
    out: &std::path::Path,
) -> anyhow::Result<(Value, String)> {
    let year = match year {
        Some(y) => y,
        None => u32::try_from(chrono::Datelike::year(&chrono::Utc::now())).unwrap_or(2026),
    };
    let items = list(
        client,
        grid.to_owned(),
        String::new(),
        String::new(),
        year,
        month,
    )
    .await?;
    let village_name = items
        .first()
        .map_or_else(|| grid.to_owned(), |i| i.grid_name.clone());
    let html = document::work_list(
        grid,
        &village_name,
        &document::period_words(year, month),
        &items,
        &now_in_town(),
    );
    write(out, &html)?;
    Ok((
        json!({"file": out.display().to_string(), "document": "work-list", "grid": grid, "items": items.len()}),
        format!(
            "work list 明细单 of {village_name} ({grid}), {} items, written to {}",
            items.len(),
            out.display()
        ),
    ))
}

/// Writes the town's workflow table to `out`, from dispatch's categories.
async fn export_workflow(
    dispatch: &mut connect::Dispatch,
    out: &std::path::Path,
) -> anyhow::Result<(Value, String)> {
    let categories = dispatch
        .list_categories(proto::dispatch::v1::ListCategoriesRequest {
            include_inactive: false,
        })
        .await?
        .into_inner()
        .categories;
    write(out, &document::workflow_table(&categories, &now_in_town()))?;
    Ok((
        json!({"file": out.display().to_string(), "document": "workflow-table",
               "categories": categories.len()}),
        format!(
            "workflow table 流程表: {} categories, written to {}",
            categories.len(),
            out.display()
        ),
    ))
}

/// Writes `grid`'s responsibility book to `out`, from the registry.
/// The registry's boundaries of every village, residential committee,
/// area grid and micro-grid (ExportMap) as GeoJSON, for the overview map
/// drawn inline: no tile server.
async fn grid_boundaries(registry: &mut connect::Registry) -> anyhow::Result<String> {
    Ok(registry
        .export_map(registry::ExportMapRequest {
            levels: vec![
                registry::GridLevel::Village.into(),
                registry::GridLevel::Residential.into(),
                registry::GridLevel::Area.into(),
                registry::GridLevel::Micro.into(),
            ],
            kinds: Vec::new(),
            include_all_objects: false,
        })
        .await?
        .into_inner()
        .geojson)
}

/// Writes the overview map (一张总览图) of `grid`, or of the town, to `out`.
async fn export_map(
    registry: &mut connect::Registry,
    grid: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<(Value, String)> {
    let shown = match grid.filter(|g| !g.trim().is_empty()) {
        Some(code) => registry
            .get_grid(registry::GetGridRequest {
                id: String::new(),
                code: code.to_owned(),
            })
            .await?
            .into_inner()
            .grid
            .context("no grid in the answer")?,
        // The town: the one grid at the top level.
        None => registry
            .list_grids(registry::ListGridsRequest {
                level: registry::GridLevel::Town.into(),
                page_size: 1,
                without_boundaries: true,
                ..Default::default()
            })
            .await?
            .into_inner()
            .grids
            .into_iter()
            .next()
            .context("the registry holds no town")?,
    };
    let map = document::overview_map(&grid_boundaries(registry).await?, &shown.code)
        .with_context(|| format!("the registry holds no boundary within {}", shown.code))?;
    let micro = map.matches("<path class=\"micro\"").count();
    write(
        out,
        &document::overview_document(&shown, &map, &now_in_town()),
    )?;
    Ok((
        json!({"file": out.display().to_string(), "document": "overview-map", "grid": shown.code,
               "micro_grids": micro}),
        format!(
            "overview map 总览图 of {} ({}): {micro} micro-grids, written to {}",
            shown.name,
            shown.code,
            out.display()
        ),
    ))
}

async fn export_book(
    registry: &mut connect::Registry,
    grid: &str,
    out: &std::path::Path,
) -> anyhow::Result<(Value, String)> {
    let village = registry
        .get_grid(registry::GetGridRequest {
            id: String::new(),
            code: grid.to_owned(),
        })
        .await?
        .into_inner()
        .grid
        .context("no grid in the answer")?;
    let members = registry
        .list_members(registry::ListMembersRequest {
            grid_code: grid.to_owned(),
            include_descendants: true,
        })
        .await?
        .into_inner()
        .members;
    let mut heads = Vec::new();
    for kind in [
        registry::ObjectKind::Enterprise,
        registry::ObjectKind::Cooperative,
    ] {
        let objects = connect::all_pages(|page_token| {
            let mut registry = registry.clone();
            let grid = grid.to_owned();
            async move {
                let r = registry
                    .list_objects(registry::ListObjectsRequest {
                        kind: kind.into(),
                        grid_code: grid,
                        page_size: connect::PAGE_SIZE,
                        page_token,
                    })
                    .await?
                    .into_inner();
                Ok((r.objects, r.next_page_token))
            }
        })
        .await?;
        heads.extend(objects);
    }
    let departments = registry
        .list_departments(registry::ListDepartmentsRequest {})
        .await?
        .into_inner()
        .departments;
    let map = document::overview_map(&grid_boundaries(registry).await?, grid);
    let html = document::responsibility_book(
        &village,
        &members,
        &heads,
        &departments,
        map.as_deref(),
        &now_in_town(),
    );
    write(out, &html)?;
    Ok((
        json!({"file": out.display().to_string(), "document": "responsibility-book", "grid": grid,
               "members": members.len(), "heads": heads.len(), "departments": departments.len()}),
        format!(
            "responsibility book 责任册 of {} ({grid}): {} chiefs, {} heads, {} departments, written to {}",
            village.name,
            members.len(),
            heads.len(),
            departments.len(),
            out.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, assert_maps_by_name, parse};

    #[test]
    fn the_worklist_commands_parse() {
        let cli =
            parse("weigrid worklist export --grid LX-V01 --year 2026 --out /tmp/v01.html").unwrap();
        let Command::Worklist(WorklistCommand::Export { document, .. }) = cli.command else {
            panic!("an export")
        };
        assert_eq!(document, Document::WorkList);
        assert!(parse("weigrid worklist list --grid LX-V01 --year 2026 --month 4").is_ok());
        assert!(
            parse("weigrid worklist list --month 4").is_err(),
            "a month is of a year"
        );
        assert!(parse("weigrid worklist close I --note 已核查").is_ok());
        assert!(
            parse(
                "weigrid worklist export --document responsibility-book --grid LX-V01 --out b.html"
            )
            .is_ok()
        );
        let cli =
            parse("weigrid worklist export --document workflow-table --out flow.html").unwrap();
        let Command::Worklist(WorklistCommand::Export { document, grid, .. }) = cli.command else {
            panic!("an export")
        };
        assert_eq!(document, Document::WorkflowTable);
        assert!(grid.is_none(), "the workflow table is the town's");
        for line in [
            "weigrid worklist export --document overview-map --out town.html",
            "weigrid worklist export --document overview-map --grid LX-V01 --out v01.html",
        ] {
            let cli = parse(line).unwrap();
            let Command::Worklist(WorklistCommand::Export { document, .. }) = cli.command else {
                panic!("an export")
            };
            assert_eq!(document, Document::OverviewMap, "{line}");
        }
        let refused = village(None).unwrap_err().to_string();
        assert!(refused.starts_with("--grid"), "{refused}");
    }

    #[test]
    fn a_rule_names_its_attribute_its_threshold_and_its_task() {
        let r = rule("high-risk-enterprises>=2:安全生产检查:检查{count}家高危企业").unwrap();
        assert_eq!(r.attribute(), pb::VillageAttribute::HighRiskEnterprises);
        assert_eq!(r.at_least, 2);
        assert_eq!(r.title, "安全生产检查");
        assert_eq!(r.detail, "检查{count}家高危企业");
        assert_eq!(rule("rivers:巡河:巡查:每周").unwrap().detail, "巡查:每周");
        assert!(rule("lakes:巡湖:巡查").is_err());
        assert!(rule("rivers:巡河").is_err());
        assert_maps_by_name::<Attribute>("VILLAGE_ATTRIBUTE_", |a| {
            pb::VillageAttribute::from(a).as_str_name()
        });
    }
}
