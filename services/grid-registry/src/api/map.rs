//! ExportMap and ImportGeoJson: the overview map (一张总览图) as GeoJSON,
//! and bulk import from it.

use std::str::FromStr;

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::registry::v1 as pb;

use super::RegistryApi;
use crate::application::map::{self, ExportMap, feature_index};
use crate::convert;

impl RegistryApi {
    pub(super) async fn export_map(
        &self,
        _caller: Caller,
        request: pb::ExportMapRequest,
    ) -> Result<pb::ExportMapResponse, AppError> {
        self.within_list_cap(&[
            ("levels", request.levels.len()),
            ("kinds", request.kinds.len()),
        ])?;
        let query = ExportMap {
            levels: request
                .levels
                .iter()
                .filter_map(|l| convert::level_from(*l))
                .collect(),
            kinds: request
                .kinds
                .iter()
                .filter_map(|k| convert::kind_from(*k))
                .collect(),
            include_all_objects: request.include_all_objects,
        };
        let map = map::export_map(&self.ctx, query).await?;
        Ok(pb::ExportMapResponse {
            geojson: map.geojson,
            features: map.features,
        })
    }

    #[tracing::instrument(skip_all, fields(dry_run = request.dry_run))]
    pub(super) async fn import_geo_json(
        &self,
        caller: Caller,
        request: pb::ImportGeoJsonRequest,
    ) -> Result<pb::ImportGeoJsonResponse, AppError> {
        let collection = geojson::FeatureCollection::from_str(&request.geojson).map_err(|e| {
            AppError::invalid(
                "geojson",
                format!("must be a GeoJSON FeatureCollection: {e}"),
            )
        })?;
        map::import_within_limits(&collection, self.ctx.limits())?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        map::import_geo_json(
            &self.ctx,
            &caller,
            key,
            &collection,
            request.dry_run,
            |report| pb::ImportGeoJsonResponse {
                dry_run: report.dry_run,
                grids: report.grids,
                objects: report.objects,
                errors: report
                    .errors
                    .iter()
                    .map(|v| pb::FeatureError {
                        index: feature_index(&v.field),
                        field: v.field.clone(),
                        reason: v.rule.clone(),
                    })
                    .collect(),
            },
        )
        .await
    }
}
