//! Reading a reporter's contact: the one way to a resident's phone from
//! outside points, always for a stated purpose and always recorded.

use chrono::{DateTime, Utc};
use kernel::FieldViolation;

use super::ids::ReportId;

/// The longest purpose a read may state.
pub const MAX_PURPOSE: usize = 200;

/// One read of a reporter's contact, granted or not: the audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRead {
    pub id: uuid::Uuid,
    pub subject: String,
    pub role: String,
    pub report: ReportId,
    pub purpose: String,
    pub granted: bool,
    pub at: DateTime<Utc>,
}

/// Returns `purpose` trimmed, or the rule it breaks.
///
/// # Errors
/// `purpose` is empty or longer than [`MAX_PURPOSE`] characters.
pub fn purpose(purpose: &str) -> Result<String, FieldViolation> {
    let purpose = purpose.trim();
    if purpose.is_empty() {
        return Err(FieldViolation::new(
            "purpose",
            "is required: say why the contact is needed",
        ));
    }
    if purpose.chars().count() > MAX_PURPOSE {
        return Err(FieldViolation::new(
            "purpose",
            format!("must be at most {MAX_PURPOSE} characters"),
        ));
    }
    Ok(purpose.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_states_a_purpose_of_reasonable_length() {
        assert_eq!(purpose("  回访 LX-1 ").unwrap(), "回访 LX-1");
        assert_eq!(purpose(" ").unwrap_err().field, "purpose");
        assert!(purpose(&"访".repeat(201)).is_err());
        assert!(purpose(&"访".repeat(200)).is_ok());
    }
}
