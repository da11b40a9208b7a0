//! `reviews` and what hangs on them: `panel_members`, `opinions`,
//! `recommendations`, `decisions`, `conflicts_found`, `review_reads`.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::{decode, decode_all, parse_stored, stored_bytes, stored_count};
use crate::domain::decision::{CarryOut, Decision, Outcome, Unit};
use crate::domain::ids::{ExpertId, OpinionId, RecommendationId, ReviewId, TicketId};
use crate::domain::opinion::{Opinion, OpinionText, Returned, RiskRating};
use crate::domain::review::{
    Panelist, Recommendation, RecommendationState, Recusal, Review, ReviewKind, ReviewRequest,
    ReviewState, Urgency,
};

const REVIEW_COLUMNS: &str = "review_id, kind, question, materials, urgency, deadline, major, case_ref, ticket_id, parties, involved, organiser, industry_authority, state, opened_by, opened_at";

#[derive(sqlx::FromRow)]
struct ReviewRow {
    review_id: Uuid,
    kind: String,
    question: String,
    materials: Vec<String>,
    urgency: String,
    deadline: DateTime<Utc>,
    major: bool,
    case_ref: String,
    ticket_id: Option<Uuid>,
    parties: Vec<String>,
    involved: Vec<String>,
    organiser: String,
    industry_authority: Option<String>,
    state: String,
    opened_by: String,
    opened_at: DateTime<Utc>,
}

impl TryFrom<ReviewRow> for Review {
    type Error = UnknownStoredValue;

