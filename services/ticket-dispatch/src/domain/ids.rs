//! The identities of the dispatch aggregates: UUIDv7 newtypes, so that a
//! ticket's id cannot be passed where a task's is meant, and ids sort by
//! the time they were made (see `kernel::id!`).

kernel::id! {
    /// A ticket.
    TicketId;
    /// A co-handler's task of a multi-department case.
    TaskId;
    /// An extension request (延期).
    ExtensionId;
    /// A deadline timer.
    TimerId;
}

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
