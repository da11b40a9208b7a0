//! The overview map (一张总览图) as GeoJSON, and bulk import from GeoJSON.
//! Both speak the same feature properties, so an export can be edited and
//! imported elsewhere.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::IdempotencyKey;
use platform::outbox;
use proto::registry::v1 as pb;
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use super::objects::{ObjectDraft, check_object, micro_grid_of, object_row};
use super::{ApiError, RegistryApi, access, convert, finish, replay};
use crate::domain::geometry::{self, RawShape};
use crate::domain::grid::{self, GridDraft, Placed};
use crate::domain::kinds::Level;
use crate::events;
use crate::index::{GridNode, Snapshot};
use crate::repository::grids::{self, GridRow};
use crate::repository::objects::{self, ObjectRow};

/// Reads feature properties, recording a violation for each value of the
/// wrong type.
struct Properties<'a> {
    map: Option<&'a Map<String, Value>>,
    prefix: String,
    violations: Vec<FieldViolation>,
}

impl<'a> Properties<'a> {
    fn str(&mut self, key: &str) -> String {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(_) => {
                self.violations.push(FieldViolation::new(
                    format!("{}.{key}", self.prefix),
                    "must be a string",
                ));
                String::new()
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => {
                self.violations.push(FieldViolation::new(
                    format!("{}.{key}", self.prefix),
                    "must be a number",
                ));
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> bool {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.violations.push(FieldViolation::new(
                    format!("{}.{key}", self.prefix),
                    "must be true or false",
                ));
                false
            }
        }
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

/// What an import would write, once every feature has been checked.
struct Plan {
    grids: Vec<GridRow>,
    objects: Vec<(
        ObjectDraft,
        crate::domain::kinds::ObjectKind,
        geometry::Shape,
    )>,
    snapshot: Snapshot,
    errors: Vec<FieldViolation>,
}

impl RegistryApi {
    pub(super) async fn export_map(
        &self,
        _caller: Caller,
        request: pb::ExportMapRequest,
    ) -> Result<pb::ExportMapResponse, ApiError> {
        let levels: HashSet<&str> = request
            .levels
            .iter()
            .filter_map(|l| convert::level_from(*l))
            .map(Level::as_str)
            .collect();
        let kinds: Vec<String> = request
            .kinds
            .iter()
            .filter_map(|k| convert::kind_from(*k))
            .map(|k| k.as_str().to_owned())
            .collect();
        let mut conn = self.pool.acquire().await?;
        let mut features = Vec::new();
        for row in grids::all(&mut conn).await? {
            if !levels.is_empty() && !levels.contains(row.level.as_str()) {
                continue;
            }
            features.push(json!({
                "type": "Feature",
                "geometry": row.boundary.0,
                "properties": {
                    "type": "grid", "code": row.code, "name": row.name, "level": row.level,
                    "parent_code": row.parent_code, "households": row.households, "party_group": row.party_group,
                },
            }));
        }
        if request.include_all_objects || !kinds.is_empty() {
            let mut after = String::new();
            loop {
                let page = objects::page(&mut conn, &kinds, None, &after, 1000).await?;
                for row in &page {
                    features.push(object_feature(row));
                }
                match page.last() {
                    Some(last) if page.len() == 1000 => after = last.code.clone(),
                    _ => break,
                }
            }
        }
        let count = features.len() as u32;
        let collection = json!({ "type": "FeatureCollection", "features": features });
        Ok(pb::ExportMapResponse {
            geojson: collection.to_string(),
            features: count,
        })
    }

    #[tracing::instrument(skip_all, fields(dry_run = request.dry_run))]
    pub(super) async fn import_geo_json(
        &self,
        caller: Caller,
        request: pb::ImportGeoJsonRequest,
    ) -> Result<pb::ImportGeoJsonResponse, ApiError> {
        access::require_town_operator(&caller, "import maps")?;
        let collection = geojson::FeatureCollection::from_str(&request.geojson).map_err(|e| {
            ApiError::invalid(
                "geojson",
                format!("must be a GeoJSON FeatureCollection: {e}"),
            )
        })?;
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "ImportGeoJson",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        grids::lock_writes(&mut txn).await?;
        let existing = grids::all(&mut txn).await?;
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
        let taken_objects: HashSet<String> = objects::existing_codes(&mut txn, &codes)
            .await?
            .into_iter()
            .collect();
        let plan = self.plan_import(&collection, &existing, &taken_objects)?;

        let mut response = pb::ImportGeoJsonResponse {
            dry_run: request.dry_run,
            grids: plan.grids.len() as u32,
            objects: plan.objects.len() as u32,
            errors: plan
                .errors
                .iter()
                .map(|v| pb::FeatureError {
                    index: feature_index(&v.field),
                    field: v.field.clone(),
                    reason: v.rule.clone(),
                })
                .collect(),
        };
        if request.dry_run {
            return Ok(response); // the transaction rolls back: nothing written
        }
        if !plan.errors.is_empty() {
            return Err(ApiError::InvalidArgument(plan.errors));
        }
        let now = self.clock.now();
        for row in &plan.grids {
            grids::insert(&mut txn, row).await?;
            let grid = convert::grid(row, false)?;
            outbox::enqueue(&mut txn, &events::grid_created(&caller.subject, now, grid)).await?;
        }
        for (draft, kind, shape) in &plan.objects {
            let row = object_row(
                draft,
                *kind,
                shape,
                micro_grid_of(&plan.snapshot, shape),
                now,
            );
            objects::insert(&mut txn, &row).await?;
            outbox::enqueue(
                &mut txn,
                &events::object_created(&caller.subject, now, convert::object(&row)),
            )
            .await?;
        }
        // Objects registered before their micro-grid existed now have one.
        for anchor in objects::uncovered_anchors(&mut txn).await? {
            let object =
                geometry::Shape::Point(geo::Point::new(anchor.anchor_lng, anchor.anchor_lat));
            if let Some((grid_id, _)) = micro_grid_of(&plan.snapshot, &object) {
                objects::set_micro_grid(&mut txn, anchor.object_id, Some(grid_id)).await?;
            }
        }
        response.errors.clear();
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.index.merge(plan.snapshot);
        self.waker.wake();
        tracing::info!(
            grids = response.grids,
            objects = response.objects,
            "map imported"
        );
        Ok(response)
    }

    /// Checks every feature against the registry and the features before
    /// it, and plans the writes.
    fn plan_import(
        &self,
        collection: &geojson::FeatureCollection,
        existing: &[GridRow],
        taken_objects: &HashSet<String>,
    ) -> Result<Plan, ApiError> {
        let mut nodes: HashMap<String, GridNode> = HashMap::new();
        for row in existing {
            nodes.insert(row.code.clone(), convert::node(row)?);
        }
        let mut children: HashMap<Option<Uuid>, Vec<String>> = HashMap::new();
        for node in nodes.values() {
            children
                .entry(node.parent_id)
                .or_default()
                .push(node.code.clone());
        }
        let mut plan = Plan {
            grids: Vec::new(),
            objects: Vec::new(),
            snapshot: Snapshot::default(),
            errors: Vec::new(),
        };
        let mut object_codes: HashSet<String> = taken_objects.clone();
        let now = self.clock.now();
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
                "grid" => {
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
                        plan.errors.extend(violations);
                        continue;
                    }
                    let boundary = match grid::check_draft(&draft) {
                        Ok(boundary) => boundary,
                        Err(found) => {
                            plan.errors.extend(at_feature(i, found));
                            continue;
                        }
                    };
                    if nodes.contains_key(&draft.code) {
                        plan.errors.extend(at_feature(
                            i,
                            vec![FieldViolation::new(
                                "code",
                                format!("{} already exists", draft.code),
                            )],
                        ));
                        continue;
                    }
                    let level = draft.level.expect("check_draft requires a level");
                    let parent = match &draft.parent_code {
                        Some(code) => match nodes.get(code) {
                            Some(parent) => Some(parent),
                            None => {
                                plan.errors.extend(at_feature(
                                    i,
                                    vec![FieldViolation::new(
                                        "parent_code",
                                        format!("names no grid in the registry or earlier in this file: {code}"),
                                    )],
                                ));
                                continue;
                            }
                        },
                        None => None,
                    };
                    let parent_id = parent.map(|p| p.id);
                    let siblings: Vec<Placed<'_>> = children
                        .get(&parent_id)
                        .into_iter()
                        .flatten()
                        .filter_map(|c| nodes.get(c))
                        .map(GridNode::placed)
                        .collect();
                    let found = grid::check_placement(
                        level,
                        &draft.code,
                        &boundary,
                        parent.map(GridNode::placed).as_ref(),
                        &siblings,
                        self.settings.tolerances(),
                    );
                    if !found.is_empty() {
                        plan.errors.extend(at_feature(i, found));
                        continue;
                    }
                    let row = GridRow {
                        grid_id: Uuid::now_v7(),
                        code: draft.code.clone(),
                        name: draft.name.clone(),
                        level: level.as_str().to_owned(),
                        parent_id,
                        parent_code: draft.parent_code.clone(),
                        households: draft.households.map(|h| h as i32),
                        party_group: draft.party_group.clone(),
                        boundary: Json(geometry::polygon_geojson(&draft.boundary)),
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    };
                    children
                        .entry(parent_id)
                        .or_default()
                        .push(row.code.clone());
                    nodes.insert(row.code.clone(), convert::node(&row)?);
                    plan.grids.push(row);
                }
                "object" => {
                    let draft = ObjectDraft {
                        code: props.str("code"),
                        name: props.str("name"),
                        kind: crate::domain::kinds::ObjectKind::parse(&props.str("kind")),
                        geometry: raw,
                        high_risk: props.bool("high_risk"),
                        head_name: props.str("head_name"),
                        head_phone: props.str("head_phone"),
                        area_ha: props.number("area_ha").unwrap_or_default(),
                    };
                    let mut violations = std::mem::take(&mut props.violations);
                    match check_object(&draft) {
                        Ok((kind, shape)) if violations.is_empty() => {
                            if !object_codes.insert(draft.code.clone()) {
                                plan.errors.extend(at_feature(
                                    i,
                                    vec![FieldViolation::new(
                                        "code",
                                        format!("{} already exists", draft.code),
                                    )],
                                ));
                                continue;
                            }
                            plan.objects.push((draft, kind, shape));
                        }
                        Ok(_) => plan.errors.extend(violations),
                        Err(found) => {
                            violations.extend(at_feature(i, found));
                            plan.errors.extend(violations);
                        }
                    }
                }
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
        plan.snapshot = Snapshot::build(nodes.into_values());
        Ok(plan)
    }
}

/// Returns the feature index named in a field path (`features[3]…`).
fn feature_index(field: &str) -> u32 {
    field
        .strip_prefix("features[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

fn object_feature(row: &ObjectRow) -> Value {
    json!({
        "type": "Feature",
        "geometry": row.geometry.0,
        "properties": {
            "type": "object", "code": row.code, "name": row.name, "kind": row.kind,
            "micro_grid_code": row.micro_grid_code, "high_risk": row.high_risk,
            "head_name": row.head_name, "area_ha": row.area_ha,
        },
    })
}
