-- Up Migration

-- SCIM bearer tokens: only an HMAC-SHA512 of each value under the server secret is kept, never the
-- value. Written in the transaction that appends the token's event (Postgres store), so a token
-- works from the moment its creation is acknowledged and stops the moment its revocation is.
CREATE TABLE scim_tokens (
  id           text        PRIMARY KEY,
  description  text        NOT NULL,
  hmac         bytea       NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  -- Updated at most once a minute by the authentication path: not an event.
  last_used_at timestamptz
);

-- Administrator tokens for /api/v2/admin (seeded from ADMIN_BOOTSTRAP_TOKEN).
CREATE TABLE admin_tokens (
  id          text        PRIMARY KEY,
  description text        NOT NULL,
  hmac        bytea       NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Down Migration
DROP TABLE admin_tokens;
DROP TABLE scim_tokens;
