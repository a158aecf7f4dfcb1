-- Up Migration

-- The removal of SCIM data after a disable, which runs in the background (one instance at a time,
-- resumed after a crash): when it began, how much there was to remove then, and when it ended.
-- What is left is counted from the write side's own tables, so progress needs no bookkeeping.
CREATE TABLE scim_cleanup (
  singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  started_at  timestamptz NOT NULL,
  total       integer     NOT NULL,
  finished_at timestamptz
);

-- Down Migration
DROP TABLE scim_cleanup;
