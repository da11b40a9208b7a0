-- Whether each side's own dispatch ticket of a joint case is closed, as its
-- node told (the CROSS_BORDER ticket at the receiving town, the reporting
-- town's own ticket at the origin).
ALTER TABLE joint_cases
    ADD COLUMN origin_ticket_closed boolean NOT NULL DEFAULT false,
    ADD COLUMN peer_ticket_closed boolean NOT NULL DEFAULT false;

-- A town's own ticket is found by its number.
CREATE INDEX joint_cases_origin_case_number ON joint_cases (origin_node, origin_case_number);
