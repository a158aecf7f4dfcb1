-- Up Migration

-- One row per projection: the version its live schema was built with, and the position of the last
-- event (or store checkpoint) applied to it. The position moves in the same transaction as the
-- read-model rows, so the two never disagree. NULL position: nothing processed yet.
CREATE TABLE projection_checkpoints (
  name             text        PRIMARY KEY,
  version          integer     NOT NULL,
  commit_position  bigint,
  prepare_position bigint,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT projection_checkpoints_position_check CHECK ((commit_position IS NULL) = (prepare_position IS NULL))
);

-- Down Migration
DROP TABLE projection_checkpoints;
