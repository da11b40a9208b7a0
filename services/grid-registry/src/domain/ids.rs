//! Identifiers: one newtype over a time-ordered UUID per kind of thing, so
//! a member's id cannot be passed where a grid's is meant.

use std::fmt;

use uuid::Uuid;

macro_rules! id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Returns a new id, ordered by creation time (UUID v7).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses an id as sent: a UUID.
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

id! {
    /// A grid, at any level.
    GridId
}
id! {
    /// A person serving in a grid.
    MemberId
}
id! {
    /// A covered object: a shop, a river, a forest parcel…
    ObjectId
}
id! {
    /// A special-care person.
    CarePersonId
}
id! {
    /// One audited read (or refused attempt) of special-care people.
    AccessId
}
id! {
    /// One leader's duty for a safety domain.
    DutyId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_parses_back_from_its_text_and_garbage_does_not() {
        let id = GridId::generate();
        assert_eq!(GridId::parse(&id.to_string()), Some(id));
        assert_eq!(GridId::parse("LX-V01"), None);
    }
}
