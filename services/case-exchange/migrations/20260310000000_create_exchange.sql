-- Case exchange: joint cases and their history, outgoing deliveries,
-- received messages, the hash-chained message log and refusals. The
-- platform's migrations add outbox, inbox and idempotency_keys.

-- A joint case as this node holds it; the peer holds the same.
CREATE TABLE joint_cases (
    shared_id          UUID PRIMARY KEY,
    origin_node        TEXT NOT NULL,
    peer_node          TEXT NOT NULL,
    origin_case_number TEXT NOT NULL,
    peer_case_number   TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL CONSTRAINT joint_cases_state_check CHECK (state IN
        ('REPORTED', 'ACKNOWLEDGED', 'ACCEPTED', 'REJECTED', 'IN_MEDIATION', 'AGREED', 'FAILED', 'CLOSED')),
    status             TEXT NOT NULL CONSTRAINT joint_cases_status_check CHECK (status IN ('ACTUAL', 'EXERCISE', 'TEST')),
    -- What the case is about, whole as this node knows it (parties' personal
    -- data leaves only masked, through the sharing policy).
    summary            JSONB NOT NULL,
    mediation          JSONB,
    version            INTEGER NOT NULL CHECK (version >= 1),
    reported_at        TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX joint_cases_recent ON joint_cases (reported_at DESC);

-- Every move of a case, at either node: who moved it, where and when.
CREATE TABLE case_moves (
    shared_id  UUID NOT NULL REFERENCES joint_cases (shared_id),
    version    INTEGER NOT NULL,
    to_state   TEXT NOT NULL CONSTRAINT case_moves_to_state_check CHECK (to_state IN
        ('REPORTED', 'ACKNOWLEDGED', 'ACCEPTED', 'REJECTED', 'IN_MEDIATION', 'AGREED', 'FAILED', 'CLOSED')),
    by_node    TEXT NOT NULL,
    by_person  TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (shared_id, version)
);

-- Outgoing envelopes: the store-and-forward queue, in order per peer (seq).
CREATE TABLE deliveries (
    message_id        UUID PRIMARY KEY,
    seq               BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    peer              TEXT NOT NULL,
    message_type      TEXT NOT NULL CONSTRAINT deliveries_message_type_check CHECK (message_type IN
        ('REPORT', 'UPDATE', 'ACK', 'ERROR', 'CANCEL')),
    shared_case_id    TEXT NOT NULL DEFAULT '',
    -- The signed envelope as sent (encoded), sent again unchanged.
    wire              BYTEA NOT NULL,
    envelope_hash     BYTEA NOT NULL,
    state             TEXT NOT NULL CONSTRAINT deliveries_state_check CHECK (state IN
        ('PENDING', 'RECEIVED', 'ACCEPTED', 'REJECTED', 'FAILED')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL,
    received_at       TIMESTAMPTZ,
    answered_at       TIMESTAMPTZ,
    cause             TEXT NOT NULL DEFAULT '',
    warned            BOOLEAN NOT NULL DEFAULT false,
    -- The peer's signed receipt: the evidence it arrived.
    receipt_signature BYTEA
);
CREATE INDEX deliveries_pending ON deliveries (peer, seq) WHERE state = 'PENDING';
CREATE INDEX deliveries_open ON deliveries (created_at) WHERE state IN ('PENDING', 'RECEIVED');

-- Envelopes taken in: a retransmit is recognised by (sender, message_id)
-- and gets the same receipt back.
CREATE TABLE received_messages (
    sender            TEXT NOT NULL,
    message_id        UUID NOT NULL,
    envelope_hash     BYTEA NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    receipt_signature BYTEA NOT NULL,
    PRIMARY KEY (sender, message_id)
);

-- The message log: every envelope sent and received, each entry chained
-- to the one before by its hash. Append-only.
CREATE TABLE message_log (
    seq            BIGINT PRIMARY KEY CHECK (seq >= 1),
    direction      TEXT NOT NULL CONSTRAINT message_log_direction_check CHECK (direction IN ('SENT', 'RECEIVED')),
    message_id     TEXT NOT NULL,
    peer           TEXT NOT NULL,
    message_type   TEXT NOT NULL,
    shared_case_id TEXT NOT NULL,
    canonical      BYTEA NOT NULL,
    signature      BYTEA NOT NULL,
    envelope_hash  BYTEA NOT NULL,
    prev_hash      BYTEA NOT NULL,
    entry_hash     BYTEA NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL
);

-- Envelopes the peer port refused, and why.
CREATE TABLE refusals (
    refusal_id     UUID PRIMARY KEY,
    message_id     TEXT NOT NULL,
    claimed_sender TEXT NOT NULL,
    reason         TEXT NOT NULL,
    detail         TEXT NOT NULL,
    refused_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX refusals_recent ON refusals (refused_at DESC);
