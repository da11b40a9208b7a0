-- A co-handler's task has a clock of its own like the ticket's: paused
-- while the co-handler waits on something outside its hands, extended by a
-- granted extension. Each dispatch or escalation of the task starts it
-- afresh.
ALTER TABLE ticket_tasks
    ADD COLUMN extension_days  INTEGER NOT NULL DEFAULT 0 CHECK (extension_days >= 0),
    ADD COLUMN paused_since    TIMESTAMPTZ,
    ADD COLUMN paused_total_ms BIGINT NOT NULL DEFAULT 0 CHECK (paused_total_ms >= 0);

-- An extension request is for the ticket's own clock (task_id NULL) or for
-- one co-handler's task; one request at a time is pending for each.
ALTER TABLE extensions ADD COLUMN task_id UUID REFERENCES ticket_tasks (task_id);
DROP INDEX extensions_one_pending;
CREATE UNIQUE INDEX extensions_one_pending
    ON extensions (ticket_id, COALESCE(task_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE state = 'PENDING';
