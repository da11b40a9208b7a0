//! GetStatistics and GetAssessment.

use std::collections::BTreeMap;

use platform::auth::{Caller, Role};
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::get_statistics_request::GroupBy;

use super::{ApiError, DispatchApi, convert};
use crate::domain::stats::{Indicators, Summary, TicketFacts, summarize};
use crate::repository::stats;

fn statistics(s: &Summary) -> pb::Statistics {
    pb::Statistics {
        key: s.key.clone(),
        received: s.received,
        dispatched: s.dispatched,
        resolved: s.resolved,
        closed: s.closed,
        closure_rate: s.closure_rate,
        on_time_rate: s.on_time_rate,
        resolution_rate: s.resolution_rate,
        satisfaction_rate: s.satisfaction_rate,
        rated: s.rated,
        avg_minutes_to_dispatch: s.avg_minutes_to_dispatch,
        p90_minutes_to_dispatch: s.p90_minutes_to_dispatch,
        avg_minutes_to_sign: s.avg_minutes_to_sign,
        p90_minutes_to_sign: s.p90_minutes_to_sign,
        avg_hours_to_close: s.avg_hours_to_close,
        p90_hours_to_close: s.p90_hours_to_close,
        returns: s.returns,
        extensions: s.extensions,
        escalations: s.escalations,
        hazards: s.hazards,
        hazard_rectification_rate: s.hazard_rectification_rate,
    }
}

impl DispatchApi {
    /// Reads the facts of the period, limited to the caller's village when
    /// the caller is scoped to one.
    async fn period_facts(
        &self,
        caller: &Caller,
        from: Option<&prost_types::Timestamp>,
        to: Option<&prost_types::Timestamp>,
    ) -> Result<Vec<TicketFacts>, ApiError> {
        let from = from
            .and_then(convert::from_timestamp)
            .ok_or_else(|| ApiError::invalid("from", "is required"))?;
        let to = to
            .and_then(convert::from_timestamp)
            .ok_or_else(|| ApiError::invalid("to", "is required"))?;
        if to <= from {
            return Err(ApiError::invalid("to", "must be after from"));
        }
        let mut conn = self.pool.acquire().await?;
        let mut facts = stats::facts(&mut conn, from, to).await?;
        match (caller.role, caller.scope.as_deref()) {
            (Role::TownOperator | Role::Service | Role::Reviewer, _) => {}
            (Role::WorkstationStaff, Some(scope)) => {
                facts.retain(|f| f.village.as_deref() == Some(scope))
            }
            _ => {
                return Err(ApiError::PermissionDenied(format!(
                    "the {} role has no statistics",
                    caller.role
                )));
            }
        }
        Ok(facts)
    }

    pub(super) async fn get_statistics(
        &self,
        caller: Caller,
        request: pb::GetStatisticsRequest,
    ) -> Result<pb::GetStatisticsResponse, ApiError> {
        let facts = self
            .period_facts(&caller, request.from.as_ref(), request.to.as_ref())
            .await?;
        let group_by = GroupBy::try_from(request.group_by).unwrap_or(GroupBy::Channel);
        let mut groups: BTreeMap<String, Vec<&TicketFacts>> = BTreeMap::new();
        for f in &facts {
            let key = match group_by {
                GroupBy::Channel => f.channel.clone(),
                GroupBy::Unit => f
                    .first_unit
                    .clone()
                    .unwrap_or_else(|| "(not dispatched)".into()),
                GroupBy::Village => f.village.clone().unwrap_or_else(|| "(no village)".into()),
            };
            groups.entry(key).or_default().push(f);
        }
        let calendar = &self.rules.calendar;
        let all: Vec<&TicketFacts> = facts.iter().collect();
        Ok(pb::GetStatisticsResponse {
            total: Some(statistics(&summarize("", &all, calendar))),
            groups: groups
                .iter()
                .map(|(key, facts)| statistics(&summarize(key, facts, calendar)))
                .collect(),
        })
    }

    pub(super) async fn get_assessment(
        &self,
        caller: Caller,
        request: pb::GetAssessmentRequest,
    ) -> Result<pb::GetAssessmentResponse, ApiError> {
        if caller.role != Role::TownOperator {
            return Err(ApiError::PermissionDenied(
                "only the town centre assesses villages".into(),
            ));
        }
        let facts = self
            .period_facts(&caller, request.from.as_ref(), request.to.as_ref())
            .await?;
        let villages = self
            .registry
            .villages(Some(caller.token()))
            .await
            .map_err(|e| {
                ApiError::FailedPrecondition(format!(
                    "{e}; the assessment needs the list of villages"
                ))
            })?;
        let calendar = &self.rules.calendar;
        let villages = villages
            .into_iter()
            .map(|(code, name, kind)| {
                let own: Vec<&TicketFacts> = facts
                    .iter()
                    .filter(|f| f.village.as_deref() == Some(code.as_str()))
                    .collect();
                let summary = summarize(&code, &own, calendar);
                let indicators = Indicators::of(&summary);
                let weight = if kind == "VILLAGE" {
                    self.assessment.village_weight
                } else {
                    self.assessment.residential_weight
                };
                let score = indicators.score();
                pb::VillageAssessment {
                    village_code: code,
                    village_name: name,
                    kind,
                    five_chief_score: indicators.five_chief,
                    unified_management_score: indicators.unified_management,
                    safety_score: indicators.safety,
                    score,
                    weight,
                    weighted: score * weight,
                    tickets: summary.received,
                }
            })
            .collect();
        Ok(pb::GetAssessmentResponse { villages })
    }
}
