//! The overview map (一张总览图) as GeoJSON, and bulk import from GeoJSON.
//! Both speak the same feature properties, so an export can be edited and
//! imported elsewhere.

use std::collections::{HashMap, HashSet};

use platform::auth::Caller;
use platform::error::{AppError, FieldViolation};
use platform::uow::{Begun, CallKey};
use prost::Message;
use serde_json::{Map, Value, json};

use super::Context;
use super::grids::begin_grid_write;
use crate::config::Limits;
use crate::domain::DomainError;
use crate::domain::geometry::{self, RawShape, Shape};
use crate::domain::grid::{Grid, GridDraft, GridEvent, Placed, Tolerances};
use crate::domain::ids::{GridId, ObjectId};
use crate::domain::index::{GridNode, Snapshot};
use crate::domain::kinds::{Level, ObjectKind};
use crate::domain::object::{CoveredObject, NewObject, ObjectDraft};
use crate::events;
use crate::repository::{grids, objects};

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportMap {
    /// Grid levels to include; empty for all.
    pub levels: HashSet<Level>,
    /// Object kinds to include.
    pub kinds: Vec<ObjectKind>,
    /// Every object, whatever its kind.
    pub include_all_objects: bool,
}

/// The map as a GeoJSON FeatureCollection, and how many features it holds.
#[derive(Debug, Clone)]
pub struct MapExport {
    pub geojson: String,
    pub features: u32,
}

/// Objects are read in pages of this many.
const EXPORT_PAGE: i64 = 1000;

/// Returns the map: grids of the levels asked for, then objects.
///
/// # Errors
/// The database fails or holds a value this version does not know.
pub async fn export_map(ctx: &Context, query: ExportMap) -> Result<MapExport, AppError> {
    let mut conn = ctx.units.read().await?;
    let mut features = Vec::new();
    for grid in grids::all(&mut conn).await? {
        if query.levels.is_empty() || query.levels.contains(&grid.level) {
            features.push(grid_feature(&grid));
        }
    }
    if query.include_all_objects || !query.kinds.is_empty() {
        let mut after = String::new();
        loop {
            let page = objects::page(&mut conn, &query.kinds, None, &after, EXPORT_PAGE).await?;
            features.extend(page.iter().map(object_feature));
            match page.last() {
                Some(last) if page.len() as i64 == EXPORT_PAGE => after = last.code.clone(),
                _ => break,
            }
        }
    }
    let count = features.len() as u32;
    let collection = json!({ "type": "FeatureCollection", "features": features });
    Ok(MapExport {
        geojson: collection.to_string(),
        features: count,
    })
}

fn grid_feature(grid: &Grid) -> Value {
    json!({
        "type": "Feature",
        "geometry": geometry::polygon_geojson(&geometry::polygon_positions(&grid.boundary)),
        "properties": {
            "type": "grid", "code": grid.code, "name": grid.name, "level": grid.level.as_str(),
            "parent_code": grid.parent_code, "households": grid.households, "party_group": grid.party_group,
        },
    })
}

fn object_feature(object: &CoveredObject) -> Value {
    json!({
        "type": "Feature",
        "geometry": geometry::to_geojson(&object.geometry),
        "properties": {
            "type": "object", "code": object.code, "name": object.name, "kind": object.kind.as_str(),
            "micro_grid_code": object.micro_grid_code, "high_risk": object.high_risk,
            "head_name": object.head_name, "area_ha": object.area_ha,
        },
    })
}

/// What an import found, or wrote.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub dry_run: bool,
    pub grids: u32,
    pub objects: u32,
    /// Every invalid feature's violations, by field (`features[i]…`); empty
    /// once written.
    pub errors: Vec<FieldViolation>,
}

