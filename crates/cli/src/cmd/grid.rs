//! `weigrid grid …`: the grid registry's grids, members, covered objects,
//! departments, responsibility chains, map import and export, and the
//! special-care list.

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use proto::registry::v1 as pb;
use serde_json::{Value, json};

use crate::args::lat_lng;
use crate::connect::{PAGE_SIZE, Registry, all_pages};
use crate::output::Output;
use crate::render;

/// Grid registry commands.
#[derive(Subcommand)]
pub enum GridCommand {
    /// Lists grids.
    List {
        /// Only grids of this level.
        #[arg(long, value_enum, ignore_case = true)]
        level: Option<Level>,
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
        /// Only objects of this kind.
        #[arg(long, value_enum, ignore_case = true)]
        kind: Option<ObjectKind>,
        /// Only objects in micro-grids under this grid.
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
        #[arg(long, value_enum, ignore_case = true)]
        level: Vec<Level>,
        /// Object kinds to include (repeatable).
        #[arg(long, value_enum, ignore_case = true)]
        kind: Vec<ObjectKind>,
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

/// A grid level (`--level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    /// The town grid: the town operations centre.
    Town,
    /// A village workstation.
    Village,
    /// A residential committee workstation.
    Residential,
    /// An area grid point.
    Area,
    /// A micro-grid of 20–50 households.
    Micro,
}

impl From<Level> for pb::GridLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::Town => pb::GridLevel::Town,
            Level::Village => pb::GridLevel::Village,
            Level::Residential => pb::GridLevel::Residential,
            Level::Area => pb::GridLevel::Area,
            Level::Micro => pb::GridLevel::Micro,
        }
    }
}

/// A kind of covered object (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectKind {
    Shop,
    School,
    Enterprise,
    Cooperative,
    River,
    #[value(alias = "forest_parcel")]
    ForestParcel,
    Road,
    Farmland,
    #[value(alias = "garbage_point")]
    GarbagePoint,
    #[value(alias = "key_point")]
    KeyPoint,
}

impl From<ObjectKind> for pb::ObjectKind {
    fn from(kind: ObjectKind) -> Self {
        match kind {
            ObjectKind::Shop => pb::ObjectKind::Shop,
            ObjectKind::School => pb::ObjectKind::School,
            ObjectKind::Enterprise => pb::ObjectKind::Enterprise,
            ObjectKind::Cooperative => pb::ObjectKind::Cooperative,
            ObjectKind::River => pb::ObjectKind::River,
            ObjectKind::ForestParcel => pb::ObjectKind::ForestParcel,
            ObjectKind::Road => pb::ObjectKind::Road,
            ObjectKind::Farmland => pb::ObjectKind::Farmland,
            ObjectKind::GarbagePoint => pb::ObjectKind::GarbagePoint,
            ObjectKind::KeyPoint => pb::ObjectKind::KeyPoint,
        }
    }
}

impl GridCommand {
    /// Runs the command against the registry and prints its answer.
    ///
    /// # Errors
    /// Bad arguments, an unreadable or unwritable file, invalid features
    /// to import, or the registry's status.
    pub async fn execute(self, registry: &mut Registry, output: Output) -> anyhow::Result<()> {
        execute(registry, output, self).await
    }
}

