//! The tonic implementation of `weigrid.registry.v1.RegistryService`: each
//! method (the caller was set by the platform layer) decodes the request
//! into a command, refusing bad input by field before any database work,
//! builds the call's key, calls one use case and encodes its answer.
//! Errors are `platform::error::AppError`, mapped to status in one place.

mod care;
mod grids;
mod map;
mod members;
mod objects;
pub mod paging;
mod responsibility;

use platform::error::AppError;
use proto::registry::v1 as pb;
use proto::registry::v1::registry_service_server::RegistryService;

use crate::application::Context;
use crate::domain::DomainError;
use crate::domain::geometry;

/// The registry's gRPC service.
#[derive(Clone)]
pub struct RegistryApi {
    ctx: Context,
}

impl RegistryApi {
    /// Returns the service over the use cases' context.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }
}

impl RegistryApi {
    /// Refuses a request whose lists (field, length) hold more than
    /// `registry.limits.max_list_items`.
    fn within_list_cap(&self, lists: &[(&str, usize)]) -> Result<(), AppError> {
        let max = self.ctx.limits().max_list_items;
        match lists.iter().find(|(_, len)| *len > max) {
            Some((field, _)) => Err(AppError::invalid(
                *field,
                format!("must list at most {max} items"),
            )),
            None => Ok(()),
        }
    }
}

/// Checks a location field and returns it as a point (x = longitude).
fn location(location: Option<&pb::LatLng>, field: &str) -> Result<geo::Point, AppError> {
    let Some(location) = location else {
        return Err(AppError::invalid(field, "is required"));
    };
    Ok(geometry::location(field, location.lat, location.lng).map_err(DomainError::Invalid)?)
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
