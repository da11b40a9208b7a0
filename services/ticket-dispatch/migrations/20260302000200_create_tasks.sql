-- Multi-department cases: besides the lead unit (the ticket's assignee),
-- each co-handling unit gets a task with its own clock. The ticket is
-- resolved only when every task is.

CREATE TABLE ticket_tasks (
    task_id       UUID PRIMARY KEY,
    ticket_id     UUID NOT NULL REFERENCES tickets (ticket_id),
    unit_kind     TEXT NOT NULL,
    unit_code     TEXT NOT NULL,
    unit_name     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('DISPATCHED', 'ACCEPTED', 'RESOLVED')),
    dispatched_at TIMESTAMPTZ NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    result        TEXT,
    resolved_at   TIMESTAMPTZ,
    CONSTRAINT ticket_tasks_unit_key UNIQUE (ticket_id, unit_code)
);
CREATE INDEX ticket_tasks_unit ON ticket_tasks (unit_code, state);

ALTER TABLE ticket_timers ADD COLUMN task_id UUID REFERENCES ticket_tasks (task_id);
