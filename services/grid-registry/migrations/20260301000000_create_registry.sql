-- The grid registry: grids and their boundaries, members, covered objects,
-- the restricted store of special-care people with its audit trail,
-- departments, safety domains and duties.

CREATE TABLE grids (
    grid_id     UUID PRIMARY KEY,
    code        TEXT NOT NULL CONSTRAINT grids_code_key UNIQUE,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('TOWN', 'VILLAGE', 'RESIDENTIAL', 'AREA', 'MICRO')),
    parent_id   UUID REFERENCES grids (grid_id),
    households  INTEGER CHECK (households IS NULL OR households BETWEEN 20 AND 50),
    party_group TEXT,
    boundary    JSONB NOT NULL,               -- GeoJSON Polygon, WGS84
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CHECK ((level = 'TOWN') = (parent_id IS NULL)),
    CHECK ((level = 'MICRO') = (households IS NOT NULL AND party_group IS NOT NULL))
);
CREATE INDEX grids_parent_id ON grids (parent_id);

CREATE TABLE members (
    member_id      UUID PRIMARY KEY,
    grid_id        UUID NOT NULL REFERENCES grids (grid_id),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    background     TEXT,
    phone          TEXT NOT NULL,             -- personal data: returned only masked
    active         BOOLEAN NOT NULL DEFAULT true,
    removed_reason TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    removed_at     TIMESTAMPTZ
);
CREATE INDEX members_grid_id ON members (grid_id) WHERE active;
-- One serving leader per micro-grid.
CREATE UNIQUE INDEX members_one_leader ON members (grid_id) WHERE active AND role = 'LEADER';

CREATE TABLE covered_objects (
    object_id    UUID PRIMARY KEY,
    code         TEXT NOT NULL CONSTRAINT covered_objects_code_key UNIQUE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    geometry     JSONB NOT NULL,              -- GeoJSON Point, LineString or Polygon
    anchor_lng   DOUBLE PRECISION NOT NULL,   -- representative point: decides the micro-grid
    anchor_lat   DOUBLE PRECISION NOT NULL,
    micro_grid_id UUID REFERENCES grids (grid_id),
    high_risk    BOOLEAN NOT NULL DEFAULT false,
    head_name    TEXT,
    head_phone   TEXT,                        -- personal data: returned only masked
    area_ha      DOUBLE PRECISION,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX covered_objects_micro_grid_id ON covered_objects (micro_grid_id);
CREATE INDEX covered_objects_kind ON covered_objects (kind, code);

-- Special-care people (六类人): readable only by granted roles, always masked.
CREATE TABLE care_people (
    care_person_id UUID PRIMARY KEY,
    code           TEXT NOT NULL CONSTRAINT care_people_code_key UNIQUE,
    micro_grid_id  UUID NOT NULL REFERENCES grids (grid_id),
    category       TEXT NOT NULL,
    name           TEXT NOT NULL,
    id_number      TEXT NOT NULL CONSTRAINT care_people_id_number_key UNIQUE,
    phone          TEXT,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX care_people_micro_grid_id ON care_people (micro_grid_id);

-- Every read of special-care data, refused or granted.
CREATE TABLE care_access_log (
    access_id  UUID PRIMARY KEY,
    subject    TEXT NOT NULL,
    role       TEXT NOT NULL,
    grid_code  TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    records    INTEGER NOT NULL,
    granted    BOOLEAN NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX care_access_log_at ON care_access_log (at);

CREATE TABLE safety_domains (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('REGULATORY', 'CO_MANAGEMENT'))
);

CREATE TABLE department_object_kinds (
    department_code TEXT NOT NULL REFERENCES departments (code) ON DELETE CASCADE,
    object_kind     TEXT NOT NULL,
    PRIMARY KEY (department_code, object_kind)
);

CREATE TABLE department_domains (
    department_code TEXT NOT NULL REFERENCES departments (code) ON DELETE CASCADE,
    domain_code     TEXT NOT NULL REFERENCES safety_domains (code),
    PRIMARY KEY (department_code, domain_code)
);

-- The town leader on duty for each safety domain, over time.
CREATE TABLE domain_duties (
    duty_id      UUID PRIMARY KEY,
    domain_code  TEXT NOT NULL REFERENCES safety_domains (code),
    leader_name  TEXT NOT NULL,
    leader_title TEXT NOT NULL,
    phone        TEXT NOT NULL,
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ
);
CREATE INDEX domain_duties_domain ON domain_duties (domain_code, starts_at);
