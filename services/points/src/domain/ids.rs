//! Identifiers: newtypes over UUIDv7, so that a report's id is never passed
//! where an order's is expected (see `kernel::id!`).

kernel::id! {
    // Points ignores the spaces around an id it is sent.
    trimmed:
    /// A resident.
    ResidentId;
    /// A household.
    HouseholdId;
    /// An account: a resident's own (same id as the resident) or a
    /// household's (same id as the household).
    AccountId;
    /// A report.
    ReportId;
    /// A dispatch ticket (dispatch's id, as its events carry it).
    TicketId;
    /// A ledger entry.
    EntryId;
    /// An order.
    OrderId;
}

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
