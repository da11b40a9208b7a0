-- A report of the same category close to an open ticket, soon after it, is
-- linked to that ticket rather than dispatched again; the desk can merge and
-- split by hand.
ALTER TABLE tickets ADD COLUMN duplicate_of UUID REFERENCES tickets (ticket_id);
CREATE INDEX tickets_duplicate_of ON tickets (duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE INDEX tickets_open_nearby ON tickets (category_code, lat, lng) WHERE state <> 'CLOSED' AND duplicate_of IS NULL;
