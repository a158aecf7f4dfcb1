-- Up Migration

-- One row per event publisher (by default `kafka:<topic>`): the position of the last event the
-- broker acknowledged. Saved only after the acknowledgement, so a crash in between sends the batch
-- again (duplicates, which consumers drop by (streamId, revision)), and never skips an event.
CREATE TABLE publisher_checkpoints (
  name             text        PRIMARY KEY,
  commit_position  bigint      NOT NULL,
  prepare_position bigint      NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE publisher_checkpoints;
