-- DS-DB-003: audit events are append-only. The reference has no update or delete API; this
-- trigger also stops anyone with a SQL prompt from rewriting history by accident.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (DS-DB-003): % is not allowed', TG_OP;
END;
$$;

DROP TRIGGER IF EXISTS audit_events_no_rewrite ON audit_events;
CREATE TRIGGER audit_events_no_rewrite BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
