-- The camera registry, the gateway's nonces, catalogue syncs and alarms.

-- What registers over SIP: a camera, NVR or DVR, by its GB/T 28181 code.
CREATE TABLE devices (
    device_id               TEXT PRIMARY KEY CHECK (device_id ~ '^[0-9]{20}$'),
    name                    TEXT NOT NULL,
    owner_kind              TEXT NOT NULL CHECK (owner_kind IN ('TOWN', 'ENTERPRISE')),
    owner_code              TEXT NOT NULL DEFAULT '',
    owner_name              TEXT NOT NULL DEFAULT '',
    -- MD5(device_id:realm:password); the password itself is never kept.
    digest_realm            TEXT,
    digest_ha1              TEXT,
    status                  TEXT NOT NULL CHECK (status IN ('UNREGISTERED', 'ONLINE', 'OFFLINE')),
    transport               TEXT CHECK (transport IN ('UDP', 'TCP')),
    address                 TEXT,
    call_id                 TEXT,
    registered_at           TIMESTAMPTZ,
    registration_expires_at TIMESTAMPTZ,
    last_keepalive_at       TIMESTAMPTZ,
    -- Persisted so that a restart leaves a device online until it passes.
    offline_deadline        TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX devices_online_deadline ON devices (offline_deadline) WHERE status = 'ONLINE';
CREATE INDEX devices_owner ON devices (owner_kind, owner_code);

-- A device's channels: the cameras.
CREATE TABLE channels (
    channel_id      TEXT PRIMARY KEY CHECK (channel_id ~ '^[0-9]{20}$'),
    device_id       TEXT NOT NULL REFERENCES devices (device_id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('GENERAL', 'CAPTURE', 'FACE', 'PLATE', 'THERMAL')),
    lat             DOUBLE PRECISION,
    lng             DOUBLE PRECISION,
    grid_code       TEXT,
    village_code    TEXT,
    stream_ref      TEXT NOT NULL DEFAULT '',
    reported_status TEXT,
    manufacturer    TEXT NOT NULL DEFAULT '',
    model           TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX channels_device ON channels (device_id);
CREATE INDEX channels_grid ON channels (grid_code);

-- Digest nonces: each answered once, and only before it expires.
CREATE TABLE sip_nonces (
    nonce      TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX sip_nonces_expires ON sip_nonces (expires_at);

-- One Catalog query's answer, across packets.
CREATE TABLE catalog_syncs (
    sync_id     UUID PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES devices (device_id),
    sn          BIGINT NOT NULL,
    sum_num     INTEGER NOT NULL DEFAULT 0,
    received    INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL CHECK (state IN ('COLLECTING', 'COMPLETE', 'TIMED_OUT')),
    removed     INTEGER NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ NOT NULL,
    deadline    TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    UNIQUE (device_id, sn)
);
CREATE INDEX catalog_syncs_collecting ON catalog_syncs (deadline) WHERE state = 'COLLECTING';

-- The distinct items a sync received: a resent packet adds none.
CREATE TABLE catalog_sync_items (
    sync_id UUID NOT NULL REFERENCES catalog_syncs (sync_id),
    item_id TEXT NOT NULL,
    PRIMARY KEY (sync_id, item_id)
);

-- Every alarm a device reported, usable or not.
CREATE TABLE alarms (
    alarm_id    UUID PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES devices (device_id),
    channel_id  TEXT,
    sn          BIGINT NOT NULL,
    priority    INTEGER NOT NULL,
    method      INTEGER NOT NULL,
    alarm_type  TEXT NOT NULL,
    description TEXT NOT NULL,
    alarm_time  TIMESTAMPTZ,
    lat         DOUBLE PRECISION,
    lng         DOUBLE PRECISION,
    received_at TIMESTAMPTZ NOT NULL,
    -- Why it cannot be used; NULL when it can.
    unusable    TEXT,
    -- A device resending the same notification (same SN) is one alarm.
    UNIQUE (device_id, sn)
);
CREATE INDEX alarms_received ON alarms (received_at DESC);
