-- Expand, then contract a release later: the previous release still reads
-- and writes accounts.village_code during a rolling update and after a
-- rollback, so the column stays (nullable) and this release goes on writing
-- it. The release after this one stops writing it; the one after that
-- drops it. (20260302000200 dropped it at once; on a database that ran it,
-- this brings it back, empty for accounts opened since.)
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS village_code TEXT;
ALTER TABLE accounts ALTER COLUMN village_code DROP NOT NULL;
