//! CreateObject, GetObject and ListObjects.

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::IdempotencyKey;
use platform::outbox;
use proto::registry::v1 as pb;
use sqlx::types::Json;
use uuid::Uuid;

use super::{ApiError, RegistryApi, access, convert, finish, replay};
use crate::domain::geometry::{self, RawShape, Shape};
use crate::domain::grid::{check_code, check_name};
use crate::domain::kinds::ObjectKind;
use crate::domain::people::check_phone;
use crate::events;
use crate::index::{Resolution, Snapshot};
use crate::repository::objects::{self, ObjectRow};

/// A covered object as a write proposes it.
pub(super) struct ObjectDraft {
    pub code: String,
    pub name: String,
    pub kind: Option<ObjectKind>,
    pub geometry: Option<RawShape>,
    pub high_risk: bool,
    pub head_name: String,
    pub head_phone: String,
    pub area_ha: f64,
}

/// Checks an object's fields and returns its kind and shape.
pub(super) fn check_object(
    draft: &ObjectDraft,
) -> Result<(ObjectKind, Shape), Vec<FieldViolation>> {
    let mut out = Vec::new();
    check_code("code", &draft.code, &mut out);
    check_name("name", &draft.name, &mut out);
    if draft.kind.is_none() {
        out.push(FieldViolation::new("kind", "must be a covered object kind"));
    }
    let shape = match &draft.geometry {
        None => {
            out.push(FieldViolation::new(
                "geometry",
                "is required: a point, a line or a polygon",
            ));
            None
        }
        Some(raw) => match geometry::shape("geometry", raw) {
            Ok(shape) => Some(shape),
            Err(violations) => {
                out.extend(violations);
                None
            }
        },
    };
    if let Some(kind) = draft.kind {
        if draft.high_risk && kind != ObjectKind::Enterprise {
            out.push(FieldViolation::new(
                "high_risk",
                "is recorded only for enterprises",
            ));
        }
        if kind == ObjectKind::Enterprise {
            if draft.head_name.trim().is_empty() {
                out.push(FieldViolation::new(
                    "head_name",
                    "is required for an enterprise: its head carries first-inquiry duty",
                ));
            }
            check_phone("head_phone", &draft.head_phone, &mut out);
        } else if kind.has_head() {
            if !draft.head_phone.is_empty() {
                check_phone("head_phone", &draft.head_phone, &mut out);
            }
        } else if !draft.head_name.is_empty() || !draft.head_phone.is_empty() {
            out.push(FieldViolation::new(
                "head_name",
                "is recorded only for enterprises and cooperatives",
            ));
        }
        if kind.has_area() {
            if !(draft.area_ha.is_finite() && draft.area_ha > 0.0) {
                out.push(FieldViolation::new(
                    "area_ha",
                    "must be a positive number of hectares for a parcel",
                ));
            }
        } else if draft.area_ha != 0.0 {
            out.push(FieldViolation::new(
                "area_ha",
                "is recorded only for forest and farmland parcels",
            ));
        }
    }
    match (draft.kind, shape) {
        (Some(kind), Some(shape)) if out.is_empty() => Ok((kind, shape)),
        _ => Err(out),
    }
}

/// Returns the micro-grid holding `shape`'s anchor, if any.
pub(super) fn micro_grid_of(snapshot: &Snapshot, shape: &Shape) -> Option<(Uuid, String)> {
    match snapshot.resolve(shape.anchor()) {
        Resolution::Inside { micro, .. } => Some((micro.id, micro.code.clone())),
        Resolution::Outside { .. } => None,
    }
}