    fn try_from(r: ReviewRow) -> Result<Self, Self::Error> {
        Ok(Review {
            id: ReviewId(r.review_id),
            request: ReviewRequest {
                kind: parse_stored("reviews", "kind", &r.kind, ReviewKind::parse)?,
                question: r.question,
                materials: r.materials,
                urgency: parse_stored("reviews", "urgency", &r.urgency, Urgency::parse)?,
                deadline: r.deadline,
                major: r.major,
                case_ref: r.case_ref,
                ticket: r.ticket_id.map(TicketId),
                parties: r.parties,
                involved: r.involved,
                organiser: r.organiser,
                industry_authority: r.industry_authority,
            },
            state: parse_stored("reviews", "state", &r.state, ReviewState::parse)?,
            opened_by: r.opened_by,
            opened_at: r.opened_at,
            panel: Vec::new(),
            opinions: Vec::new(),
            recommendations: Vec::new(),
            decision: None,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PanelRow {
    expert_id: Uuid,
    name: String,
    seated_at: DateTime<Utc>,
    recused_at: Option<DateTime<Utc>>,
    recusal_reason: Option<String>,
}

impl From<PanelRow> for Panelist {
    fn from(r: PanelRow) -> Self {
        Panelist {
            expert: ExpertId(r.expert_id),
            name: r.name,
            seated_at: r.seated_at,
            recusal: r
                .recused_at
                .zip(r.recusal_reason)
                .map(|(at, reason)| Recusal { at, reason }),
        }
    }
}

#[derive(sqlx::FromRow)]
struct OpinionRow {
    opinion_id: Uuid,
    review_id: Uuid,
    expert_id: Uuid,
    version: i32,
    risk: String,
    reasoning: String,
    recommendation: String,
    public_key: Vec<u8>,
    signature: Vec<u8>,
    signed_at: DateTime<Utc>,
    returned_at: Option<DateTime<Utc>>,
    return_reason: Option<String>,
}

impl TryFrom<OpinionRow> for Opinion {
    type Error = UnknownStoredValue;

    fn try_from(r: OpinionRow) -> Result<Self, Self::Error> {
        Ok(Opinion {
            id: OpinionId(r.opinion_id),
            review: ReviewId(r.review_id),
            expert: ExpertId(r.expert_id),
            version: stored_count("opinions", "version", r.version)?,
            text: OpinionText {
                risk: parse_stored("opinions", "risk", &r.risk, RiskRating::parse)?,
                reasoning: r.reasoning,
                recommendation: r.recommendation,
            },
            public_key: stored_bytes("opinions", "public_key", &r.public_key)?,
            signature: stored_bytes("opinions", "signature", &r.signature)?,
            signed_at: r.signed_at,
            returned: r
                .returned_at
                .zip(r.return_reason)
                .map(|(at, reason)| Returned { at, reason }),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RecommendationRow {
    recommendation_id: Uuid,
    review_id: Uuid,
    text: String,
    opinion_ids: Vec<Uuid>,
    state: String,
    opened_by: String,
    opened_at: DateTime<Utc>,
}

impl TryFrom<RecommendationRow> for Recommendation {
    type Error = UnknownStoredValue;

    fn try_from(r: RecommendationRow) -> Result<Self, Self::Error> {
        Ok(Recommendation {
            id: RecommendationId(r.recommendation_id),
            review: ReviewId(r.review_id),
            text: r.text,
            opinions: r.opinion_ids.into_iter().map(OpinionId).collect(),
            state: parse_stored(
                "recommendations",
                "state",
                &r.state,
                RecommendationState::parse,
            )?,
            opened_by: r.opened_by,
            opened_at: r.opened_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    outcome: String,
    reasons: String,
    recommendation_id: Uuid,
    redispatch_to: Json<Vec<Unit>>,
    close_result: Option<String>,
    decided_by: String,
    decided_at: DateTime<Utc>,
}

impl TryFrom<DecisionRow> for Decision {
    type Error = UnknownStoredValue;

    fn try_from(r: DecisionRow) -> Result<Self, Self::Error> {
        let units = r.redispatch_to.0;
        let carry_out = match (units.is_empty(), r.close_result) {
            (false, None) => CarryOut::Redispatch(units),
            (true, Some(result)) => CarryOut::Close(result),
            (true, None) => CarryOut::Nothing,
            (false, Some(_)) => {
                return Err(UnknownStoredValue::new(
                    "decisions",
                    "close_result",
                    "set beside redispatch_to",
                ));
            }
        };
        Ok(Decision {
            outcome: parse_stored("decisions", "outcome", &r.outcome, Outcome::parse)?,
            reasons: r.reasons,
            recommendation: RecommendationId(r.recommendation_id),
            carry_out,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        })
    }
}

/// Stores a newly opened review.
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, review: &Review) -> Result<(), sqlx::Error> {
    let r = &review.request;
    sqlx::query(
        "INSERT INTO reviews (review_id, kind, question, materials, urgency, deadline, major, case_ref, ticket_id,
                              parties, involved, organiser, industry_authority, state, opened_by, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(review.id.0)
    .bind(r.kind.as_str())
    .bind(&r.question)
    .bind(&r.materials)
    .bind(r.urgency.as_str())
    .bind(r.deadline)
    .bind(r.major)
    .bind(&r.case_ref)
    .bind(r.ticket.map(|t| t.0))
    .bind(&r.parties)
    .bind(&r.involved)
    .bind(&r.organiser)
    .bind(&r.industry_authority)
    .bind(review.state.as_str())
    .bind(&review.opened_by)
    .bind(review.opened_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Loads the review `id` with everything on it; `lock` takes its row for
/// the change about to be made (concurrent changes wait).
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn load(
    conn: &mut PgConnection,
    id: ReviewId,
    lock: bool,
) -> Result<Option<Review>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<ReviewRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews WHERE review_id = $1{lock}"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut review: Review = decode(row)?;
    let panel: Vec<PanelRow> = sqlx::query_as(
        "SELECT expert_id, name, seated_at, recused_at, recusal_reason FROM panel_members
         WHERE review_id = $1 ORDER BY seated_at, expert_id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    review.panel = panel.into_iter().map(Panelist::from).collect();
    let opinions: Vec<OpinionRow> = sqlx::query_as(
        "SELECT opinion_id, review_id, expert_id, version, risk, reasoning, recommendation, public_key, signature,
                signed_at, returned_at, return_reason
         FROM opinions WHERE review_id = $1 ORDER BY signed_at, opinion_id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    review.opinions = decode_all(opinions)?;
    let recommendations: Vec<RecommendationRow> = sqlx::query_as(
        "SELECT recommendation_id, review_id, text, opinion_ids, state, opened_by, opened_at
         FROM recommendations WHERE review_id = $1 ORDER BY opened_at, recommendation_id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    review.recommendations = decode_all(recommendations)?;
    let decision: Option<DecisionRow> = sqlx::query_as(
        "SELECT outcome, reasons, recommendation_id, redispatch_to, close_result, decided_by, decided_at
         FROM decisions WHERE review_id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    review.decision = decision.map(decode).transpose()?;
    Ok(Some(review))
}

/// Returns the reviews (without what hangs on them) in `state` and of
/// `ticket` when given, newest first, at most `limit`.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn list(
    conn: &mut PgConnection,
    state: Option<ReviewState>,
    ticket: Option<TicketId>,
    limit: i64,
) -> Result<Vec<Review>, sqlx::Error> {
    let rows: Vec<ReviewRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews
         WHERE ($1::text IS NULL OR state = $1) AND ($2::uuid IS NULL OR ticket_id = $2)
         ORDER BY opened_at DESC, review_id DESC LIMIT $3"
    )))
    .bind(state.map(ReviewState::as_str))
    .bind(ticket.map(|t| t.0))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Seats `panelists` on `review`.
///
/// # Errors
/// The database fails.
pub async fn seat(
    conn: &mut PgConnection,
    review: ReviewId,
    panelists: &[Panelist],
) -> Result<(), sqlx::Error> {
    for p in panelists {
        sqlx::query(
            "INSERT INTO panel_members (review_id, expert_id, name, seated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(review.0)
        .bind(p.expert.0)
        .bind(&p.name)
        .bind(p.seated_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records `expert`'s recusal from `review`.
///
/// # Errors
/// The database fails.
pub async fn recuse(
    conn: &mut PgConnection,
    review: ReviewId,
    expert: ExpertId,
    recusal: &Recusal,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE panel_members SET recused_at = $3, recusal_reason = $4 WHERE review_id = $1 AND expert_id = $2",
    )
    .bind(review.0)
    .bind(expert.0)
    .bind(recusal.at)
    .bind(&recusal.reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a submitted opinion.
///
/// # Errors
/// The database fails.
pub async fn insert_opinion(conn: &mut PgConnection, o: &Opinion) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO opinions (opinion_id, review_id, expert_id, version, risk, reasoning, recommendation,
                               public_key, signature, signed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(o.id.0)
    .bind(o.review.0)
    .bind(o.expert.0)
    .bind(i32::try_from(o.version).unwrap_or(i32::MAX))
    .bind(o.text.risk.as_str())
    .bind(&o.text.reasoning)
    .bind(&o.text.recommendation)
    .bind(o.public_key.as_slice())
    .bind(o.signature.as_slice())
    .bind(o.signed_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "opinions_version_key", || {
            AppError::Aborted(format!("version {} was submitted meanwhile; try the next", o.version))
        })
    })?;
    Ok(())
}

/// Records that opinion `id` was returned for a rewrite.
///
/// # Errors
/// The database fails.
pub async fn mark_returned(
    conn: &mut PgConnection,
    id: OpinionId,
    returned: &Returned,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE opinions SET returned_at = $2, return_reason = $3 WHERE opinion_id = $1")
        .bind(id.0)
        .bind(returned.at)
        .bind(&returned.reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a newly opened recommendation.
///
/// # Errors
/// A recommendation of the review is open already (FAILED_PRECONDITION);
/// the database failing.
pub async fn insert_recommendation(
    conn: &mut PgConnection,
    r: &Recommendation,
) -> Result<(), AppError> {
    let opinions: Vec<Uuid> = r.opinions.iter().map(|o| o.0).collect();
    sqlx::query(
        "INSERT INTO recommendations (recommendation_id, review_id, text, opinion_ids, state, opened_by, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id.0)
    .bind(r.review.0)
    .bind(&r.text)
    .bind(&opinions)
    .bind(r.state.as_str())
    .bind(&r.opened_by)
    .bind(r.opened_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "recommendations_one_open", || {
            AppError::FailedPrecondition("a recommendation of this review is open; withdraw it first".into())
        })
    })?;
    Ok(())
}

/// Closes recommendation `id` in `state` at `at`.
///
/// # Errors
/// The database fails.
pub async fn close_recommendation(
    conn: &mut PgConnection,
    id: RecommendationId,
    state: RecommendationState,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE recommendations SET state = $2, closed_at = $3, close_reason = $4 WHERE recommendation_id = $1",
    )
    .bind(id.0)
    .bind(state.as_str())
    .bind(at)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores `review`'s decision and its state.
///
/// # Errors
/// The database fails.
pub async fn insert_decision(
    conn: &mut PgConnection,
    review: &Review,
    d: &Decision,
) -> Result<(), sqlx::Error> {
    let (units, result) = match &d.carry_out {
        CarryOut::Nothing => (Vec::new(), None),
        CarryOut::Redispatch(units) => (units.clone(), None),
        CarryOut::Close(result) => (Vec::new(), Some(result.as_str())),
    };
    sqlx::query(
        "INSERT INTO decisions (review_id, outcome, reasons, recommendation_id, redispatch_to, close_result, decided_by, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(review.id.0)
    .bind(d.outcome.as_str())
    .bind(&d.reasons)
    .bind(d.recommendation.0)
    .bind(Json(&units))
    .bind(result)
    .bind(&d.decided_by)
    .bind(d.decided_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE reviews SET state = $2 WHERE review_id = $1")
        .bind(review.id.0)
        .bind(review.state.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the conflicts an assignment was refused for.
///
/// # Errors
/// The database fails.
pub async fn record_conflicts(
    conn: &mut PgConnection,
    review: ReviewId,
    conflicts: &[(ExpertId, String)],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for (expert, rule) in conflicts {
        sqlx::query("INSERT INTO conflicts_found (review_id, expert_id, rule, found_at) VALUES ($1, $2, $3, $4)")
            .bind(review.0)
            .bind(expert.0)
            .bind(rule)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records that `reader` (as `role`) read review `id` at `at`.
///
/// # Errors
/// The database fails.
pub async fn record_read(
    conn: &mut PgConnection,
    id: ReviewId,
    reader: &str,
    role: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO review_reads (review_id, reader, role, read_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.0)
    .bind(reader)
    .bind(role)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the open reviews whose deadline falls before `until` with no
/// warning yet, at most `limit`.
///
/// # Errors
/// The database fails.
pub async fn warnings_due(
    conn: &mut PgConnection,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ReviewId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT review_id FROM reviews WHERE state = 'OPEN' AND deadline_warned_at IS NULL AND deadline <= $1
         ORDER BY deadline LIMIT $2",
    )
    .bind(until)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(ReviewId).collect())
}

/// Claims review `id`'s deadline warning: whether it was still due (and
/// not being sent by another replica).
///
/// # Errors
/// The database fails.
pub async fn claim_warning(
    conn: &mut PgConnection,
    id: ReviewId,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let claimed: Option<Uuid> = sqlx::query_scalar(
        "UPDATE reviews SET deadline_warned_at = $2
         WHERE review_id = (SELECT review_id FROM reviews WHERE review_id = $1 AND deadline_warned_at IS NULL
                            AND state = 'OPEN' FOR UPDATE SKIP LOCKED)
         RETURNING review_id",
    )
    .bind(id.0)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(claimed.is_some())
}

/// Returns the review opinion `id` belongs to.
///
/// # Errors
/// The database fails.
pub async fn review_of_opinion(
    conn: &mut PgConnection,
    id: OpinionId,
) -> Result<Option<ReviewId>, sqlx::Error> {
    let review: Option<Uuid> =
        sqlx::query_scalar("SELECT review_id FROM opinions WHERE opinion_id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    Ok(review.map(ReviewId))
}

/// Returns the review recommendation `id` belongs to.
///
/// # Errors
/// The database fails.
pub async fn review_of_recommendation(
    conn: &mut PgConnection,
    id: RecommendationId,
) -> Result<Option<ReviewId>, sqlx::Error> {
    let review: Option<Uuid> =
        sqlx::query_scalar("SELECT review_id FROM recommendations WHERE recommendation_id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    Ok(review.map(ReviewId))
}
