-- Work lists (一套明细单): upper-level policies and the work items they are
-- broken into, one per village or residential committee and rule met, with
-- their progress reports, verification and closing (销号).

CREATE TABLE policies (
    policy_id     UUID PRIMARY KEY,
    title         TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    reference     TEXT NOT NULL,
    body          TEXT NOT NULL,
    deadline      TIMESTAMPTZ NOT NULL,
    -- [{"attribute": "RIVERS", "at_least": 1, "title": …, "detail": …}, …]
    rules         JSONB NOT NULL,
    state         TEXT NOT NULL CONSTRAINT policies_state_check CHECK (state IN ('DRAFT', 'DECOMPOSED')),
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    decomposed_at TIMESTAMPTZ,
    items         INTEGER NOT NULL DEFAULT 0 CHECK (items >= 0)
);
CREATE INDEX policies_created ON policies (created_at DESC);

CREATE TABLE work_items (
    item_id           UUID PRIMARY KEY,
    policy_id         UUID NOT NULL REFERENCES policies (policy_id),
    grid_code         TEXT NOT NULL,
    grid_name         TEXT NOT NULL,
    attribute         TEXT NOT NULL CONSTRAINT work_items_attribute_check CHECK (attribute IN
                          ('RIVERS', 'HIGH_RISK_ENTERPRISES', 'SCHOOLS', 'FARMLAND', 'SPECIAL_CARE', 'ALL')),
    count             INTEGER NOT NULL CHECK (count >= 0),
    title             TEXT NOT NULL,
    detail            TEXT NOT NULL,
    -- The policy's deadline, inherited.
    deadline          TIMESTAMPTZ NOT NULL,
    chief             TEXT NOT NULL,
    state             TEXT NOT NULL CONSTRAINT work_items_state_check CHECK (state IN ('OPEN', 'REPORTED', 'VERIFIED', 'CLOSED')),
    verified_by       TEXT,
    verified_at       TIMESTAMPTZ,
    verification_note TEXT,
    closed_by         TEXT,
    closed_at         TIMESTAMPTZ,
    close_note        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    -- Closed only after verification, whatever the code does.
    CONSTRAINT work_items_closed_verified CHECK (state <> 'CLOSED' OR verified_at IS NOT NULL),
    CONSTRAINT work_items_one_per_rule UNIQUE (policy_id, grid_code, attribute)
);
CREATE INDEX work_items_grid ON work_items (grid_code, deadline);
CREATE INDEX work_items_chief ON work_items (chief, deadline);
CREATE INDEX work_items_deadline ON work_items (deadline);

-- Append-only: every report as it was made.
CREATE TABLE work_item_reports (
    item_id     UUID NOT NULL REFERENCES work_items (item_id),
    seq         INTEGER NOT NULL,
    percent     INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    note        TEXT NOT NULL,
    done        BOOLEAN NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, seq)
);

CREATE FUNCTION work_item_reports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'work_item_reports is append-only';
END;
$$;
CREATE TRIGGER work_item_reports_append_only BEFORE UPDATE OR DELETE ON work_item_reports
    FOR EACH ROW EXECUTE FUNCTION work_item_reports_append_only();
