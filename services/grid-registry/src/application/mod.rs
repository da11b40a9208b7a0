//! The registry's use cases, one function each: the API calls them after
//! decoding a request, and they run inside the platform's unit of work
//! (mutations) or over the pool and the spatial index (queries). Each
//! mutation takes the caller's [`CallKey`](platform::uow::CallKey) and an
//! answer encoder, so that the unit of work stores the encoded answer for
//! replays.

pub mod access;
pub mod care;
pub mod grids;
pub mod map;
pub mod members;
pub mod objects;
pub mod responsibility;

use std::sync::Arc;
use std::time::Instant;

use kernel::FieldViolation;
use platform::auth::Role;
use platform::error::AppError;
use platform::uow::Units;
use tokio::sync::Semaphore;

use crate::config::{Limits, RegistrySettings};
use crate::domain::DomainError;
use crate::domain::geometry::Budget;
use crate::domain::grid::Tolerances;
use crate::domain::ids::GridId;
use crate::domain::index::SpatialIndex;

/// What every use case works with: units of work over the registry's
/// database, the spatial index and the registry's settings.
#[derive(Clone)]
pub struct Context {
    pub units: Units,
    pub index: Arc<SpatialIndex>,
    settings: Arc<RegistrySettings>,
    care_readers: Arc<Vec<Role>>,
    /// Turns at the blocking pool for shape checks.
    shape_checks: Arc<Semaphore>,
}

impl Context {
    /// Returns the context of units over the registry's database, `index`
    /// and `settings`.
    pub fn new(units: Units, index: Arc<SpatialIndex>, settings: RegistrySettings) -> Self {
        let care_readers = Arc::new(settings.care_readers());
        let shape_checks = Arc::new(Semaphore::new(settings.limits.geometry_checks_at_once));
        Self {
            units,
            index,
            settings: Arc::new(settings),
            care_readers,
            shape_checks,
        }
    }

    /// Returns the geometry tolerances.
    fn tolerances(&self) -> Tolerances {
        self.settings.tolerances()
    }

    /// Returns the caps on requests.
    pub fn limits(&self) -> &Limits {
        &self.settings.limits
    }

    /// Runs `check` (a shape's validity check, quadratic at worst) on the
    /// blocking pool, so the threads that answer calls and health checks
    /// never run it, at most `geometry_checks_at_once` at a time. Waiting
    /// for a turn and the check together get `geometry_check_budget`; the
    /// check gives up when it is spent, naming its field.
    ///
    /// # Errors
    /// The check's violations (INVALID_ARGUMENT), or UNAVAILABLE when no
    /// turn came within the budget.
    async fn check_off_runtime<T: Send + 'static>(
        &self,
        field: &'static str,
        check: impl FnOnce(&Budget) -> Result<T, Vec<FieldViolation>> + Send + 'static,
    ) -> Result<T, AppError> {
        let allowed = self.limits().geometry_check_budget;
        let deadline = Instant::now() + allowed;
        let turn =
            tokio::time::timeout_at(deadline.into(), self.shape_checks.clone().acquire_owned())
                .await
                .map_err(|_| {
                    AppError::Unavailable(format!(
                        "{field}: the registry is busy checking other shapes; try again"
                    ))
                })?
                .map_err(|_| AppError::Unavailable("the registry is stopping".into()))?;
        let budget = Budget::ending_at(deadline, allowed);
        let checked = tokio::task::spawn_blocking(move || {
            let _turn = turn; // held until the check is done
            check(&budget)
        })
        .await
        .map_err(|err| AppError::Internal(anyhow::anyhow!("shape check failed: {err}")))?;
        Ok(checked.map_err(DomainError::Invalid)?)
    }
}

/// Returns a violation for each of `fields` (name, value) longer than
/// `max` characters; counting stops at the cap.
fn over_text_cap(max: usize, fields: &[(&str, &str)]) -> Vec<FieldViolation> {
    fields
        .iter()
        .filter(|(_, value)| value.len() > max && value.chars().nth(max).is_some())
        .map(|(field, _)| FieldViolation::new(*field, format!("must be at most {max} characters")))
        .collect()
}

/// Returns `violations` as INVALID_ARGUMENT, or nothing when there are none.
fn refuse(violations: Vec<FieldViolation>) -> Result<(), AppError> {
    Ok(DomainError::check(violations)?)
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(violations) => AppError::InvalidArgument(violations),
            DomainError::StaleVersion { .. } | DomainError::AlreadyRemoved(_) => {
                AppError::FailedPrecondition(err.to_string())
            }
        }
    }
}

/// Returns the micro-grids at or below the grid coded `code` (`None` for
/// an empty code: no filter), from the index.
///
/// # Errors
/// `code` names no grid (INVALID_ARGUMENT on `grid_code`).
fn micro_grids_under(ctx: &Context, code: &str) -> Result<Option<Vec<GridId>>, AppError> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let snapshot = ctx.index.snapshot();
    let grid = snapshot
        .by_code(code)
        .ok_or_else(|| AppError::invalid("grid_code", format!("names no grid: {code}")))?;
    Ok(Some(snapshot.micro_grids_under(&grid.id)))
}
