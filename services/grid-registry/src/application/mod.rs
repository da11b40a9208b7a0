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

use platform::auth::Role;
use platform::error::AppError;
use platform::uow::Units;

use crate::config::RegistrySettings;
use crate::domain::DomainError;
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
}

impl Context {
    /// Returns the context of units over the registry's database, `index`
    /// and `settings`.
    pub fn new(units: Units, index: Arc<SpatialIndex>, settings: RegistrySettings) -> Self {
        let care_readers = Arc::new(settings.care_readers());
        Self {
            units,
            index,
            settings: Arc::new(settings),
            care_readers,
        }
    }

    /// Returns the geometry tolerances.
    fn tolerances(&self) -> Tolerances {
        self.settings.tolerances()
    }
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