/// Returns the row to store for a checked object.
pub(super) fn object_row(
    draft: &ObjectDraft,
    kind: ObjectKind,
    shape: &Shape,
    micro: Option<(Uuid, String)>,
    now: chrono::DateTime<chrono::Utc>,
) -> ObjectRow {
    let anchor = shape.anchor();
    let optional = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    ObjectRow {
        object_id: Uuid::now_v7(),
        code: draft.code.trim().to_owned(),
        name: draft.name.trim().to_owned(),
        kind: kind.as_str().to_owned(),
        geometry: Json(geometry::to_geojson(&shape.to_raw())),
        anchor_lng: anchor.x(),
        anchor_lat: anchor.y(),
        micro_grid_id: micro.as_ref().map(|m| m.0),
        micro_grid_code: micro.map(|m| m.1),
        high_risk: draft.high_risk,
        head_name: optional(&draft.head_name),
        head_phone: optional(&draft.head_phone),
        area_ha: kind.has_area().then_some(draft.area_ha),
        created_at: now,
    }
}

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn create_object(
        &self,
        caller: Caller,
        request: pb::CreateObjectRequest,
    ) -> Result<pb::CreateObjectResponse, ApiError> {
        let draft = ObjectDraft {
            code: request.code.trim().to_owned(),
            name: request.name.clone(),
            kind: convert::kind_from(request.kind),
            geometry: convert::shape_from(request.geometry.as_ref()),
            high_risk: request.high_risk,
            head_name: request.head_name.clone(),
            head_phone: request.head_phone.clone(),
            area_ha: request.area_ha,
        };
        let (kind, shape) = check_object(&draft).map_err(ApiError::InvalidArgument)?;
        let micro = micro_grid_of(&self.index.snapshot(), &shape);

        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "CreateObject",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        access::require_writer(&mut txn, &caller, micro.as_ref().map(|m| m.0)).await?;
        let row = object_row(&draft, kind, &shape, micro, self.clock.now());
        objects::insert(&mut txn, &row).await?;
        let object = convert::object(&row);
        outbox::enqueue(
            &mut txn,
            &events::object_created(&caller.subject, row.created_at, object.clone()),
        )
        .await?;
        let response = pb::CreateObjectResponse {
            object: Some(object),
        };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    pub(super) async fn get_object(
        &self,
        _caller: Caller,
        request: pb::GetObjectRequest,
    ) -> Result<pb::GetObjectResponse, ApiError> {
        let id = match request.id.as_str() {
            "" => None,
            id => Some(
                id.parse::<Uuid>()
                    .map_err(|_| ApiError::invalid("id", "must be a UUID"))?,
            ),
        };
        if id.is_none() && request.code.trim().is_empty() {
            return Err(ApiError::invalid("code", "either id or code is required"));
        }
        let mut conn = self.pool.acquire().await?;
        let row = objects::find(&mut conn, id, request.code.trim())
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "covered object {}{}",
                    request.code.trim(),
                    request.id
                ))
            })?;
        Ok(pb::GetObjectResponse {
            object: Some(convert::object(&row)),
        })
    }

    pub(super) async fn list_objects(
        &self,
        _caller: Caller,
        request: pb::ListObjectsRequest,
    ) -> Result<pb::ListObjectsResponse, ApiError> {
        let limit = convert::page_size(request.page_size)?;
        let after = convert::after(&request.page_token)?;
        let kinds = match request.kind {
            0 => Vec::new(),
            k => vec![
                convert::kind_from(k)
                    .ok_or_else(|| ApiError::invalid("kind", "must be a covered object kind"))?
                    .as_str()
                    .to_owned(),
            ],
        };
        let grid_ids = self.micro_grids_under(&request.grid_code)?;
        let mut conn = self.pool.acquire().await?;
        let rows = objects::page(&mut conn, &kinds, grid_ids.as_deref(), &after, limit).await?;
        Ok(pb::ListObjectsResponse {
            next_page_token: convert::next_token(&rows, limit, |r| r.code.as_str()),
            objects: rows.iter().map(convert::object).collect(),
        })
    }

    /// Returns the micro-grids at or below the grid coded `code` (`None`
    /// for an empty code: no filter).
    pub(super) fn micro_grids_under(&self, code: &str) -> Result<Option<Vec<Uuid>>, ApiError> {
        let code = code.trim();
        if code.is_empty() {
            return Ok(None);
        }
        let snapshot = self.index.snapshot();
        let grid = snapshot
            .by_code(code)
            .ok_or_else(|| ApiError::invalid("grid_code", format!("names no grid: {code}")))?;
        let mut ids = vec![grid.id];
        ids.extend(snapshot.descendants(&grid.id));
        Ok(Some(
            ids.into_iter()
                .filter(|id| {
                    snapshot
                        .get(id)
                        .is_some_and(|n| n.level == crate::domain::kinds::Level::Micro)
                })
                .collect(),
        ))
    }
}
