//! The overview map's layers (图层) over the micro-grids: the covered
//! objects of the registry (shops, schools, enterprises, rivers, parcels…)
//! and the cameras of video ingest, each as a point.
//!
//! Both are asked for with the staff member's own token, and within their
//! scope: a workstation's staff (scope: their village) and a micro-grid's
//! people (scope: their micro-grid) are given the objects and cameras
//! under their grid only — the edge passes the token's scope as the
//! services' `grid_code` filter, so nothing of another village leaves the
//! services. A role a service refuses (a reviewer has no cameras) gets that
//! layer empty and marked as not shown.

use axum::Json;
use axum::extract::State;
use platform::grpc::client;
use proto::registry::v1 as registry;
use proto::video::v1 as video;
use serde::Serialize;

use super::Staff;
use crate::convert::word;
use crate::error::ApiError;
use crate::state::Shared;

/// One page of either service (both allow at least this many).
const PAGE: u32 = 500;
/// The most pages of one layer (10 000 points: Langxia's objects and
/// cameras several times over).
const MAX_PAGES: usize = 20;

/// A covered object as a point on the map.
#[derive(Debug, Serialize)]
pub struct ObjectPoint {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub micro_grid_code: String,
    pub high_risk: bool,
    /// `[lng, lat]`: the point, a line's middle vertex, a polygon's mean
    /// vertex.
    pub at: [f64; 2],
}

/// A camera as a point on the map.
#[derive(Debug, Serialize)]
pub struct CameraPoint {
    pub channel_id: String,
    pub name: String,
    /// general, capture, thermal…
    pub kind: String,
    pub grid_code: String,
    /// online, offline or unregistered.
    pub status: String,
    pub at: [f64; 2],
}

/// The map's layers as this staff member may see them.
#[derive(Debug, Serialize)]
pub struct Layers {
    /// The grid the layers are limited to (the token's scope), if any.
    pub scope: Option<String>,
    /// Whether the registry gave this role its objects.
    pub objects_shown: bool,
    pub objects: Vec<ObjectPoint>,
    /// Whether video ingest gave this role its cameras.
    pub cameras_shown: bool,
    pub cameras: Vec<CameraPoint>,
}

/// Returns a shape's point to draw.
fn representative(geometry: Option<&registry::Geometry>) -> Option<[f64; 2]> {
    use registry::geometry::Shape;
    let mean = |points: &[registry::LatLng]| {
        // A closed ring repeats its first vertex; counting it twice moves
        // the mean a little, which a marker does not show.
        let n = points.len() as f64;
        (!points.is_empty()).then(|| {
            [
                points.iter().map(|p| p.lng).sum::<f64>() / n,
                points.iter().map(|p| p.lat).sum::<f64>() / n,
            ]
        })
    };
    match geometry?.shape.as_ref()? {
        Shape::Point(p) => Some([p.lng, p.lat]),
        Shape::Line(ring) => ring
            .points
            .get(ring.points.len() / 2)
            .map(|p| [p.lng, p.lat]),
        Shape::Polygon(polygon) => mean(&polygon.exterior.as_ref()?.points),
    }
}

/// Returns `answer`'s value, or `None` for a role the service refuses.
fn unless_refused<T>(answer: Result<T, tonic::Status>) -> Result<Option<T>, ApiError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(status) if status.code() == tonic::Code::PermissionDenied => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// Reads every page `fetch` gives (at most [`MAX_PAGES`]), each from the
/// page token before; `None` for a role the service refuses.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Option<Vec<T>>, ApiError>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, String), tonic::Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    for _ in 0..MAX_PAGES {
        let Some((page, next)) = unless_refused(fetch(token).await)? else {
            return Ok(None);
        };
        items.extend(page);
        if next.is_empty() {
            break;
        }
        token = next;
    }
    Ok(Some(items))
}

