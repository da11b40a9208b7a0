-- Returns (退单) with a structured reason, on the leg the unit handed back
-- and in the history; a ticket returned a second time (ping-pong) carries
-- the supervision warning it went to the desk with.
ALTER TABLE ticket_legs ADD COLUMN return_reason TEXT CHECK (return_reason IN (
    'NOT_OUR_RESPONSIBILITY', 'WRONG_LOCATION', 'NOT_ENOUGH_INFORMATION', 'BEYOND_OUR_MEANS', 'OTHER'));
ALTER TABLE ticket_transitions ADD COLUMN return_reason TEXT CHECK (return_reason IN (
    'NOT_OUR_RESPONSIBILITY', 'WRONG_LOCATION', 'NOT_ENOUGH_INFORMATION', 'BEYOND_OUR_MEANS', 'OTHER'));
ALTER TABLE tickets ADD COLUMN supervision_warning TEXT;
