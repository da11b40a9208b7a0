//! Safety domains, departments, the duty roster, and FindResponsible: who
//! answers for a place or an object in a safety domain.

use std::sync::Arc;

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::Context;
use crate::domain::DomainError;
use crate::domain::department::{Department, DepartmentDraft, DomainDuty, DutyDraft, SafetyDomain};
use crate::domain::geometry::{self, Position};
use crate::domain::ids::DutyId;
use crate::domain::index::{GridNode, Resolution};
use crate::domain::kinds::ObjectKind;
use crate::domain::object::CoveredObject;
use crate::domain::responsibility::{self, Facts, ResponsibleParty};
use crate::events;
use crate::repository::{departments, members, objects};

/// Creates or renames a safety domain (town operators only, checked by the
/// caller of this use case).
///
/// # Errors
/// The database fails.
pub async fn upsert_safety_domain<A: Message + Default>(
    ctx: &Context,
    key: CallKey,
    domain: SafetyDomain,
    answer: impl FnOnce(&SafetyDomain) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    departments::upsert_domain(work.conn(), &domain).await?;
    work.commit(answer(&domain)).await
}

/// Creates or replaces a department. Its safety domains must exist; that is
/// checked with its other rules before the key is claimed, so a refused
/// draft names every broken rule.
///
/// # Errors
/// Every broken rule by field, or the database fails.
pub async fn upsert_department<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    draft: DepartmentDraft,
    answer: impl FnOnce(&Department) -> A,
) -> Result<A, AppError> {
    let mut conn = ctx.units.read().await?;
    let unknown = departments::unknown_domains(&mut conn, &draft.domains).await?;
    drop(conn);
    let (department, event) = draft.check(&unknown).map_err(DomainError::Invalid)?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    departments::upsert_department(work.conn(), &department).await?;
    work.publish(events::department(
        &caller.subject,
        work.now(),
        &department,
        &event,
    ));
    work.commit(answer(&department)).await
}

/// Returns every department.
///
/// # Errors
/// The database fails or holds a value this version does not know.
pub async fn list_departments(ctx: &Context) -> Result<Vec<Department>, AppError> {
    let mut conn = ctx.units.read().await?;
    departments::all(&mut conn).await
}

/// Puts a leader on duty for a safety domain from the draft's start, ending
/// the duty in force then. The domain must exist; that is checked with the
/// draft's other rules before the key is claimed.
///
/// # Errors
/// Every broken rule by field, or the database fails.
pub async fn assign_domain_duty<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    draft: DutyDraft,
    answer: impl FnOnce(&DomainDuty) -> A,
) -> Result<A, AppError> {
    let mut conn = ctx.units.read().await?;
    let known = departments::domain_name(&mut conn, &draft.domain_code)
        .await?
        .is_some();
    drop(conn);
    let (duty, event) = draft
        .check(DutyId::generate(), known)
        .map_err(DomainError::Invalid)?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    departments::assign_duty(work.conn(), &duty).await?;
    work.publish(events::duty(&caller.subject, work.now(), &duty, &event));
    work.commit(answer(&duty)).await
}

/// What FindResponsible asks about.
#[derive(Debug, Clone)]
pub enum Target {
    /// A place, as sent: (longitude, latitude), not yet checked.
    Location(Position),
    /// A covered object, by code.
    Object(String),
}

/// The question: who answers in `domain_code` for `target`.
#[derive(Debug, Clone)]
pub struct FindResponsible {
    pub domain_code: String,
    pub target: Option<Target>,
}

/// The chain of responsibility and the micro-grid it starts from.
#[derive(Debug, Clone)]
pub struct Responsibility {
    pub chain: Vec<ResponsibleParty>,
    pub micro_grid: Option<Arc<GridNode>>,
}

/// Returns the chain: the first-inquiry head of the enterprise asked about,
/// or of every enterprise and cooperative lying at the place asked about,
/// the micro-grid leader, the workstation, regulators and co-managers, and
/// the town leader on duty for the domain.
///
/// # Errors
/// An unknown domain, a missing or bad target, a location outside every
/// micro-grid, an unknown object, or the database fails.
pub async fn find_responsible(
    ctx: &Context,
    query: FindResponsible,
) -> Result<Responsibility, AppError> {
    let snapshot = ctx.index.snapshot();
    let mut conn = ctx.units.read().await?;
    let domain = &query.domain_code;
    if departments::domain_name(&mut conn, domain).await?.is_none() {
        return Err(AppError::invalid(
            "domain_code",
            format!("names no safety domain: {domain}"),
        ));
    }
    let (micro, object, at_the_spot) = match query.target {
        None => {
            return Err(AppError::invalid(
                "target",
                "is required: a location or an object code",
            ));
        }
        Some(Target::Location((lng, lat))) => {
            let point = geometry::location("location", lat, lng).map_err(DomainError::Invalid)?;
            match snapshot.resolve(point) {
                Resolution::Inside { micro, .. } => {
                    let at_the_spot = heads_at(&mut conn, point).await?;
                    (Some(micro), None, at_the_spot)
                }
                Resolution::Outside { .. } => {
                    return Err(AppError::NotFoundBecause(format!(
                        "no micro-grid contains ({lat:.6}, {lng:.6}); the town operations centre is responsible"
                    )));
                }
            }
        }
        Some(Target::Object(code)) => {
            let object = objects::find(&mut conn, None, &code)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("covered object {code}")))?;
            let micro = object
                .micro_grid_id
                .and_then(|id| snapshot.get(&id).cloned());
            (micro, Some(object), Vec::new())
        }
    };
    let workstation = micro.as_ref().and_then(|micro| {
        snapshot
            .ancestors(&micro.id)
            .into_iter()
            .find(|g| g.level.is_workstation())
    });
    let people = match &micro {
        Some(micro) => {
            let ids: Vec<_> = std::iter::once(micro.id)
                .chain(workstation.as_ref().map(|w| w.id))
                .collect();
            members::active_in(&mut conn, &ids).await?
        }
        None => Vec::new(),
    };
    let kind = object.as_ref().map(|o| o.kind);
    let departments = departments::responsible(&mut conn, domain, kind).await?;
    let on_duty = departments::duty_at(&mut conn, domain, ctx.units.now()).await?;
    let chain = responsibility::chain(&Facts {
        object: object.as_ref(),
        at_the_spot: &at_the_spot,
        micro: micro.as_ref(),
        workstation: workstation.as_ref(),
        members: &people,
        departments: &departments,
        on_duty: on_duty.as_ref(),
    });
    Ok(Responsibility {
        chain,
        micro_grid: micro,
    })
}

/// How far around a place, in degrees (about 1 km), an object's anchor is
/// looked for before its shape is measured: an enterprise's site is far
/// smaller, so one covering the place has its anchor within it.
const AROUND_DEGREES: f64 = 0.01;

/// Returns the enterprises and cooperatives lying at `point` (see
/// [`CoveredObject::lies_at`]), by code.
async fn heads_at(
    conn: &mut sqlx::PgConnection,
    point: geo::Point,
) -> Result<Vec<CoveredObject>, AppError> {
    let kinds = [ObjectKind::Enterprise, ObjectKind::Cooperative];
    let around = objects::around(conn, &kinds, (point.x(), point.y()), AROUND_DEGREES).await?;
    Ok(around.into_iter().filter(|o| o.lies_at(&point)).collect())
}
