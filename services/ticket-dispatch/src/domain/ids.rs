//! The identities of the dispatch aggregates: UUIDv7 newtypes, so that a
//! ticket's id cannot be passed where a task's is meant, and ids sort by
//! the time they were made.

use std::fmt;

use uuid::Uuid;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Returns a new id, ordered after every id made before it.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses an id as the API spells it (a UUID).
            pub fn parse(s: &str) -> Option<Self> {
                s.parse().ok().map(Self)
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
    /// A ticket.
    TicketId
);
id!(
    /// A co-handler's task of a multi-department case.
    TaskId
);
id!(
    /// An extension request (延期).
    ExtensionId
);
id!(
    /// A deadline timer.
    TimerId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_parses_back_from_its_text_and_later_ids_sort_after() {
        let first = TicketId::generate();
        let second = TicketId::generate();
        assert_eq!(TicketId::parse(&first.to_string()), Some(first));
        assert_eq!(TicketId::parse("LX-2026-000001"), None);
        assert!(first < second);
    }
}
