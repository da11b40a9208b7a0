-- Case review: the expert registry, review requests, panels, opinions,
-- recommendations and decisions.

CREATE TABLE experts (
    expert_id     UUID PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CONSTRAINT experts_kind_check CHECK (kind IN
                      ('PRACTISING_LAWYER', 'PUBLIC_LAWYER', 'LEGAL_ADVISER', 'DEPARTMENT', 'APPRAISAL_BODY')),
    fields        TEXT[] NOT NULL,
    credentials   TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    reports_to    TEXT,
    public_key    BYTEA NOT NULL CHECK (length(public_key) = 32),
    active        BOOLEAN NOT NULL DEFAULT true,
    registered_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT experts_credentials_key UNIQUE (kind, credentials)
);

CREATE TABLE interest_declarations (
    declaration_id UUID PRIMARY KEY,
    expert_id      UUID NOT NULL REFERENCES experts (expert_id),
    party          TEXT NOT NULL,
    note           TEXT NOT NULL,
    declared_at    TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    reminded_at    TIMESTAMPTZ
);
CREATE INDEX interest_declarations_expert ON interest_declarations (expert_id);
CREATE INDEX interest_declarations_unreminded ON interest_declarations (expires_at) WHERE reminded_at IS NULL;

CREATE TABLE reviews (
    review_id          UUID PRIMARY KEY,
    kind               TEXT NOT NULL CONSTRAINT reviews_kind_check CHECK (kind IN ('LEGAL_RISK', 'PROFESSIONAL', 'POLICY')),
    question           TEXT NOT NULL,
    materials          TEXT[] NOT NULL,
    urgency            TEXT NOT NULL CONSTRAINT reviews_urgency_check CHECK (urgency IN ('NORMAL', 'URGENT')),
    deadline           TIMESTAMPTZ NOT NULL,
    major              BOOLEAN NOT NULL,
    case_ref           TEXT NOT NULL,
    ticket_id          UUID,
    parties            TEXT[] NOT NULL,
    involved           TEXT[] NOT NULL,
    organiser          TEXT NOT NULL,
    industry_authority TEXT,
    state              TEXT NOT NULL CONSTRAINT reviews_state_check CHECK (state IN ('OPEN', 'DECIDED')),
    opened_by          TEXT NOT NULL,
    opened_at          TIMESTAMPTZ NOT NULL,
    deadline_warned_at TIMESTAMPTZ
);
CREATE INDEX reviews_ticket ON reviews (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX reviews_open_deadline ON reviews (deadline) WHERE state = 'OPEN' AND deadline_warned_at IS NULL;

CREATE TABLE panel_members (
    review_id      UUID NOT NULL REFERENCES reviews (review_id),
    expert_id      UUID NOT NULL REFERENCES experts (expert_id),
    name           TEXT NOT NULL,
    seated_at      TIMESTAMPTZ NOT NULL,
    recused_at     TIMESTAMPTZ,
    recusal_reason TEXT,
    PRIMARY KEY (review_id, expert_id),
    CHECK ((recused_at IS NULL) = (recusal_reason IS NULL))
);

CREATE TABLE opinions (
    opinion_id     UUID PRIMARY KEY,
    review_id      UUID NOT NULL REFERENCES reviews (review_id),
    expert_id      UUID NOT NULL REFERENCES experts (expert_id),
    version        INTEGER NOT NULL CHECK (version >= 1),
    risk           TEXT NOT NULL CONSTRAINT opinions_risk_check CHECK (risk IN ('LOW', 'MEDIUM', 'HIGH')),
    reasoning      TEXT NOT NULL,
    recommendation TEXT NOT NULL,
    public_key     BYTEA NOT NULL CHECK (length(public_key) = 32),
    signature      BYTEA NOT NULL CHECK (length(signature) = 64),
    signed_at      TIMESTAMPTZ NOT NULL,
    returned_at    TIMESTAMPTZ,
    return_reason  TEXT,
    CONSTRAINT opinions_version_key UNIQUE (review_id, expert_id, version),
    CHECK ((returned_at IS NULL) = (return_reason IS NULL))
);

-- A submitted opinion never changes: only its return for a rewrite is
-- recorded, once. Its text, rating, key and signature are what was signed.
CREATE FUNCTION opinions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'opinion % is immutable: it cannot be deleted', OLD.opinion_id;
    END IF;
    IF (NEW.opinion_id, NEW.review_id, NEW.expert_id, NEW.version, NEW.risk, NEW.reasoning,
        NEW.recommendation, NEW.public_key, NEW.signature, NEW.signed_at)
       IS DISTINCT FROM
       (OLD.opinion_id, OLD.review_id, OLD.expert_id, OLD.version, OLD.risk, OLD.reasoning,
        OLD.recommendation, OLD.public_key, OLD.signature, OLD.signed_at)
       OR OLD.returned_at IS NOT NULL THEN
        RAISE EXCEPTION 'opinion % is immutable once submitted', OLD.opinion_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER opinions_immutable BEFORE UPDATE OR DELETE ON opinions
    FOR EACH ROW EXECUTE FUNCTION opinions_immutable();

CREATE TABLE recommendations (
    recommendation_id UUID PRIMARY KEY,
    review_id         UUID NOT NULL REFERENCES reviews (review_id),
    text              TEXT NOT NULL,
    opinion_ids       UUID[] NOT NULL,
    state             TEXT NOT NULL CONSTRAINT recommendations_state_check CHECK (state IN ('OPEN', 'WITHDRAWN', 'DECIDED')),
    opened_by         TEXT NOT NULL,
    opened_at         TIMESTAMPTZ NOT NULL,
    closed_at         TIMESTAMPTZ,
    close_reason      TEXT
);
-- One consolidated recommendation open per review at a time.
CREATE UNIQUE INDEX recommendations_one_open ON recommendations (review_id) WHERE state = 'OPEN';

CREATE TABLE decisions (
    review_id         UUID PRIMARY KEY REFERENCES reviews (review_id),
    outcome           TEXT NOT NULL CONSTRAINT decisions_outcome_check CHECK (outcome IN ('ADOPTED', 'PARTLY_ADOPTED', 'NOT_ADOPTED')),
    reasons           TEXT NOT NULL,
    recommendation_id UUID NOT NULL REFERENCES recommendations (recommendation_id),
    redispatch_to     JSONB NOT NULL,
    close_result      TEXT,
    decided_by        TEXT NOT NULL,
    decided_at        TIMESTAMPTZ NOT NULL
);

-- Assignments refused because an expert had a conflict (for statistics).
CREATE TABLE conflicts_found (
    conflict_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id   UUID NOT NULL REFERENCES reviews (review_id),
    expert_id   UUID NOT NULL REFERENCES experts (expert_id),
    rule        TEXT NOT NULL,
    found_at    TIMESTAMPTZ NOT NULL
);

-- Who read which review (a restricted read).
CREATE TABLE review_reads (
    read_id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id UUID NOT NULL,
    reader    TEXT NOT NULL,
    role      TEXT NOT NULL,
    read_at   TIMESTAMPTZ NOT NULL
);
