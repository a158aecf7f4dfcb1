-- Up Migration

-- The state of a long event stream at one revision, so that deciding a command reads the snapshot
-- and the events after it instead of the whole stream. Written with the append it describes (same
-- statement with the Postgres store); `version` names the state's shape: another is ignored.
-- A cache, not a record: deleting any row (or all) loses nothing but time.
CREATE TABLE stream_snapshots (
  stream_id  text        PRIMARY KEY,
  revision   bigint      NOT NULL,
  version    integer     NOT NULL,
  state      jsonb       NOT NULL,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Down Migration
DROP TABLE stream_snapshots;
