//! Identifiers: one newtype over a time-ordered UUID per kind of thing, so
//! a member's id cannot be passed where a grid's is meant (see `kernel::id!`).

kernel::id! {
    /// A grid, at any level.
    GridId;
    /// A person serving in a grid.
    MemberId;
    /// A covered object: a shop, a river, a forest parcel…
    ObjectId;
    /// A special-care person.
    CarePersonId;
    /// One audited read (or refused attempt) of special-care people.
    AccessId;
    /// One leader's duty for a safety domain.
    DutyId;
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
