//! The expert registry.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::review::v1 as pb;

use super::{ReviewApi, code, id, list, optional_code, text, time};
use crate::application::experts::{self, DeclareInterest};
use crate::convert;
use crate::domain::expert::NewExpert;
use crate::domain::ids::ExpertId;

impl ReviewApi {
    pub(super) async fn register_expert(
        &self,
        caller: Caller,
        request: pb::RegisterExpertRequest,
    ) -> Result<pb::RegisterExpertResponse, AppError> {
        let cmd = new_expert(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        experts::register_expert(&self.ctx, &caller, key, cmd, |e| {
            pb::RegisterExpertResponse {
                expert: Some(convert::expert(e, &[])),
            }
        })
        .await
    }

    pub(super) async fn list_experts(
        &self,
        caller: Caller,
        request: pb::ListExpertsRequest,
    ) -> Result<pb::ListExpertsResponse, AppError> {
        let field = request.field.trim();
        let field = (!field.is_empty()).then(|| field.to_owned());
        let (found, declarations) = experts::list_experts(&self.ctx, &caller, field).await?;
        Ok(pb::ListExpertsResponse {
            experts: found
                .iter()
                .map(|e| convert::expert(e, &declarations))
                .collect(),
        })
    }

    pub(super) async fn declare_interest(
        &self,
        caller: Caller,
        request: pb::DeclareInterestRequest,
    ) -> Result<pb::DeclareInterestResponse, AppError> {
        let mut violations = Violations::new();
        let expert = id(
            &request.expert_id,
            "expert_id",
            ExpertId::parse,
            &mut violations,
        );
        let party = text(&request.party, "party", 200, &mut violations);
        violations.check(
            request.note.chars().count() <= 2000,
            "note",
            "must be at most 2000 characters",
        );
        let expires_at = time(request.expires_at.as_ref(), "expires_at", &mut violations);
        violations.finish()?;
        let cmd = DeclareInterest {
            expert: expert.expect("checked"),
            party,
            note: request.note.trim().to_owned(),
            expires_at: expires_at.expect("checked"),
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        experts::declare_interest(&self.ctx, &caller, key, cmd, |d| {
            pb::DeclareInterestResponse {
                declaration: Some(convert::declaration(d)),
            }
        })
        .await
    }
}

/// Decodes an expert to register.
fn new_expert(request: &pb::RegisterExpertRequest) -> Result<NewExpert, AppError> {
    let mut violations = Violations::new();
    let name = text(&request.name, "name", 100, &mut violations);
    let kind = convert::expert_kind_from(request.kind);
    violations.check(kind.is_some(), "kind", "must be an expert kind");
    let fields = list(&request.fields, "fields", 100, 20, &mut violations);
    let credentials = text(&request.credentials, "credentials", 100, &mut violations);
    let organisation = code(&request.organisation, "organisation", &mut violations);
    let reports_to = optional_code(&request.reports_to, "reports_to", &mut violations);
    violations.check(
        request.public_key.len() == 32,
        "public_key",
        "must be a 32-byte ed25519 public key",
    );
    violations.finish()?;
    Ok(NewExpert {
        name,
        kind: kind.expect("checked"),
        fields,
        credentials,
        organisation,
        reports_to,
        public_key: request.public_key.clone(),
    })
}
