-- Up Migration

-- Set-wide uniqueness (userName, externalId, displayName, account emails and links) that an event
-- stream cannot enforce on its own. A key is held by one owner stream. With the Postgres event store
-- keys are claimed `confirmed` in the append's transaction; with EventStoreDB they are claimed
-- `pending` before the append and settled after it, and the reconciler settles what a crash left.
CREATE TABLE unique_keys (
  scope        text        NOT NULL,
  key          text        NOT NULL,
  value        text        NOT NULL,
  owner_stream text        NOT NULL,
  owner_id     text        NOT NULL,
  state        text        NOT NULL CHECK (state IN ('confirmed', 'pending', 'releasing')),
  changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (scope, key)
);

CREATE INDEX unique_keys_owner_idx ON unique_keys (owner_stream);
CREATE INDEX unique_keys_scope_owner_idx ON unique_keys (scope, owner_id);
CREATE INDEX unique_keys_unsettled_idx ON unique_keys (changed_at) WHERE state <> 'confirmed';

-- Down Migration
DROP TABLE unique_keys;
