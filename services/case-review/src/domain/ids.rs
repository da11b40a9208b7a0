//! Identifiers: newtypes over UUIDv7, so that an opinion's id is never
//! passed where an expert's is expected (see `kernel::id!`).

kernel::id! {
    // Case review ignores the spaces around an id it is sent.
    trimmed:
    /// A review request.
    ReviewId;
    /// An expert of the registry (also the subject of their token).
    ExpertId;
    /// A declaration of interest.
    DeclarationId;
    /// One version of an expert's opinion.
    OpinionId;
    /// A consolidated recommendation.
    RecommendationId;
    /// A dispatch ticket (dispatch's id, as its events carry it).
    TicketId;
    /// An upper-level policy or task broken into work items.
    PolicyId;
    /// One village's task of a policy.
    WorkItemId;
}
