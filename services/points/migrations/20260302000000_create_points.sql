-- Residents, households, their accounts and the append-only ledger.

CREATE TABLE households (
    household_id UUID PRIMARY KEY,
    village_code TEXT NOT NULL,
    -- E.g. the house number: 中丰村 3组 12号.
    label        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (village_code, label)
);

-- Where points are held: a resident's own account, or a household's that
-- its members earn into. The balance is the sum of the account's entries,
-- kept here so that a debit is checked under the row's lock.
CREATE TABLE accounts (
    account_id   UUID PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('RESIDENT', 'HOUSEHOLD')),
    village_code TEXT NOT NULL,
    balance      BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0)
);

CREATE TABLE residents (
    resident_id   UUID PRIMARY KEY REFERENCES accounts (account_id),
    -- The mini-program identity; NULL for residents served at the workstation.
    openid        TEXT UNIQUE,
    -- The printable code of a resident served at the workstation.
    code          TEXT UNIQUE,
    name          TEXT NOT NULL,
    -- Personal data: returned masked only.
    phone         TEXT NOT NULL,
    village_code  TEXT NOT NULL,
    household_id  UUID REFERENCES households (household_id),
    active        BOOLEAN NOT NULL DEFAULT true,
    registered_at TIMESTAMPTZ NOT NULL,
    operator      TEXT,
    deactivated_at TIMESTAMPTZ,
    deactivation_reason TEXT,
    CHECK (openid IS NOT NULL OR code IS NOT NULL)
);

-- Points by category: a verified report earns base_points times its
-- severity (1–3), within the caps. Data: the town edits it.
CREATE TABLE award_rules (
    category_code TEXT PRIMARY KEY,
    base_points   INTEGER NOT NULL CHECK (base_points BETWEEN 0 AND 1000),
    active        BOOLEAN NOT NULL DEFAULT true
);

CREATE TABLE reports (
    report_id      UUID PRIMARY KEY,
    resident_id    UUID NOT NULL REFERENCES residents (resident_id),
    -- Where its points go, fixed when it was submitted.
    account_id     UUID NOT NULL REFERENCES accounts (account_id),
    category_code  TEXT NOT NULL REFERENCES award_rules (category_code),
    severity       INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
    text           TEXT NOT NULL,
    photos         JSONB NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    lng            DOUBLE PRECISION NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('SUBMITTED', 'FORWARDED', 'IN_HANDLING', 'VERIFIED',
                                                   'DUPLICATE', 'REJECTED', 'CLOSED')),
    ticket_id      UUID,
    ticket_number  TEXT,
    duplicate_of   TEXT,
    pending_points INTEGER NOT NULL CHECK (pending_points >= 0),
    awarded_points INTEGER NOT NULL DEFAULT 0 CHECK (awarded_points >= 0),
    reversed_points INTEGER NOT NULL DEFAULT 0 CHECK (reversed_points >= 0),
    submitted_at   TIMESTAMPTZ NOT NULL,
    -- The day in the town's time zone, for the daily and monthly caps.
    local_day      DATE NOT NULL,
    operator       TEXT,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX reports_resident ON reports (resident_id, submitted_at DESC, report_id);
CREATE INDEX reports_resident_day ON reports (resident_id, local_day);
CREATE INDEX reports_category_time ON reports (category_code, submitted_at);

-- The ledger. Entries are never changed or removed: a correction is a
-- compensating entry. The key makes posting idempotent.
CREATE TABLE ledger_entries (
    entry_id      UUID PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    account_id    UUID NOT NULL REFERENCES accounts (account_id),
    kind          TEXT NOT NULL CHECK (kind IN ('AWARD', 'REVERSAL', 'REDEMPTION', 'REFUND', 'EXPIRY',
                                                'ADJUSTMENT')),
    amount        BIGINT NOT NULL CHECK (amount <> 0),
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    at            TIMESTAMPTZ NOT NULL,
    resident_id   UUID,
    report_id     UUID,
    order_id      UUID,
    reason        TEXT,
    operator      TEXT NOT NULL,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, seq);
CREATE INDEX ledger_entries_kind_time ON ledger_entries (kind, at);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: post a compensating entry';
END;
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE TABLE catalog_items (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('DAILY_GOODS', 'FARM_SUPPLIES', 'PUBLIC_SERVICE')),
    cost          INTEGER NOT NULL CHECK (cost > 0),
    stock         INTEGER NOT NULL CHECK (stock >= 0),
    -- Where it is offered; empty means every village.
    village_codes TEXT[] NOT NULL DEFAULT '{}',
    active        BOOLEAN NOT NULL DEFAULT true,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE orders (
    order_id     UUID PRIMARY KEY,
    resident_id  UUID NOT NULL REFERENCES residents (resident_id),
    account_id   UUID NOT NULL REFERENCES accounts (account_id),
    item_code    TEXT NOT NULL REFERENCES catalog_items (code),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    points       INTEGER NOT NULL CHECK (points > 0),
    state        TEXT NOT NULL CHECK (state IN ('RESERVED', 'FULFILLED', 'CANCELLED')),
    pickup_code  TEXT NOT NULL,
    ordered_at   TIMESTAMPTZ NOT NULL,
    closed_at    TIMESTAMPTZ,
    reason       TEXT,
    operator     TEXT NOT NULL
);
CREATE INDEX orders_resident ON orders (resident_id, ordered_at DESC);

-- Year ends whose expiry has run (each account's expiry entry is also
-- idempotent by its key).
CREATE TABLE expiry_runs (
    year     INTEGER PRIMARY KEY,
    ran_at   TIMESTAMPTZ NOT NULL,
    accounts INTEGER NOT NULL,
    points   BIGINT NOT NULL
);
