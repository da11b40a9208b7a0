-- How urgent a ticket is: NORMAL for every ticket so far; URGENT ones (a
-- camera's fire) come first in the desk queue. Additive: older releases
-- neither read nor write it and get the default.
ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'NORMAL'
    CONSTRAINT tickets_priority CHECK (priority IN ('NORMAL', 'URGENT'));
CREATE INDEX tickets_urgent_open ON tickets (ticket_id) WHERE priority = 'URGENT';
