//! Identifiers: newtypes over UUIDv7 (see `kernel::id!`).

kernel::id! {
    trimmed:
    /// A joint case's id, shared by both nodes.
    SharedCaseId;
    /// An envelope's id, unique per sender.
    MessageId;
}
