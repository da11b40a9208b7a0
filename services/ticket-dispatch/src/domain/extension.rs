//! Extension requests (延期): the unit holding a ticket, or a co-handler
//! for its task, asks for more working days; the desk grants or refuses
//! them, once.

use std::fmt;

use chrono::{DateTime, Utc};

use super::error::DomainError;
use super::ids::{ExtensionId, TaskId, TicketId};

/// Where an extension request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionState {
    Pending,
    Granted,
    Refused,
}

impl ExtensionState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionState::Pending => "PENDING",
            ExtensionState::Granted => "GRANTED",
            ExtensionState::Refused => "REFUSED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ExtensionState::Pending,
            ExtensionState::Granted,
            ExtensionState::Refused,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

impl fmt::Display for ExtensionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_lowercase())
    }
}

/// A request for more time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub id: ExtensionId,
    pub ticket: TicketId,
    /// The co-handler's task whose clock it is for; `None` for the
    /// ticket's own.
    pub task: Option<TaskId>,
    /// Working days asked for.
    pub days: u32,
    pub reason: String,
    pub state: ExtensionState,
}

/// A request as the desk's approvals list it: with its ticket's number,
/// who asked and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRequest {
    pub extension: Extension,
    pub ticket_number: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

impl Extension {
    /// Decides the request: granted or refused.
    ///
    /// # Errors
    /// [`DomainError::ExtensionDecided`] when it was decided before.
    pub fn decide(&mut self, grant: bool) -> Result<(), DomainError> {
        if self.state != ExtensionState::Pending {
            return Err(DomainError::ExtensionDecided {
                id: self.id,
                state: self.state,
            });
        }
        self.state = if grant {
            ExtensionState::Granted
        } else {
            ExtensionState::Refused
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_is_decided_once() {
        let mut extension = Extension {
            id: ExtensionId::generate(),
            ticket: TicketId::generate(),
            task: None,
            days: 2,
            reason: "等待配件".into(),
            state: ExtensionState::Pending,
        };
        extension.decide(true).unwrap();
        assert_eq!(extension.state, ExtensionState::Granted);
        let err = extension.decide(false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("extension {} was already granted", extension.id)
        );
    }
}
