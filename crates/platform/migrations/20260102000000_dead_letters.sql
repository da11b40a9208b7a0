-- Events that cannot be delivered are set aside, visibly, instead of stopping
-- the rest: an outbox row NATS refuses for good (larger than the server's
-- message limit) and an event a consumer cannot apply after its allowed
-- deliveries. Additive: the previous release's queries still run.

ALTER TABLE outbox
    ADD COLUMN dead_at     TIMESTAMPTZ,           -- set aside, never published
    ADD COLUMN dead_reason TEXT;

DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE inbox_dead_letters (
    consumer      TEXT NOT NULL,
    event_id      UUID NOT NULL,
    subject       TEXT NOT NULL,
    payload       BYTEA NOT NULL,
    headers       JSONB NOT NULL DEFAULT '{}',
    reason        TEXT NOT NULL,
    deliveries    BIGINT NOT NULL,
    set_aside_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE INDEX inbox_handled_at ON inbox (handled_at);
