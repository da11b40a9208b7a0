//! GetStatistics and GetAssessment.

use platform::auth::Caller;
use platform::error::AppError;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::get_statistics_request::GroupBy as PbGroupBy;

use super::DispatchApi;
use crate::application::statistics;
use crate::convert;
use crate::domain::stats::{GroupBy, Period};

/// Returns the period a request names: `from` and `to` required, in order.
fn period(
    from: Option<&prost_types::Timestamp>,
    to: Option<&prost_types::Timestamp>,
) -> Result<Period, AppError> {
    let from = from
        .and_then(convert::from_timestamp)
        .ok_or_else(|| AppError::invalid("from", "is required"))?;
    let to = to
        .and_then(convert::from_timestamp)
        .ok_or_else(|| AppError::invalid("to", "is required"))?;
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    Ok(Period { from, to })
}

/// The most groups a request may ask to be shown (a town's departments and
/// villages are a few dozen).
const MAX_SHOWN_KEYS: usize = 500;

/// Returns the groups a request asks to see even when empty: trimmed, each
/// once, none blank.
fn shown_keys(keys: &[String]) -> Result<Vec<String>, AppError> {
    if keys.len() > MAX_SHOWN_KEYS {
        return Err(AppError::invalid(
            "keys",
            format!("at most {MAX_SHOWN_KEYS} groups"),
        ));
    }
    let mut shown: Vec<String> = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.trim();
        if key.is_empty() {
            return Err(AppError::invalid("keys", "must not hold a blank key"));
        }
        if !shown.iter().any(|k| k == key) {
            shown.push(key.to_owned());
        }
    }
    Ok(shown)
}

impl DispatchApi {
    pub(super) async fn get_statistics(
        &self,
        caller: Caller,
        request: pb::GetStatisticsRequest,
    ) -> Result<pb::GetStatisticsResponse, AppError> {
        let period = period(request.from.as_ref(), request.to.as_ref())?;
        let group_by = match PbGroupBy::try_from(request.group_by).unwrap_or(PbGroupBy::Channel) {
            PbGroupBy::Channel => GroupBy::Channel,
            PbGroupBy::Unit => GroupBy::Unit,
            PbGroupBy::Village => GroupBy::Village,
        };
        let shown = shown_keys(&request.keys)?;
        let figures = statistics::statistics(&self.ctx, &caller, period, group_by, &shown).await?;
        Ok(convert::figures(&figures))
    }

    pub(super) async fn get_assessment(
        &self,
        caller: Caller,
        request: pb::GetAssessmentRequest,
    ) -> Result<pb::GetAssessmentResponse, AppError> {
        let period = period(request.from.as_ref(), request.to.as_ref())?;
        let villages = statistics::assessment(&self.ctx, &caller, period).await?;
        Ok(pb::GetAssessmentResponse {
            villages: villages.iter().map(convert::village_assessment).collect(),
        })
    }
}
