-- Ticket dispatch: the category taxonomy and holidays (data, not code),
-- tickets with their clocks, their full history, durable deadline timers and
-- extension requests.

CREATE TABLE categories (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- The safety domain whose responsibility chain handles it (registry).
    domain_code TEXT NOT NULL,
    -- Street-level time limit in working days (1, 3 or 5; 15 for approved
    -- complex cases); the 110 and 12345 channel limits override it.
    working_days INTEGER NOT NULL CHECK (working_days BETWEEN 1 AND 60),
    difficult   BOOLEAN NOT NULL DEFAULT false,
    active      BOOLEAN NOT NULL DEFAULT true
);

-- Days off (HOLIDAY) and weekend days worked in exchange (WORKDAY).
CREATE TABLE calendar_days (
    day  DATE PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('HOLIDAY', 'WORKDAY')),
    name TEXT NOT NULL
);

CREATE SEQUENCE ticket_numbers;

CREATE TABLE tickets (
    ticket_id        UUID PRIMARY KEY,
    number           TEXT NOT NULL CONSTRAINT tickets_number_key UNIQUE,
    channel          TEXT NOT NULL,
    external_ref     TEXT,
    category_code    TEXT NOT NULL REFERENCES categories (code),
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    lat              DOUBLE PRECISION,
    lng              DOUBLE PRECISION,
    micro_grid_code  TEXT,
    village_code     TEXT,
    state            TEXT NOT NULL,
    unrouted         BOOLEAN NOT NULL DEFAULT false,
    difficult        BOOLEAN NOT NULL DEFAULT false,
    assignee_kind    TEXT,
    assignee_code    TEXT,
    assignee_name    TEXT,
    received_at      TIMESTAMPTZ NOT NULL,
    dispatched_at    TIMESTAMPTZ,
    limit_kind       TEXT NOT NULL CHECK (limit_kind IN ('HOURS', 'WORKING_DAYS')),
    limit_value      INTEGER NOT NULL,
    extension_days   INTEGER NOT NULL DEFAULT 0,
    paused_since     TIMESTAMPTZ,
    paused_total_ms  BIGINT NOT NULL DEFAULT 0,
    due_at           TIMESTAMPTZ,
    satisfaction     INTEGER,
    returns          INTEGER NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    reporter_phone   TEXT,                      -- personal data: returned only masked
    version          BIGINT NOT NULL DEFAULT 1,
    updated_at       TIMESTAMPTZ NOT NULL,
    -- The same order from the same channel is one ticket.
    CONSTRAINT tickets_channel_external_ref_key UNIQUE (channel, external_ref)
);
CREATE INDEX tickets_state ON tickets (state, received_at);
CREATE INDEX tickets_assignee ON tickets (assignee_code, state);
CREATE INDEX tickets_village ON tickets (village_code, received_at);
CREATE INDEX tickets_unrouted ON tickets (received_at) WHERE unrouted;

-- Every move of every ticket: who, when, from, to, why.
CREATE TABLE ticket_transitions (
    transition_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id     UUID NOT NULL REFERENCES tickets (ticket_id),
    at            TIMESTAMPTZ NOT NULL,
    actor         TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    action        TEXT NOT NULL,
    reason        TEXT,
    unit_kind     TEXT,
    unit_code     TEXT,
    unit_name     TEXT
);
CREATE INDEX ticket_transitions_ticket ON ticket_transitions (ticket_id, transition_id);

-- Durable deadline timers: warnings at fractions of the allowed time and the
-- breach. Due rows are claimed with FOR UPDATE SKIP LOCKED, so with several
-- replicas each fires once.
CREATE TABLE ticket_timers (
    timer_id  UUID PRIMARY KEY,
    ticket_id UUID NOT NULL REFERENCES tickets (ticket_id),
    kind      TEXT NOT NULL CHECK (kind IN ('WARNING', 'BREACH')),
    fraction  DOUBLE PRECISION NOT NULL,
    fire_at   TIMESTAMPTZ NOT NULL,
    fired_at  TIMESTAMPTZ
);
CREATE INDEX ticket_timers_due ON ticket_timers (fire_at) WHERE fired_at IS NULL;
CREATE INDEX ticket_timers_ticket ON ticket_timers (ticket_id) WHERE fired_at IS NULL;

CREATE TABLE extensions (
    extension_id    UUID PRIMARY KEY,
    ticket_id       UUID NOT NULL REFERENCES tickets (ticket_id),
    days            INTEGER NOT NULL CHECK (days BETWEEN 1 AND 30),
    reason          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('PENDING', 'GRANTED', 'REFUSED')),
    requested_by    TEXT NOT NULL,
    requested_at    TIMESTAMPTZ NOT NULL,
    decided_by      TEXT,
    decided_at      TIMESTAMPTZ,
    decision_reason TEXT
);
CREATE UNIQUE INDEX extensions_one_pending ON extensions (ticket_id) WHERE state = 'PENDING';
