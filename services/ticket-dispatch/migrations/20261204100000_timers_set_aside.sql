-- A deadline timer that fails whenever it fires (its ticket cannot be read
-- or moved) is set aside with the reason, so that it does not hold back the
-- timers due after it; an operator finds it by failed_at.
ALTER TABLE ticket_timers ADD COLUMN failed_at TIMESTAMPTZ, ADD COLUMN failure TEXT;

DROP INDEX ticket_timers_due;
CREATE INDEX ticket_timers_due ON ticket_timers (fire_at) WHERE fired_at IS NULL AND failed_at IS NULL;
