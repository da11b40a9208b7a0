-- The special-care audit trail records registrations beside reads, and is
-- append-only: no role of the service may change or delete an entry (a
-- correction is a new entry). Housekeeping purges only the platform's
-- bookkeeping tables, never this one.

ALTER TABLE care_access_log
    ADD COLUMN action TEXT NOT NULL DEFAULT 'READ' CHECK (action IN ('READ', 'CREATE')),
    ADD COLUMN person_code TEXT,          -- the record a registration names
    ADD COLUMN id_number_masked TEXT;     -- as masked for answers, never whole

CREATE FUNCTION care_access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'care_access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER care_access_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON care_access_log
    FOR EACH ROW EXECUTE FUNCTION care_access_log_append_only();

CREATE TRIGGER care_access_log_no_truncate
    BEFORE TRUNCATE ON care_access_log
    FOR EACH STATEMENT EXECUTE FUNCTION care_access_log_append_only();
