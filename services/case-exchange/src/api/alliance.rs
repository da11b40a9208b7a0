//! The alliance and the joint defence groups, and alerts' acknowledgements.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::exchange::v1 as pb;

use super::ExchangeApi;
use crate::application::alerts;
use crate::application::alliance::{self, AddMember};
use crate::convert;
use crate::domain::alliance::MemberKind;
use crate::domain::ids::MemberId;

/// The longest name, place or contact, in characters.
const MAX_TEXT: usize = 200;

fn text(v: &mut Violations, field: &str, value: &str) {
    v.check(!value.trim().is_empty(), field, "must not be empty");
    v.check(
        value.chars().count() <= MAX_TEXT,
        field,
        format!("must be at most {MAX_TEXT} characters"),
    );
}

impl ExchangeApi {
    pub(super) async fn add_member(
        &self,
        caller: Caller,
        request: pb::AddMemberRequest,
    ) -> Result<pb::AddMemberResponse, AppError> {
        let mut v = Violations::new();
        let kind = convert::member_kind_of(request.kind());
        v.check(
            kind.is_some(),
            "kind",
            "must be ALLIANCE_SHOP or JOINT_DEFENCE_GROUP",
        );
        for (field, value) in [
            ("name", &request.name),
            ("place", &request.place),
            ("contact_name", &request.contact_name),
        ] {
            text(&mut v, field, value);
        }
        let digits = request
            .contact_phone
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        v.check(
            (7..=15).contains(&digits),
            "contact_phone",
            "must be a phone number",
        );
        v.check(
            match kind {
                Some(MemberKind::JointDefenceGroup) => (2..=50).contains(&request.households),
                _ => request.households == 0,
            },
            "households",
            "must be 2–50 for a joint defence group and 0 for a shop",
        );
        v.finish()?;
        let Some(kind) = kind else {
            unreachable!("checked above")
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = AddMember {
            kind,
            name: request.name.trim().to_owned(),
            place: request.place.trim().to_owned(),
            households: request.households,
            contact_name: request.contact_name.trim().to_owned(),
            contact_phone: request.contact_phone.trim().to_owned(),
        };
        alliance::add_member(&self.ctx, &caller, key, cmd, |m| pb::AddMemberResponse {
            member: Some(convert::member(m)),
        })
        .await
    }

    pub(super) async fn list_members(
        &self,
        _caller: Caller,
        request: pb::ListMembersRequest,
    ) -> Result<pb::ListMembersResponse, AppError> {
        let kind = convert::member_kind_of(request.kind());
        let found = alliance::list_members(&self.ctx, kind).await?;
        Ok(pb::ListMembersResponse {
            members: found.iter().map(convert::member).collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(identifier = %request.identifier))]
    pub(super) async fn acknowledge_alert(
        &self,
        caller: Caller,
        request: pb::AcknowledgeAlertRequest,
    ) -> Result<pb::AcknowledgeAlertResponse, AppError> {
        let mut v = Violations::new();
        text(&mut v, "sender", &request.sender);
        text(&mut v, "identifier", &request.identifier);
        let member =
            (!request.member_id.trim().is_empty()).then(|| MemberId::parse(&request.member_id));
        v.check(
            !matches!(member, Some(None)),
            "member_id",
            "must be empty or a UUID",
        );
        v.finish()?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let alert = (
            request.sender.trim().to_owned(),
            request.identifier.trim().to_owned(),
        );
        match member.flatten() {
            Some(member) => {
                let target = (alert.0, alert.1, member);
                alliance::acknowledge_for_member(&self.ctx, &caller, key, target, |a| {
                    pb::AcknowledgeAlertResponse {
                        ack: Some(convert::alert_ack(a, &[])),
                        cap_ack: None,
                    }
                })
                .await
            }
            None => {
                alerts::acknowledge_received(&self.ctx, &caller, key, alert, |k| {
                    pb::AcknowledgeAlertResponse {
                        ack: None,
                        cap_ack: Some(convert::alert(k)),
                    }
                })
                .await
            }
        }
    }

    pub(super) async fn list_alert_acks(
        &self,
        _caller: Caller,
        request: pb::ListAlertAcksRequest,
    ) -> Result<pb::ListAlertAcksResponse, AppError> {
        let (acks, members) =
            alliance::list_acks(&self.ctx, request.sender.trim(), request.identifier.trim())
                .await?;
        Ok(pb::ListAlertAcksResponse {
            acks: acks
                .iter()
                .map(|a| convert::alert_ack(a, &members))
                .collect(),
        })
    }
}
