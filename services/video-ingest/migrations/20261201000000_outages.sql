-- A device's outages: from the deadline it missed to the keepalive or
-- registration that brought it back. One open outage per device at most,
-- and one maintenance ticket asked of dispatch per outage (its key).
CREATE TABLE outages (
    outage_id   UUID PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES devices (device_id),
    started_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ CHECK (ended_at IS NULL OR ended_at >= started_at)
);

CREATE UNIQUE INDEX outages_open ON outages (device_id) WHERE ended_at IS NULL;
CREATE INDEX outages_by_start ON outages (started_at);
