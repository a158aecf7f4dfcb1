-- Up Migration

-- The Postgres event store: one append-only table for every stream.
CREATE TABLE events (
  global_position bigserial PRIMARY KEY,
  -- Assigned when the appending transaction writes; subscribers only read rows whose
  -- transaction is older than every transaction still in flight, so a late commit is never skipped.
  transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
  event_id        uuid        NOT NULL,
  stream_id       text        NOT NULL,
  stream_revision bigint      NOT NULL CHECK (stream_revision >= 0),
  event_type      text        NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT events_stream_revision_key UNIQUE (stream_id, stream_revision),
  CONSTRAINT events_event_id_key UNIQUE (event_id)
);

CREATE INDEX events_transaction_order_idx ON events (transaction_id, global_position);

-- Append-only: history is never rewritten (old versions are upcast when read).
CREATE FUNCTION events_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only';
END;
$$;

CREATE TRIGGER events_append_only
  BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_forbid_change();

-- Down Migration
DROP TABLE events;
DROP FUNCTION events_forbid_change();
