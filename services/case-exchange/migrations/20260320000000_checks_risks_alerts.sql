-- Joint information checks, the shared risk list and CAP alerts.

-- Questions and answers travel as REQUEST and RESPONSE envelopes.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_message_type_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_message_type_check CHECK (message_type IN
    ('REPORT', 'UPDATE', 'ACK', 'ERROR', 'CANCEL', 'REQUEST', 'RESPONSE'));

-- Checks asked from here (信息联查). The subject is kept masked: the whole
-- id number left only in the request's envelope.
CREATE TABLE checks (
    check_id       UUID PRIMARY KEY,
    peer_node      TEXT NOT NULL,
    subject_kind   TEXT NOT NULL CONSTRAINT checks_subject_kind_check CHECK (subject_kind IN ('PERSON', 'ENTERPRISE')),
    subject_masked TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    approved_by    TEXT NOT NULL,
    requested_by   TEXT NOT NULL,
    state          TEXT NOT NULL CONSTRAINT checks_state_check CHECK (state IN ('PENDING', 'ANSWERED', 'REFUSED')),
    reason         TEXT NOT NULL DEFAULT '',
    -- As the peer's policy let them leave.
    findings       JSONB NOT NULL DEFAULT '[]',
    requested_at   TIMESTAMPTZ NOT NULL,
    answered_at    TIMESTAMPTZ
);
CREATE INDEX checks_recent ON checks (requested_at DESC);

-- Every restricted read of the local API (a joint case with its parties,
-- a check's answer): who, in which role, what and when. Append-only.
CREATE TABLE read_audit (
    read_id     UUID PRIMARY KEY,
    object_kind TEXT NOT NULL CONSTRAINT read_audit_object_kind_check CHECK (object_kind IN ('CASE', 'CHECK')),
    object_id   UUID NOT NULL,
    subject     TEXT NOT NULL,
    role        TEXT NOT NULL,
    -- Parties or findings shown.
    records     INTEGER NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX read_audit_object ON read_audit (object_kind, object_id);

CREATE FUNCTION read_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'read_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER read_audit_no_update_or_delete
    BEFORE UPDATE OR DELETE ON read_audit
    FOR EACH ROW EXECUTE FUNCTION read_audit_append_only();

CREATE TRIGGER read_audit_no_truncate
    BEFORE TRUNCATE ON read_audit
    FOR EACH STATEMENT EXECUTE FUNCTION read_audit_append_only();

-- The shared risk list (风险联控), the same on every node. A person's name
-- is kept masked only.
CREATE TABLE risks (
    risk_id     UUID PRIMARY KEY,
    owner_node  TEXT NOT NULL,
    kind        TEXT NOT NULL CONSTRAINT risks_kind_check CHECK (kind IN ('PLACE', 'ENTERPRISE', 'PERSON')),
    name        TEXT NOT NULL,
    care_group  TEXT CONSTRAINT risks_care_group_check CHECK (care_group IN
        ('RELEASED_PRISONER', 'COMMUNITY_CORRECTION', 'DRUG_REHABILITATION',
         'SEVERE_MENTAL_DISORDER', 'KEY_YOUTH', 'KEY_PETITIONER')),
    level       TEXT NOT NULL CONSTRAINT risks_level_check CHECK (level IN ('LOW', 'MEDIUM', 'HIGH')),
    description TEXT NOT NULL,
    lat         DOUBLE PRECISION,
    lng         DOUBLE PRECISION,
    version     INTEGER NOT NULL CHECK (version >= 1),
    withdrawn   BOOLEAN NOT NULL DEFAULT false,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT risks_person_group CHECK ((kind = 'PERSON') = (care_group IS NOT NULL))
);

-- CAP 1.2 alerts issued here and received from peers, as XML.
CREATE TABLE alerts (
    sender      TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    direction   TEXT NOT NULL CONSTRAINT alerts_direction_check CHECK (direction IN ('ISSUED', 'RECEIVED')),
    msg_type    TEXT NOT NULL,
    sent        TIMESTAMPTZ NOT NULL,
    cap_xml     TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sender, identifier)
);
CREATE INDEX alerts_recent ON alerts (recorded_at DESC);
