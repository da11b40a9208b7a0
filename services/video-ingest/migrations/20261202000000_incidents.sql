-- Incidents (analytic events and alarms of one camera and kind, each
-- within the window of the one before), their events, the ticket rules
-- (data: which incidents become tickets for whom, how urgent) and the
-- tickets each incident asked dispatch for.

CREATE TABLE incidents (
    incident_id UUID PRIMARY KEY,
    channel_id  TEXT NOT NULL REFERENCES channels (channel_id),
    device_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('FIRE', 'ILLEGAL_DUMPING', 'STRAW_BURNING', 'INTRUSION', 'DEVICE_ALARM')),
    camera_kind TEXT NOT NULL CHECK (camera_kind IN ('GENERAL', 'CAPTURE', 'FACE', 'PLATE', 'THERMAL')),
    grid_code   TEXT,
    lat         DOUBLE PRECISION,
    lng         DOUBLE PRECISION,
    first_at    TIMESTAMPTZ NOT NULL,
    last_at     TIMESTAMPTZ NOT NULL,
    events      INTEGER NOT NULL CHECK (events > 0),
    max_score   DOUBLE PRECISION NOT NULL,
    opened_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX incidents_channel_kind ON incidents (channel_id, kind, last_at DESC);
CREATE INDEX incidents_opened ON incidents (opened_at DESC);

-- Each event (an analytic event or an alarm) once, in its incident.
CREATE TABLE incident_events (
    event_id        UUID PRIMARY KEY,
    incident_id     UUID NOT NULL REFERENCES incidents (incident_id),
    phase           TEXT NOT NULL CHECK (phase IN ('START', 'UPDATE', 'END')),
    track_id        TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    box_x           DOUBLE PRECISION,
    box_y           DOUBLE PRECISION,
    box_width       DOUBLE PRECISION,
    box_height      DOUBLE PRECISION,
    snapshot_ref    TEXT,
    snapshot_sha256 TEXT CHECK (snapshot_sha256 ~ '^[0-9a-f]{64}$'),
    alarm_id        UUID REFERENCES alarms (alarm_id),
    occurred_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, occurred_at);

-- Which incidents become VIDEO_ALARM tickets, for which units, how urgent.
-- Operators edit the rows; a rule is deactivated, never deleted.
CREATE TABLE ticket_rules (
    rule_code     TEXT PRIMARY KEY,
    incident_kind TEXT NOT NULL CHECK (incident_kind IN ('FIRE', 'ILLEGAL_DUMPING', 'STRAW_BURNING', 'INTRUSION', 'DEVICE_ALARM')),
    camera_kind   TEXT CHECK (camera_kind IN ('GENERAL', 'CAPTURE', 'FACE', 'PLATE', 'THERMAL')),
    min_score     DOUBLE PRECISION NOT NULL CHECK (min_score BETWEEN 0 AND 1),
    priority      TEXT NOT NULL CHECK (priority IN ('NORMAL', 'URGENT')),
    category_code TEXT NOT NULL,
    -- Each 'MICRO_GRID' or 'DEPARTMENT:<code>:<name>'.
    units         TEXT[] NOT NULL CHECK (cardinality(units) > 0),
    active        BOOLEAN NOT NULL DEFAULT true
);

INSERT INTO ticket_rules (rule_code, incident_kind, camera_kind, min_score, priority, category_code, units) VALUES
    ('THERMAL_FIRE',    'FIRE',            'THERMAL', 0.5, 'URGENT', 'FIRE_ALARM',      ARRAY['MICRO_GRID', 'DEPARTMENT:SAFETY:安全办 / safety office']),
    ('ILLEGAL_DUMPING', 'ILLEGAL_DUMPING', NULL,      0.6, 'NORMAL', 'ILLEGAL_DUMPING', ARRAY['MICRO_GRID']),
    ('STRAW_BURNING',   'STRAW_BURNING',   NULL,      0.6, 'NORMAL', 'STRAW_BURNING',   ARRAY['MICRO_GRID']);

-- The tickets each incident asked for: one per rule and unit.
CREATE TABLE incident_tickets (
    incident_id  UUID NOT NULL REFERENCES incidents (incident_id),
    rule_code    TEXT NOT NULL REFERENCES ticket_rules (rule_code),
    unit_kind    TEXT NOT NULL CHECK (unit_kind IN ('MICRO_GRID', 'DEPARTMENT')),
    unit_code    TEXT NOT NULL,
    priority     TEXT NOT NULL CHECK (priority IN ('NORMAL', 'URGENT')),
    ticket_ref   TEXT NOT NULL UNIQUE,
    requested_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident_id, rule_code, unit_kind, unit_code)
);