async fn execute(
    registry: &mut Registry,
    output: Output,
    command: GridCommand,
) -> anyhow::Result<()> {
    match command {
        GridCommand::List { level, parent } => {
            let level = level.map_or(pb::GridLevel::Unspecified, pb::GridLevel::from);
            let grids = all_pages(|page_token| {
                let mut registry = registry.clone();
                let request = pb::ListGridsRequest {
                    level: level.into(),
                    parent_code: parent.clone().unwrap_or_default(),
                    page_size: PAGE_SIZE,
                    page_token,
                    without_boundaries: true,
                };
                async move {
                    let page = registry.list_grids(request).await?.into_inner();
                    Ok((page.grids, page.next_page_token))
                }
            })
            .await?;
            let value = Value::Array(grids.iter().map(render::grid).collect());
            output.print(&value, || {
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
            output.print(&value, || {
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
            output.print(&value, || {
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
                    let (lat, lng) =
                        lat_lng(&at).context("--at takes LAT,LNG, e.g. 30.80,121.19")?;
                    Target::Location(pb::LatLng { lat, lng })
                }
                (None, Some(object)) => Target::ObjectCode(object),
                (None, None) => anyhow::bail!("give --at LAT,LNG or --object CODE"),
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
            output.print(&value, || {
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
            output.print(&value, || {
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
            output.print(&value, || {
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
            let kind = kind.map_or(pb::ObjectKind::Unspecified, pb::ObjectKind::from);
            let objects = all_pages(|page_token| {
                let mut registry = registry.clone();
                let request = pb::ListObjectsRequest {
                    kind: kind.into(),
                    grid_code: grid.clone().unwrap_or_default(),
                    page_size: PAGE_SIZE,
                    page_token,
                };
                async move {
                    let page = registry.list_objects(request).await?.into_inner();
                    Ok((page.objects, page.next_page_token))
                }
            })
            .await?;
            let value = Value::Array(objects.iter().map(render::object).collect());
            output.print(&value, || {
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
            output.print(&value, || {
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
            output.print(&value, || {
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
                anyhow::bail!("{} invalid features; nothing imported", report.errors.len());
            }
        }
        GridCommand::Export {
            level,
            kind,
            all_objects,
            out,
        } => {
            let levels = level
                .into_iter()
                .map(|l| pb::GridLevel::from(l).into())
                .collect();
            let kinds = kind
                .into_iter()
                .map(|k| pb::ObjectKind::from(k).into())
                .collect();
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
                    page_size: PAGE_SIZE,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .people;
            let value = Value::Array(people.iter().map(render::care_person).collect());
            output.print(&value, || {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, assert_maps_by_name, parse};

    fn grid(line: &str) -> GridCommand {
        match parse(line).unwrap().command {
            Command::Grid(command) => command,
            _ => panic!("{line} is not a grid command"),
        }
    }

    #[test]
    fn a_level_is_spelled_in_any_case() {
        for spelling in ["village", "VILLAGE", "Village"] {
            match grid(&format!("weigrid grid list --level {spelling}")) {
                GridCommand::List { level, .. } => assert_eq!(level, Some(Level::Village)),
                _ => panic!("not list"),
            }
        }
        assert!(parse("weigrid grid list --level county").is_err());
    }

    #[test]
    fn an_object_kind_takes_hyphens_or_the_generated_underscores() {
        for (spelling, wanted) in [
            ("enterprise", ObjectKind::Enterprise),
            ("ENTERPRISE", ObjectKind::Enterprise),
            ("forest-parcel", ObjectKind::ForestParcel),
            ("FOREST_PARCEL", ObjectKind::ForestParcel),
            ("garbage_point", ObjectKind::GarbagePoint),
        ] {
            match grid(&format!("weigrid grid objects --kind {spelling}")) {
                GridCommand::Objects { kind, .. } => assert_eq!(kind, Some(wanted), "{spelling}"),
                _ => panic!("not objects"),
            }
        }
    }

    #[test]
    fn an_export_takes_several_levels_and_kinds() {
        match grid("weigrid grid export --level micro --level AREA --kind river --kind key-point") {
            GridCommand::Export { level, kind, .. } => {
                assert_eq!(level, [Level::Micro, Level::Area]);
                assert_eq!(kind, [ObjectKind::River, ObjectKind::KeyPoint]);
            }
            _ => panic!("not export"),
        }
    }

    #[test]
    fn every_level_and_kind_maps_to_the_generated_value_of_its_name() {
        assert_maps_by_name::<Level>("GRID_LEVEL_", |l| pb::GridLevel::from(l).as_str_name());
        assert_maps_by_name::<ObjectKind>("OBJECT_KIND_", |k| {
            pb::ObjectKind::from(k).as_str_name()
        });
    }
}
