-- Rejection at the desk (a terminal REJECTED state for what is not a
-- case), with its reason in the history.
ALTER TABLE ticket_transitions ADD COLUMN reject_reason TEXT CHECK (reject_reason IN (
    'PRANK', 'DUPLICATE', 'OUTSIDE_THE_TOWN', 'NOT_A_CASE'));
