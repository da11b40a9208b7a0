-- Who asked for a reporter's contact, why, and whether it was given: the
-- phone never travels in events, so every read of it is here. Rows are
-- only ever added.
CREATE TABLE contact_access_log (
    access_id  UUID PRIMARY KEY,
    subject    TEXT NOT NULL,
    role       TEXT NOT NULL,
    report_id  UUID NOT NULL,
    purpose    TEXT NOT NULL,
    granted    BOOLEAN NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_access_log_at ON contact_access_log (at);

CREATE FUNCTION contact_access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contact_access_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER contact_access_log_append_only
    BEFORE UPDATE OR DELETE ON contact_access_log
    FOR EACH ROW EXECUTE FUNCTION contact_access_log_append_only();
