-- Tables every service has, owned by the platform crate: the transactional
-- outbox, the inbox of handled events, and idempotency keys of mutating calls.

CREATE TABLE outbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    subject      TEXT NOT NULL,               -- registry.grid.created, without the test prefix
    payload      BYTEA NOT NULL,              -- prost-encoded message from events.proto
    headers      JSONB NOT NULL DEFAULT '{}', -- traceparent, event type
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE inbox (
    consumer   TEXT NOT NULL,                 -- durable consumer name
    event_id   UUID NOT NULL,
    subject    TEXT NOT NULL,
    handled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE idempotency_keys (
    caller_id       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    rpc             TEXT NOT NULL,
    request_hash    BYTEA NOT NULL,
    response        BYTEA,                    -- NULL until the call commits
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (caller_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
