//! CreateObject, GetObject and ListObjects.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::registry::v1 as pb;

use super::RegistryApi;
use super::paging::Page;
use crate::application::objects::{self, ListObjects};
use crate::convert;
use crate::domain::ids::ObjectId;
use crate::domain::object::ObjectDraft;

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn create_object(
        &self,
        caller: Caller,
        request: pb::CreateObjectRequest,
    ) -> Result<pb::CreateObjectResponse, AppError> {
        // Decoded only: the use case checks the role before any rule.
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
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        objects::create_object(&self.ctx, &caller, key, draft, |object| {
            pb::CreateObjectResponse {
                object: Some(convert::object(object)),
            }
        })
        .await
    }

    pub(super) async fn get_object(
        &self,
        _caller: Caller,
        request: pb::GetObjectRequest,
    ) -> Result<pb::GetObjectResponse, AppError> {
        let id = match request.id.as_str() {
            "" => None,
            id => {
                Some(ObjectId::parse(id).ok_or_else(|| AppError::invalid("id", "must be a UUID"))?)
            }
        };
        let code = request.code.trim();
        if id.is_none() && code.is_empty() {
            return Err(AppError::invalid("code", "either id or code is required"));
        }
        let object = objects::get_object(&self.ctx, id, code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("covered object {code}{}", request.id)))?;
        Ok(pb::GetObjectResponse {
            object: Some(convert::object(&object)),
        })
    }

    pub(super) async fn list_objects(
        &self,
        _caller: Caller,
        request: pb::ListObjectsRequest,
    ) -> Result<pb::ListObjectsResponse, AppError> {
        let page = Page::of(
            request.page_size,
            &request.page_token,
            self.ctx.limits().max_page_size,
        )?;
        let kind = match request.kind {
            0 => None,
            k => Some(
                convert::kind_from(k)
                    .ok_or_else(|| AppError::invalid("kind", "must be a covered object kind"))?,
            ),
        };
        let query = ListObjects {
            kind,
            grid_code: request.grid_code,
            after: page.after.clone(),
            limit: page.limit,
        };
        let objects = objects::list_objects(&self.ctx, query).await?;
        Ok(pb::ListObjectsResponse {
            next_page_token: page.next_token(&objects, |o| o.code.as_str()),
            objects: objects.iter().map(convert::object).collect(),
        })
    }
}
