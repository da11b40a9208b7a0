//! One broken input rule, named by field.

/// One broken input rule: the field (a path such as `boundary.exterior` or
/// `features[3].properties.households`) and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub rule: String,
}

impl FieldViolation {
    /// Returns a violation of `rule` by `field`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// Returns every violation as `field: rule`, joined by `; `: how messages
/// name them.
pub fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.rule))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_described_field_by_field_in_order() {
        let violations = [
            FieldViolation::new("households", "must be between 20 and 50"),
            FieldViolation::new("code", "is required"),
        ];
        assert_eq!(
            describe(&violations),
            "households: must be between 20 and 50; code: is required"
        );
        assert_eq!(describe(&[]), "");
    }
}
