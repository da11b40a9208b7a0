//! Identifiers made here: newtypes over UUIDv7 (see `kernel::id!`). Devices
//! and channels are named by their GB/T 28181 codes instead
//! ([`super::gbid::GbId`]).

kernel::id! {
    trimmed:
    /// A catalogue sync.
    SyncId;
    /// A recorded alarm.
    AlarmId;
    /// A device's outage.
    OutageId;
    /// An incident: events of one camera and kind.
    IncidentId;
    /// An evidence clip (or a redacted copy of one).
    ClipId;
    /// A disclosure application.
    ApplicationId;
}