/// Imports every feature of `collection`, or none: a feature must fit the
/// registry and the features before it. A dry run reports and writes
/// nothing.
///
/// # Errors
/// Any invalid feature (outside a dry run), or the database fails.
pub async fn import_geo_json<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    collection: &geojson::FeatureCollection,
    dry_run: bool,
    answer: impl FnOnce(&ImportReport) -> A,
) -> Result<A, AppError> {
    let mut work = match begin_grid_write(ctx, key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let existing = grids::all(work.conn()).await?;
    let codes: Vec<String> = collection
        .features
        .iter()
        .filter_map(|f| {
            f.properties
                .as_ref()?
                .get("code")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let taken_objects: HashSet<String> = objects::existing_codes(work.conn(), &codes)
        .await?
        .into_iter()
        .collect();
    let now = work.now();
    // Every feature's shape is checked (quadratic at worst): on the
    // blocking pool, so the threads answering calls and health checks
    // never run it. The features are capped by `registry.limits`.
    let features = collection.clone();
    let tolerances = ctx.tolerances();
    let plan = tokio::task::spawn_blocking(move || {
        Plan::of(&features, &existing, taken_objects, tolerances, now)
    })
    .await
    .map_err(|err| AppError::Internal(anyhow::anyhow!("map import check failed: {err}")))??;
    let mut report = ImportReport {
        dry_run,
        grids: plan.grids.len() as u32,
        objects: plan.objects.len() as u32,
        errors: plan.errors,
    };
    if dry_run {
        return Ok(answer(&report)); // the work rolls back: nothing written
    }
    if !report.errors.is_empty() {
        return Err(DomainError::Invalid(report.errors).into());
    }
    for grid in &plan.grids {
        grids::insert(work.conn(), grid).await?;
        work.publish(events::grid(
            &caller.subject,
            now,
            grid,
            &GridEvent::Created,
        ));
    }
    for new in plan.objects {
        let micro = plan
            .snapshot
            .micro_grid_holding(&new.shape)
            .map(|m| (m.id, m.code.clone()));
        let (object, event) = CoveredObject::create(ObjectId::generate(), new, micro, now);
        objects::insert(work.conn(), &object).await?;
        work.publish(events::object(&caller.subject, now, &object, &event));
    }
    // Objects registered before their micro-grid existed now have one.
    for anchor in objects::uncovered_anchors(work.conn()).await? {
        let at = Shape::Point(geo::Point::new(anchor.at.0, anchor.at.1));
        if let Some(micro) = plan.snapshot.micro_grid_holding(&at) {
            objects::set_micro_grid(work.conn(), anchor.object_id, Some(micro.id)).await?;
        }
    }
    report.errors.clear();
    let answer = work.commit(answer(&report)).await?;
    ctx.index.merge(plan.snapshot);
    tracing::info!(
        grids = report.grids,
        objects = report.objects,
        "map imported"
    );
    Ok(answer)
}

/// What an import would write, once every feature has been checked.
struct Plan {
    grids: Vec<Grid>,
    objects: Vec<NewObject>,
    /// Every grid, existing and planned.
    snapshot: Snapshot,
    errors: Vec<FieldViolation>,
}

/// The grids known while planning, existing and planned, by code and by
/// parent.
struct Known {
    nodes: HashMap<String, GridNode>,
    children: HashMap<Option<GridId>, Vec<String>>,
}

impl Known {
    fn add(&mut self, node: GridNode) {
        self.children
            .entry(node.parent_id)
            .or_default()
            .push(node.code.clone());
        self.nodes.insert(node.code.clone(), node);
    }

    fn siblings(&self, parent: Option<GridId>) -> Vec<Placed<'_>> {
        self.children
            .get(&parent)
            .into_iter()
            .flatten()
            .filter_map(|c| self.nodes.get(c))
            .map(GridNode::placed)
            .collect()
    }
}

/// Refuses an import over the caps, by counting: more features than
/// `max_import_features`, or a feature's geometry over the shape caps.
///
/// # Errors
/// INVALID_ARGUMENT naming each cap the import is over.
pub fn import_within_limits(
    collection: &geojson::FeatureCollection,
    limits: &Limits,
) -> Result<(), AppError> {
    if collection.features.len() > limits.max_import_features {
        return Err(AppError::invalid(
            "geojson",
            format!(
                "must hold at most {} features, not {}",
                limits.max_import_features,
                collection.features.len()
            ),
        ));
    }
    let mut over = Vec::new();
    for (i, feature) in collection.features.iter().enumerate() {
        let raw = feature
            .geometry
            .as_ref()
            .and_then(|g| serde_json::to_value(g).ok())
            .and_then(|v| geometry::from_geojson(&v).ok());
        if let Some(raw) = raw {
            let field = format!("features[{i}].geometry");
            over.extend(geometry::over_limits(&field, &raw, limits.shapes()));
        }
    }
    Ok(DomainError::check(over)?)
}

/// Checks `collection` as an import into an empty registry would, with
/// no database: every feature's shape and rules against the features
/// before it. Returns the grids and objects it would write and every
/// violation (the report of a dry run).
///
/// # Errors
/// A feature that cannot be checked at all.
pub fn check_import(
    collection: &geojson::FeatureCollection,
    tolerances: Tolerances,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportReport, AppError> {
    let plan = Plan::of(collection, &[], HashSet::new(), tolerances, now)?;
    Ok(ImportReport {
        dry_run: true,
        grids: plan.grids.len() as u32,
        objects: plan.objects.len() as u32,
        errors: plan.errors,
    })
}

impl Plan {
    /// Checks every feature against the registry (`existing`, and
    /// `object_codes` taken) and the features before it.
    fn of(
        collection: &geojson::FeatureCollection,
        existing: &[Grid],
        mut object_codes: HashSet<String>,
        tolerances: Tolerances,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Plan, AppError> {
        let mut known = Known {
            nodes: HashMap::new(),
            children: HashMap::new(),
        };
        for grid in existing {
            known.add(GridNode::from(grid));
        }
        let mut plan = Plan {
            grids: Vec::new(),
            objects: Vec::new(),
            snapshot: Snapshot::default(),
            errors: Vec::new(),
        };
        for (i, feature) in collection.features.iter().enumerate() {
            let mut props = Properties {
                map: feature.properties.as_ref(),
                prefix: format!("features[{i}].properties"),
                violations: Vec::new(),
            };
            let kind = props.str("type");
            let raw = match &feature.geometry {
                None => Err("is required".to_owned()),
                Some(g) => serde_json::to_value(g)
                    .map_err(|e| e.to_string())
                    .and_then(|v| geometry::from_geojson(&v)),
            };
            let raw = match raw {
                Ok(raw) => Some(raw),
                Err(reason) => {
                    props.violations.push(FieldViolation::new(
                        format!("features[{i}].geometry"),
                        reason,
                    ));
                    None
                }
            };
            match kind.as_str() {
                "grid" => plan.grid(i, props, raw, &mut known, tolerances, now)?,
                "object" => plan.object(i, props, raw, &mut object_codes),
                "" => plan.errors.push(FieldViolation::new(
                    format!("features[{i}].properties.type"),
                    "is required: \"grid\" or \"object\"",
                )),
                other => plan.errors.push(FieldViolation::new(
                    format!("features[{i}].properties.type"),
                    format!("must be \"grid\" or \"object\", not {other:?}"),
                )),
            }
        }
        plan.snapshot = Snapshot::build(known.nodes.into_values());
        Ok(plan)
    }

    /// Plans grid feature `i`, or records why it cannot be imported.
    fn grid(
        &mut self,
        i: usize,
        mut props: Properties<'_>,
        raw: Option<RawShape>,
        known: &mut Known,
        tolerances: Tolerances,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        let level_name = props.str("level");
        let draft = GridDraft {
            code: props.str("code"),
            name: props.str("name"),
            level: Level::parse(&level_name),
            parent_code: Some(props.str("parent_code")).filter(|s| !s.is_empty()),
            households: props.number("households").map(|h| h as u32),
            party_group: Some(props.str("party_group")).filter(|s| !s.is_empty()),
            boundary: match &raw {
                Some(RawShape::Polygon(rings)) => rings.clone(),
                _ => Vec::new(),
            },
        };
        let mut violations = std::mem::take(&mut props.violations);
        if raw
            .as_ref()
            .is_some_and(|r| !matches!(r, RawShape::Polygon(_)))
        {
            violations.push(FieldViolation::new(
                format!("features[{i}].geometry"),
                "must be a Polygon for a grid",
            ));
        }
        if !violations.is_empty() {
            self.errors.extend(violations);
            return Ok(());
        }
        let new = match draft.check() {
            Ok(new) => new,
            Err(found) => {
                self.errors.extend(at_feature(i, found));
                return Ok(());
            }
        };
        if known.nodes.contains_key(&new.code) {
            let taken = FieldViolation::new("code", format!("{} already exists", new.code));
            self.errors.extend(at_feature(i, vec![taken]));
            return Ok(());
        }
        let parent = match &new.parent_code {
            Some(code) => match known.nodes.get(code) {
                Some(parent) => Some(parent.placed()),
                None => {
                    let missing = FieldViolation::new(
                        "parent_code",
                        format!("names no grid in the registry or earlier in this file: {code}"),
                    );
                    self.errors.extend(at_feature(i, vec![missing]));
                    return Ok(());
                }
            },
            None => None,
        };
        let siblings = known.siblings(parent.as_ref().map(|p| p.id));
        let created = Grid::create(
            GridId::generate(),
            new,
            parent.as_ref(),
            &siblings,
            tolerances,
            now,
        );
        match created {
            Ok((grid, _)) => {
                known.add(GridNode::from(&grid));
                self.grids.push(grid);
            }
            Err(DomainError::Invalid(found)) => self.errors.extend(at_feature(i, found)),
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }

    /// Plans object feature `i`, or records why it cannot be imported.
    fn object(
        &mut self,
        i: usize,
        mut props: Properties<'_>,
        raw: Option<RawShape>,
        object_codes: &mut HashSet<String>,
    ) {
        let draft = ObjectDraft {
            code: props.str("code"),
            name: props.str("name"),
            kind: ObjectKind::parse(&props.str("kind")),
            geometry: raw,
            high_risk: props.bool("high_risk"),
            head_name: props.str("head_name"),
            head_phone: props.str("head_phone"),
            area_ha: props.number("area_ha").unwrap_or_default(),
        };
        let mut violations = std::mem::take(&mut props.violations);
        match draft.check() {
            Ok(new) if violations.is_empty() => {
                if !object_codes.insert(draft.code.clone()) {
                    let taken =
                        FieldViolation::new("code", format!("{} already exists", draft.code));
                    self.errors.extend(at_feature(i, vec![taken]));
                    return;
                }
                self.objects.push(new);
            }
            Ok(_) => self.errors.extend(violations),
            Err(found) => {
                violations.extend(at_feature(i, found));
                self.errors.extend(violations);
            }
        }
    }
}

/// Reads feature properties, recording a violation for each value of the
/// wrong type.
struct Properties<'a> {
    map: Option<&'a Map<String, Value>>,
    prefix: String,
    violations: Vec<FieldViolation>,
}

impl Properties<'_> {
    fn str(&mut self, key: &str) -> String {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(_) => {
                self.wrong(key, "must be a string");
                String::new()
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => {
                self.wrong(key, "must be a number");
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> bool {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.wrong(key, "must be true or false");
                false
            }
        }
    }

    fn wrong(&mut self, key: &str, rule: &str) {
        self.violations
            .push(FieldViolation::new(format!("{}.{key}", self.prefix), rule));
    }
}

/// Prefixes violations of one feature: geometry rules name the geometry,
/// the rest name the property.
fn at_feature(index: usize, violations: Vec<FieldViolation>) -> Vec<FieldViolation> {
    violations
        .into_iter()
        .map(|v| {
            let field = if v.field.starts_with("boundary") || v.field.starts_with("geometry") {
                let rest = v
                    .field
                    .trim_start_matches("boundary")
                    .trim_start_matches("geometry");
                format!("features[{index}].geometry{rest}")
            } else if v.field.starts_with("features[") {
                v.field
            } else {
                format!("features[{index}].properties.{}", v.field)
            };
            FieldViolation::new(field, v.rule)
        })
        .collect()
}

/// Returns the feature index named in a field path (`features[3]…`).
pub fn feature_index(field: &str) -> u32 {
    field
        .strip_prefix("features[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_violation_names_the_geometry_or_the_property() {
        let found = at_feature(
            3,
            vec![
                FieldViolation::new("boundary.exterior", "must be closed"),
                FieldViolation::new("households", "must be between 20 and 50"),
            ],
        );
        let fields: Vec<_> = found.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "features[3].geometry.exterior",
                "features[3].properties.households"
            ]
        );
        assert_eq!(feature_index(&found[1].field), 3);
    }
}