async fn objects(
    edge: &Shared,
    staff: &Staff,
    scope: &str,
) -> Result<Option<Vec<ObjectPoint>>, ApiError> {
    let objects = all_pages(|page_token| {
        let request = registry::ListObjectsRequest {
            grid_code: scope.to_owned(),
            page_size: PAGE,
            page_token,
            ..Default::default()
        };
        let mut client = edge.neighbours.registry.clone();
        let request = client::as_caller(request, staff.token());
        async move {
            let page = client.list_objects(request?).await?.into_inner();
            Ok((page.objects, page.next_page_token))
        }
    })
    .await?;
    Ok(objects.map(|objects| {
        objects
            .into_iter()
            .filter_map(|o| {
                Some(ObjectPoint {
                    at: representative(o.geometry.as_ref())?,
                    kind: word(o.kind().as_str_name(), "OBJECT_KIND_"),
                    code: o.code,
                    name: o.name,
                    micro_grid_code: o.micro_grid_code,
                    high_risk: o.high_risk,
                })
            })
            .collect()
    }))
}

async fn cameras(
    edge: &Shared,
    staff: &Staff,
    scope: &str,
) -> Result<Option<Vec<CameraPoint>>, ApiError> {
    let cameras = all_pages(|page_token| {
        let request = video::ListCamerasRequest {
            grid_code: scope.to_owned(),
            page_size: PAGE,
            page_token,
            ..Default::default()
        };
        let mut client = edge.neighbours.video.clone();
        let request = client::as_caller(request, staff.token());
        async move {
            let page = client.list_cameras(request?).await?.into_inner();
            Ok((page.cameras, page.next_page_token))
        }
    })
    .await?;
    Ok(cameras.map(|cameras| {
        cameras
            .into_iter()
            .filter_map(|c| {
                let at = c.location.as_ref().map(|l| [l.lng, l.lat])?;
                Some(CameraPoint {
                    kind: word(c.kind().as_str_name(), "CAMERA_KIND_"),
                    status: word(c.device_status().as_str_name(), "DEVICE_STATUS_"),
                    channel_id: c.channel_id,
                    name: c.name,
                    grid_code: c.grid_code,
                    at,
                })
            })
            .collect()
    }))
}

pub async fn layers(State(edge): State<Shared>, staff: Staff) -> Result<Json<Layers>, ApiError> {
    let scope = staff.0.scope.clone().unwrap_or_default();
    let (objects, cameras) = tokio::try_join!(
        objects(&edge, &staff, &scope),
        cameras(&edge, &staff, &scope)
    )?;
    Ok(Json(Layers {
        scope: crate::convert::some(&scope),
        objects_shown: objects.is_some(),
        objects: objects.unwrap_or_default(),
        cameras_shown: cameras.is_some(),
        cameras: cameras.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use registry::geometry::Shape;

    use super::*;

    fn at(lng: f64, lat: f64) -> registry::LatLng {
        registry::LatLng { lat, lng }
    }

    #[test]
    fn an_objects_point_is_its_point_its_lines_middle_or_its_polygons_mean() {
        let shape = |s: Shape| registry::Geometry { shape: Some(s) };
        assert_eq!(
            representative(Some(&shape(Shape::Point(at(121.0, 30.0))))),
            Some([121.0, 30.0])
        );
        let line = registry::Ring {
            points: vec![at(121.0, 30.0), at(121.1, 30.1), at(121.2, 30.2)],
        };
        assert_eq!(
            representative(Some(&shape(Shape::Line(line)))),
            Some([121.1, 30.1])
        );
        let square = registry::Polygon {
            exterior: Some(registry::Ring {
                points: vec![at(0.0, 0.0), at(2.0, 0.0), at(2.0, 2.0), at(0.0, 2.0)],
            }),
            holes: Vec::new(),
        };
        assert_eq!(
            representative(Some(&shape(Shape::Polygon(square)))),
            Some([1.0, 1.0])
        );
        assert_eq!(representative(None), None, "no geometry, no point");
    }
}
