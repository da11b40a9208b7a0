-- The calendar as data for any year, edited a year at a time through the
-- API (SetCalendar). Each edit is a row: who replaced which year when. The
-- highest edit id is the calendar's version, which every replica compares
-- to pick an edit up without a restart.
CREATE TABLE calendar_edits (
    edit_id    BIGSERIAL PRIMARY KEY,
    year       INT NOT NULL CHECK (year BETWEEN 2000 AND 2099),
    days       INT NOT NULL CHECK (days >= 0),
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by TEXT NOT NULL
);

CREATE INDEX calendar_edits_year ON calendar_edits (year, edit_id DESC);
