-- Evidence: clips (a camera's footage over a window, its files in object
-- storage with the SHA-256 of each), legal holds, retention, and the
-- custody and access log, each entry chained to the one before by its
-- hash. Disclosure on application (依申请公开): applications, their
-- cameras, and the copies issued.

CREATE TABLE clips (
    clip_id         UUID PRIMARY KEY,
    channel_id      TEXT NOT NULL REFERENCES channels (channel_id),
    device_id       TEXT NOT NULL,
    camera_kind     TEXT NOT NULL CHECK (camera_kind IN ('GENERAL', 'CAPTURE', 'FACE', 'PLATE', 'THERMAL')),
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ NOT NULL CHECK (ends_at > starts_at),
    incident_id     UUID REFERENCES incidents (incident_id),
    -- A redacted copy names the clip it was made from.
    source_clip_id  UUID REFERENCES clips (clip_id),
    -- The SHA-256 of the manifest (camera, window, each file's name, key,
    -- size and SHA-256), also on the custody log's RECORDED entry.
    manifest_sha256 BYTEA NOT NULL CHECK (length(manifest_sha256) = 32),
    retain_until    TIMESTAMPTZ NOT NULL,
    hold_reason     TEXT,
    held_by         TEXT,
    held_at         TIMESTAMPTZ,
    purged_at       TIMESTAMPTZ,
    recorded_by     TEXT NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    CHECK ((hold_reason IS NULL) = (held_at IS NULL))
);
CREATE INDEX clips_channel_window ON clips (channel_id, starts_at);
CREATE INDEX clips_purgeable ON clips (retain_until) WHERE purged_at IS NULL AND hold_reason IS NULL;

CREATE TABLE clip_files (
    clip_id    UUID NOT NULL REFERENCES clips (clip_id),
    position   INTEGER NOT NULL CHECK (position >= 0),
    name       TEXT NOT NULL,
    object_key TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256     BYTEA NOT NULL CHECK (length(sha256) = 32),
    PRIMARY KEY (clip_id, position),
    UNIQUE (clip_id, name)
);

-- The custody and access log: every clip recorded, held, released and
-- purged, every application reviewed, every view, copy and refusal.
-- Appended only, under an advisory lock, so entries chain in one line.
CREATE TABLE custody_log (
    seq            BIGINT PRIMARY KEY CHECK (seq > 0),
    action         TEXT NOT NULL,
    clip_id        UUID,
    application_id UUID,
    actor          TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    detail         TEXT NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    prev_hash      BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    entry_hash     BYTEA NOT NULL CHECK (length(entry_hash) = 32)
);
CREATE INDEX custody_log_clip ON custody_log (clip_id, seq) WHERE clip_id IS NOT NULL;
CREATE INDEX custody_log_application ON custody_log (application_id, seq) WHERE application_id IS NOT NULL;

CREATE SEQUENCE application_numbers;

CREATE TABLE applications (
    application_id     UUID PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    -- The applicant, whole: shown only to the review, masked elsewhere.
    applicant_name     TEXT NOT NULL,
    applicant_id_number TEXT NOT NULL,
    applicant_phone    TEXT NOT NULL,
    purpose            TEXT NOT NULL CHECK (purpose IN ('LOST_ITEM', 'VEHICLE_SCRAPE', 'ILLEGAL_DUMPING', 'STRAW_BURNING', 'OTHER')),
    purpose_detail     TEXT NOT NULL,
    dispute_ticket     TEXT,
    starts_at          TIMESTAMPTZ NOT NULL,
    ends_at            TIMESTAMPTZ NOT NULL CHECK (ends_at > starts_at),
    state              TEXT NOT NULL CHECK (state IN ('SUBMITTED', 'APPROVED', 'REFUSED')),
    decision           TEXT CHECK (decision IN ('VIEWING', 'COPY')),
    refusal_reason     TEXT,
    reviewed_by        TEXT,
    reviewed_at        TIMESTAMPTZ,
    -- Until when the approved viewing or the issued copy may be used.
    valid_until        TIMESTAMPTZ,
    submitted_by       TEXT NOT NULL,
    submitted_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX applications_submitted ON applications (submitted_at DESC);

CREATE TABLE application_channels (
    application_id UUID NOT NULL REFERENCES applications (application_id),
    channel_id     TEXT NOT NULL REFERENCES channels (channel_id),
    PRIMARY KEY (application_id, channel_id)
);

-- A redacted copy issued for an application: a clip of its own, made from
-- an original clip.
CREATE TABLE application_copies (
    application_id UUID NOT NULL REFERENCES applications (application_id),
    copy_clip_id   UUID NOT NULL REFERENCES clips (clip_id),
    source_clip_id UUID NOT NULL REFERENCES clips (clip_id),
    issued_at      TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (application_id, copy_clip_id)
);
