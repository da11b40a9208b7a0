//! Identifiers: one newtype over a time-ordered UUID per kind of thing.

/// Declares identifier newtypes over time-ordered UUIDs (v7), so that one
/// kind's id cannot be passed where another's is meant, and ids sort by the
/// time they were made:
///
/// ```
/// kernel::id! {
///     /// A ticket.
///     TicketId;
///     /// A co-handler's task.
///     TaskId;
/// }
///
/// let first = TicketId::generate();
/// assert_eq!(TicketId::parse(&first.to_string()), Some(first));
/// assert_eq!(TicketId::parse(" LX-2026-000001 "), None);
/// assert!(first < TicketId::generate());
/// ```
///
/// Each is `pub struct TicketId(pub Uuid)` (`Copy`, `Eq`, `Hash`, `Ord`)
/// with `generate()`, `parse(&str) -> Option<Self>` (`None` when the text
/// is not a UUID) and `Display` (the UUID). `parse` takes the text exactly
/// as sent; ids that people type in are declared after `trimmed:`, and
/// their `parse` ignores surrounding spaces:
///
/// ```
/// kernel::id! {
///     trimmed:
///     /// A report.
///     ReportId;
/// }
///
/// let id = ReportId::generate();
/// assert_eq!(ReportId::parse(&format!(" {id} ")), Some(id));
/// ```
#[macro_export]
macro_rules! id {
    (@one $(#[$meta:meta])* $name:ident, $doc:literal, |$text:ident| $prepare:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $crate::uuid::Uuid);

        impl $name {
            /// Returns a new id, ordered after every id made before it
            /// (UUID v7).
            pub fn generate() -> Self {
                Self($crate::uuid::Uuid::now_v7())
            }

            #[doc = $doc]
            pub fn parse($text: &str) -> Option<Self> {
                $prepare.parse().ok().map(Self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
    (trimmed: $($(#[$meta:meta])* $name:ident;)+) => {
        $($crate::id!(
            @one $(#[$meta])* $name,
            "Parses an id as sent, surrounding spaces ignored; `None` when it is not a UUID.",
            |text| text.trim()
        );)+
    };
    ($($(#[$meta:meta])* $name:ident;)+) => {
        $($crate::id!(
            @one $(#[$meta])* $name,
            "Parses an id as sent: a UUID; `None` when it is not one.",
            |text| text
        );)+
    };
}

#[cfg(test)]
mod tests {
    crate::id! {
        /// A thing of the tests.
        ThingId;
    }
    crate::id! {
        trimmed:
        /// A thing people type in.
        TypedId;
    }

    #[test]
    fn an_id_parses_back_from_its_text_and_garbage_does_not() {
        let id = ThingId::generate();
        assert_eq!(ThingId::parse(&id.to_string()), Some(id));
        assert_eq!(id.to_string(), id.0.to_string());
        assert_eq!(ThingId::parse("LX-V01"), None);
        assert_eq!(ThingId::parse(""), None);
    }

    #[test]
    fn only_ids_declared_trimmed_ignore_surrounding_spaces() {
        let id = ThingId::generate();
        assert_eq!(ThingId::parse(&format!(" {id} ")), None);
        let typed = TypedId::generate();
        assert_eq!(TypedId::parse(&format!(" {typed}\n")), Some(typed));
        assert_eq!(TypedId(id.0).to_string(), id.to_string());
        assert_eq!(TypedId::parse(" R-79F7-K78D "), None);
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let first = ThingId::generate();
        let second = ThingId::generate();
        assert!(first < second);
        assert_eq!(first.0.get_version_num(), 7);
    }
}
