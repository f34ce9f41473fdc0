-- DS-DB-001: the audit_events table of the contract, as a plain (unpartitioned) table (DS-DB-002
-- makes partitioning optional). Deviation: event_version is varchar(20), not varchar(10),
-- because the request schema (§5.3) accepts versions of up to 20 characters and a valid
-- request must never fail in the database.
CREATE TABLE IF NOT EXISTS audit_events (
    event_id          uuid         NOT NULL DEFAULT gen_random_uuid(),
    event_version     varchar(20)  NOT NULL DEFAULT '1.0',
    event_timestamp   timestamptz  NOT NULL DEFAULT now(),
    event_date        date         NOT NULL,
    event_type        varchar(100) NOT NULL,
    event_category    varchar(50)  NOT NULL,
    event_action      varchar(50)  NOT NULL,
    event_outcome     varchar(20)  NOT NULL,
    actor_type        varchar(50)  NOT NULL,
    actor_id          varchar(255) NOT NULL,
    actor_ip          inet,
    resource_type     varchar(100) NOT NULL,
    resource_id       varchar(255) NOT NULL,
    resource_name     varchar(255),
    correlation_id    varchar(255) NOT NULL,
    parent_event_id   uuid,
    parent_event_date date,
    trace_id          varchar(255),
    span_id           varchar(255),
    namespace         varchar(253),
    cluster_name      varchar(255),
    event_data        jsonb        NOT NULL,
    event_metadata    jsonb,
    severity          varchar(20),
    duration_ms       integer,
    error_code        varchar(50),
    error_message     text,
    retention_days    integer      DEFAULT 2555,
    is_sensitive      boolean      DEFAULT false,
    PRIMARY KEY (event_id, event_date),
    CONSTRAINT audit_events_parent_fk FOREIGN KEY (parent_event_id, parent_event_date)
        REFERENCES audit_events (event_id, event_date) ON DELETE RESTRICT
);

-- event_date is derived from event_timestamp (in UTC) by a BEFORE INSERT trigger, as in Kubernaut.
CREATE OR REPLACE FUNCTION audit_events_set_event_date() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.event_date := (NEW.event_timestamp AT TIME ZONE 'UTC')::date;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS audit_events_event_date ON audit_events;
CREATE TRIGGER audit_events_event_date BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_set_event_date();

CREATE INDEX IF NOT EXISTS audit_events_timestamp_idx ON audit_events (event_timestamp DESC);
CREATE INDEX IF NOT EXISTS audit_events_correlation_idx
    ON audit_events (correlation_id, event_timestamp DESC);
CREATE INDEX IF NOT EXISTS audit_events_type_idx ON audit_events (event_type, event_timestamp DESC);
CREATE INDEX IF NOT EXISTS audit_events_resource_idx
    ON audit_events (resource_type, resource_id, event_timestamp DESC);
CREATE INDEX IF NOT EXISTS audit_events_actor_idx
    ON audit_events (actor_type, actor_id, event_timestamp DESC);
CREATE INDEX IF NOT EXISTS audit_events_outcome_idx
    ON audit_events (event_outcome, event_timestamp DESC);
CREATE INDEX IF NOT EXISTS audit_events_date_idx ON audit_events (event_date);
CREATE INDEX IF NOT EXISTS audit_events_data_gin ON audit_events USING gin (event_data);
