-- Legs: every time a ticket, or a co-handler's task, is put in a unit's
-- hands (dispatch, redispatch after a return, escalation, reopening; the
-- desk itself for a channel whose limit counts from receipt), with its own
-- deadline, when it was signed for, when and how it ended. Kept, never
-- overwritten: the on-time figures are computed from them.
CREATE TABLE ticket_legs (
    ticket_id  UUID NOT NULL REFERENCES tickets (ticket_id),
    seq        INTEGER NOT NULL CHECK (seq > 0),
    task_id    UUID REFERENCES ticket_tasks (task_id),
    unit_kind  TEXT NOT NULL,
    unit_code  TEXT NOT NULL,
    unit_name  TEXT NOT NULL,
    start      TEXT NOT NULL CHECK (start IN ('DESK', 'DISPATCH', 'REDISPATCH', 'ESCALATION', 'REOPEN')),
    given_at   TIMESTAMPTZ NOT NULL,
    due_at     TIMESTAMPTZ NOT NULL,
    signed_at  TIMESTAMPTZ,
    ended_at   TIMESTAMPTZ,
    outcome    TEXT CHECK (outcome IN ('RESOLVED', 'RETURNED', 'ESCALATED', 'DISPATCHED', 'WITHDRAWN')),
    PRIMARY KEY (ticket_id, seq),
    CHECK ((outcome IS NULL) = (ended_at IS NULL))
);
CREATE INDEX ticket_legs_unit ON ticket_legs (unit_code, given_at);
