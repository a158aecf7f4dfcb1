-- Up Migration

-- The provisioning state (disabled, enabled, paused) as the settings stream decided it, written in
-- the statement that appends each settings event (the two-phase writer: right after it), so that
-- every request's token check also reads the state in the same round trip, on every instance, from
-- the commit of a pause on: never a state an instance has not heard of yet.
CREATE TABLE scim_status (
  singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  status     text        NOT NULL CHECK (status IN ('disabled', 'enabled', 'paused')),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Down Migration
DROP TABLE scim_status;
