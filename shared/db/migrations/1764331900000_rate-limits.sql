-- Up Migration

-- Request counters of the shared rate limits (rate-limiter-flexible's Postgres store layout), one
-- row per budget and key, seen by every instance. UNLOGGED: a counter is worth nothing after a
-- crash, and a transaction that only writes here commits without waiting for a WAL flush.
-- `expire` (ms since the epoch) is float8, not the library's bigint: shared/db/pool.ts parses int8
-- as a JavaScript BigInt, which the library's arithmetic cannot mix with numbers.
CREATE UNLOGGED TABLE rate_limits (
  key    varchar(255)     PRIMARY KEY,
  points integer          NOT NULL DEFAULT 0,
  expire double precision
);

-- Down Migration
DROP TABLE rate_limits;
