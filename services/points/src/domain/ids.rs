//! Identifiers: newtypes over UUIDv7, so that a report's id is never passed
//! where an order's is expected.

use std::fmt;

use uuid::Uuid;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Returns a new id (a UUIDv7: ordered by creation).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses an id as sent, surrounding spaces ignored; `None` when
            /// it is not a UUID.
            pub fn parse(s: &str) -> Option<Self> {
                s.trim().parse().ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// A resident.
    ResidentId
);
id!(
    /// A household.
    HouseholdId
);
id!(
    /// An account: a resident's own (same id as the resident) or a
    /// household's (same id as the household).
    AccountId
);
id!(
    /// A report.
    ReportId
);
id!(
    /// A dispatch ticket (dispatch's id, as its events carry it).
    TicketId
);
id!(
    /// A ledger entry.
    EntryId
);
id!(
    /// An order.
    OrderId
);

impl From<ResidentId> for AccountId {
    fn from(id: ResidentId) -> Self {
        AccountId(id.0)
    }
}

impl From<HouseholdId> for AccountId {
    fn from(id: HouseholdId) -> Self {
        AccountId(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_parses_as_sent_and_prints_as_its_uuid() {
        let id = ReportId::generate();
        assert_eq!(ReportId::parse(&format!(" {id} ")), Some(id));
        assert_eq!(ReportId::parse("R-79F7-K78D"), None);
        assert_eq!(
            AccountId::from(ResidentId(id.0)).to_string(),
            id.0.to_string()
        );
    }
}
