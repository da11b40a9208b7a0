-- Why a ticket was reopened (RESULT_UNTRUE, UNSATISFIED, REPORT_UNTRUE,
-- NOT_SOLVED): points reverse a villager's award only for REPORT_UNTRUE.
ALTER TABLE ticket_transitions ADD COLUMN cause TEXT
    CHECK (cause IN ('RESULT_UNTRUE', 'UNSATISFIED', 'REPORT_UNTRUE', 'NOT_SOLVED'));
