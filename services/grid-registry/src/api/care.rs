//! CreateCarePerson, ListCarePeople and ListCareAccessLog: the restricted
//! store of special-care people (六类人), always masked, every read audited.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::registry::v1 as pb;

use super::RegistryApi;
use super::paging::Page;
use crate::application::care::{self, ListCarePeople};
use crate::convert;
use crate::domain::DomainError;
use crate::domain::care::CarePersonDraft;
use crate::domain::ids::AccessId;

/// Decodes a read of special-care people: a purpose, a page, the grid (the
/// caller's scope when none is named) and a category.
fn care_query(
    caller: &Caller,
    request: pb::ListCarePeopleRequest,
) -> Result<(ListCarePeople, Page), AppError> {
    let purpose = request.purpose.trim();
    if purpose.chars().count() < 2 {
        return Err(AppError::invalid(
            "purpose",
            "is required: why this data is read (it is audited)",
        ));
    }
    let page = Page::of(request.page_size, &request.page_token)?;
    let grid_code = match (request.grid_code.trim(), caller.scope.as_deref()) {
        ("", Some(scope)) => scope.to_owned(),
        (code, _) => code.to_owned(),
    };
    let category = match request.category {
        0 => None,
        c => Some(
            convert::category_from(c)
                .ok_or_else(|| AppError::invalid("category", "must be a special-care group"))?,
        ),
    };
    let query = ListCarePeople {
        purpose: purpose.to_owned(),
        grid_code,
        category,
        after: page.after.clone(),
        limit: page.limit,
    };
    Ok((query, page))
}

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn create_care_person(
        &self,
        caller: Caller,
        request: pb::CreateCarePersonRequest,
    ) -> Result<pb::CreateCarePersonResponse, AppError> {
        let new = CarePersonDraft {
            code: request.code.clone(),
            micro_grid_code: request.micro_grid_code.clone(),
            category: convert::category_from(request.category),
            name: request.name.clone(),
            id_number: request.id_number.clone(),
            phone: request.phone.clone(),
        }
        .check()
        .map_err(DomainError::Invalid)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        care::create_care_person(&self.ctx, &caller, key, new, |person| {
            pb::CreateCarePersonResponse {
                person: Some(convert::care_person(person)),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(caller = %caller.subject))]
    pub(super) async fn list_care_people(
        &self,
        caller: Caller,
        request: pb::ListCarePeopleRequest,
    ) -> Result<pb::ListCarePeopleResponse, AppError> {
        let (query, page) = care_query(&caller, request)?;
        let people = care::list_care_people(&self.ctx, &caller, query).await?;
        Ok(pb::ListCarePeopleResponse {
            next_page_token: page.next_token(&people, |p| p.code.as_str()),
            people: people.iter().map(convert::care_person).collect(),
        })
    }

    pub(super) async fn list_care_access_log(
        &self,
        _caller: Caller,
        request: pb::ListCareAccessLogRequest,
    ) -> Result<pb::ListCareAccessLogResponse, AppError> {
        let page = Page::of(request.page_size, &request.page_token)?;
        let before = match page.after.as_str() {
            "" => None,
            id => Some(
                AccessId::parse(id)
                    .ok_or_else(|| AppError::invalid("page_token", "is not from this list"))?,
            ),
        };
        let entries = care::access_log(&self.ctx, before, page.limit).await?;
        let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
        Ok(pb::ListCareAccessLogResponse {
            next_page_token: page.next_token(&ids, String::as_str),
            entries: entries.iter().map(convert::care_access).collect(),
        })
    }
}
