//! Identifiers: newtypes over UUIDv7 (see `kernel::id!`).

kernel::id! {
    trimmed:
    /// A joint case's id, shared by both nodes.
    SharedCaseId;
    /// An envelope's id, unique per sender.
    MessageId;
    /// A joint information check's id, shared by both nodes.
    CheckId;
    /// An entry of the shared risk list, the same on every node.
    RiskId;
    /// A member of the safe-merchants alliance or a joint defence group.
    MemberId;
}
