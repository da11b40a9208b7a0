-- A credit asks whether untrue reports of its account still owe points
-- (status, awarded and reversed points by account): by index, not by
-- reading every report.
CREATE INDEX reports_account_status ON reports (account_id, status);
