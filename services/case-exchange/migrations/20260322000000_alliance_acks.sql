-- The safe-merchants alliance and the ten-household joint defence groups,
-- and who acknowledged each alert.

-- Members this town keeps. The contact is personal data: whole only here,
-- masked in answers and logs, never on the event bus.
CREATE TABLE members (
    member_id     UUID PRIMARY KEY,
    kind          TEXT NOT NULL CONSTRAINT members_kind_check CHECK (kind IN ('ALLIANCE_SHOP', 'JOINT_DEFENCE_GROUP')),
    name          TEXT NOT NULL,
    place         TEXT NOT NULL,
    households    INTEGER NOT NULL CHECK (households >= 0),
    contact_name  TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    joined_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT members_name_key UNIQUE (kind, name)
);

-- Each recipient of an alert this node fanned out (the peers of an alert
-- issued here; this town's members of any alert), and its acknowledgement.
CREATE TABLE alert_acks (
    sender      TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    -- A peer's node id, or a member's id.
    recipient_kind TEXT NOT NULL CONSTRAINT alert_acks_recipient_kind_check CHECK (recipient_kind IN ('PEER', 'MEMBER')),
    recipient   TEXT NOT NULL,
    state       TEXT NOT NULL CONSTRAINT alert_acks_state_check CHECK (state IN ('NOTIFIED', 'ACKNOWLEDGED', 'ESCALATED')),
    notified_at TIMESTAMPTZ NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    acked_at    TIMESTAMPTZ,
    acked_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sender, identifier, recipient_kind, recipient),
    FOREIGN KEY (sender, identifier) REFERENCES alerts (sender, identifier)
);
CREATE INDEX alert_acks_due ON alert_acks (due_at) WHERE state = 'NOTIFIED';
