//! The tonic implementation of `weigrid.registry.v1.RegistryService`: each
//! method authenticates (the caller was set by the platform layer), decodes,
//! authorises, and runs one transaction; errors map to status in one place
//! (`error.rs`).

mod access;
pub mod convert;
mod error;
mod grids;
mod map;
mod members;
mod objects;
mod people;
mod responsibility;

use std::sync::Arc;

use platform::auth::Role;
use platform::clock::SharedClock;
use platform::idempotency::{self, IdempotencyKey};
use platform::outbox::RelayWaker;
use proto::registry::v1 as pb;
use proto::registry::v1::registry_service_server::RegistryService;
use sqlx::{PgConnection, PgPool};

pub use error::ApiError;

use crate::config::RegistrySettings;
use crate::index::SpatialIndex;

/// The registry's gRPC service.
#[derive(Clone)]
pub struct RegistryApi {
    pool: PgPool,
    index: Arc<SpatialIndex>,
    clock: SharedClock,
    waker: RelayWaker,
    settings: Arc<RegistrySettings>,
    care_readers: Arc<Vec<Role>>,
}

impl RegistryApi {
    /// Returns the service over `pool` and `index`.
    pub fn new(
        pool: PgPool,
        index: Arc<SpatialIndex>,
        clock: SharedClock,
        waker: RelayWaker,
        settings: RegistrySettings,
    ) -> Self {
        let care_readers = Arc::new(settings.care_readers());
        Self {
            pool,
            index,
            clock,
            waker,
            settings: Arc::new(settings),
            care_readers,
        }
    }
}

/// Replays the saved response when this idempotent call already committed.
async fn replay<R: prost::Message + Default>(
    conn: &mut PgConnection,
    key: &Option<IdempotencyKey>,
) -> Result<Option<R>, ApiError> {
    Ok(idempotency::replay(conn, key).await?)
}

/// Saves the response of an idempotent call in its transaction.
async fn finish(
    conn: &mut PgConnection,
    key: &Option<IdempotencyKey>,
    response: &impl prost::Message,
) -> Result<(), ApiError> {
    Ok(idempotency::finish(conn, key, response).await?)
}

platform::delegate_rpcs! {
    RegistryService for RegistryApi {
    create_grid: pb::CreateGridRequest => pb::CreateGridResponse;
    update_grid: pb::UpdateGridRequest => pb::UpdateGridResponse;
    get_grid: pb::GetGridRequest => pb::GetGridResponse;
    list_grids: pb::ListGridsRequest => pb::ListGridsResponse;
    resolve_location: pb::ResolveLocationRequest => pb::ResolveLocationResponse;
    add_member: pb::AddMemberRequest => pb::AddMemberResponse;
    remove_member: pb::RemoveMemberRequest => pb::RemoveMemberResponse;
    list_members: pb::ListMembersRequest => pb::ListMembersResponse;
    get_coverage_report: pb::GetCoverageReportRequest => pb::GetCoverageReportResponse;
    create_object: pb::CreateObjectRequest => pb::CreateObjectResponse;
    get_object: pb::GetObjectRequest => pb::GetObjectResponse;
    list_objects: pb::ListObjectsRequest => pb::ListObjectsResponse;
    create_care_person: pb::CreateCarePersonRequest => pb::CreateCarePersonResponse;
    list_care_people: pb::ListCarePeopleRequest => pb::ListCarePeopleResponse;
    list_care_access_log: pb::ListCareAccessLogRequest => pb::ListCareAccessLogResponse;
    upsert_safety_domain: pb::UpsertSafetyDomainRequest => pb::UpsertSafetyDomainResponse;
    upsert_department: pb::UpsertDepartmentRequest => pb::UpsertDepartmentResponse;
    list_departments: pb::ListDepartmentsRequest => pb::ListDepartmentsResponse;
    assign_domain_duty: pb::AssignDomainDutyRequest => pb::AssignDomainDutyResponse;
    find_responsible: pb::FindResponsibleRequest => pb::FindResponsibleResponse;
    export_map: pb::ExportMapRequest => pb::ExportMapResponse;
    import_geo_json: pb::ImportGeoJsonRequest => pb::ImportGeoJsonResponse;
}
}
