import type { Pool } from '../../shared/db/pool';

export const DEFAULT_TEAM_SYNC_SCHEMA = 'team_sync';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a schema name team-sync accepts (lower case, digits, _): ${JSON.stringify(schema)}`);
  return schema;
}

export type TeamSyncTable =
  | 'offsets'
  | 'streams'
  | 'users'
  | 'user_states'
  | 'account_usernames'
  | 'groups'
  | 'memberships'
  | 'teams'
  | 'team_service_accounts'
  | 'settings'
  | 'invalid_messages';

/** A table's qualified name in the schema. */
export type TableIn = (table: TeamSyncTable) => string;

export const tablesIn = (schema: string): TableIn => {
  const quoted = `"${assertSchemaName(schema)}"`;
  return (table) => `${quoted}.${table}`;
};

/**
 * team-sync's own copy, as BASE state per aggregate (never effective membership: Kafka orders
 * events per stream only, so deltas across streams could be applied in the wrong order).
 * Positions are the events' global log positions as one `numeric` (positionKey): they let the
 * view answer "as of" a pause, an unlink, a clear or a group deletion (view.ts).
 */
export function teamSyncTablesSql(schema: string): string {
  const t = tablesIn(schema);
  return `
    CREATE SCHEMA IF NOT EXISTS "${schema}";

    -- Kafka offsets, moved in the transaction that applies the events: the source of truth.
    CREATE TABLE IF NOT EXISTS ${t('offsets')} (
      topic            text        NOT NULL,
      partition        integer     NOT NULL,
      next_offset      bigint      NOT NULL,
      last_occurred_at timestamptz,
      updated_at       timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (topic, partition)
    );

    -- The last revision applied per stream: an event is applied only when its revision is newer.
    CREATE TABLE IF NOT EXISTS ${t('streams')} (
      stream_id text   PRIMARY KEY,
      revision  bigint NOT NULL
    );

    CREATE TABLE IF NOT EXISTS ${t('users')} (
      id         uuid PRIMARY KEY,
      account_id uuid NOT NULL
    );
    CREATE INDEX IF NOT EXISTS users_account_idx ON ${t('users')} (account_id);

    -- Every change of a user's status, by position; the latest one before a position is its status then.
    -- revokes: the change takes SCIM-granted site-admin rights away (deactivation; deletion, unless SCIM was disabled).
    CREATE TABLE IF NOT EXISTS ${t('user_states')} (
      user_id  uuid    NOT NULL,
      position numeric NOT NULL,
      active   boolean NOT NULL,
      deleted  boolean NOT NULL,
      revokes  boolean NOT NULL,
      PRIMARY KEY (user_id, position)
    );

    -- An account's username: the first (by position) of its registration and the provisioning that created it.
    CREATE TABLE IF NOT EXISTS ${t('account_usernames')} (
      account_id uuid    PRIMARY KEY,
      username   text    NOT NULL,
      position   numeric NOT NULL
    );

    CREATE TABLE IF NOT EXISTS ${t('groups')} (
      id         uuid    PRIMARY KEY,
      deleted_at numeric
    );

    -- Membership intervals [added_at, removed_at): a group deletion closes the open ones.
    CREATE TABLE IF NOT EXISTS ${t('memberships')} (
      group_id   uuid    NOT NULL,
      user_id    uuid    NOT NULL,
      added_at   numeric NOT NULL,
      removed_at numeric,
      PRIMARY KEY (group_id, user_id, added_at)
    );
    CREATE INDEX IF NOT EXISTS memberships_open_idx ON ${t('memberships')} (group_id, user_id) WHERE removed_at IS NULL;

    -- group_id: the group the team follows, or last followed (its members as of frozen_at stay).
    -- live_since: the link or resume that last made it follow; frozen_at: the pause or unlink that stopped it.
    CREATE TABLE IF NOT EXISTS ${t('teams')} (
      id         text    PRIMARY KEY,
      name       text    NOT NULL,
      is_owners  boolean NOT NULL,
      group_id   uuid,
      linked     boolean NOT NULL DEFAULT false,
      paused     boolean NOT NULL DEFAULT false,
      live_since numeric,
      frozen_at  numeric
    );

    CREATE TABLE IF NOT EXISTS ${t('team_service_accounts')} (
      team_id    text NOT NULL,
      account_id uuid NOT NULL,
      name       text NOT NULL,
      PRIMARY KEY (team_id, account_id)
    );

    -- site_admin_group_id: the current one; sa_group_id the last one set, whose grants (as of
    -- sa_frozen_at, the clear or disable) stay after it was cleared. sa_since: when it was set.
    CREATE TABLE IF NOT EXISTS ${t('settings')} (
      singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      site_admin_group_id uuid,
      sa_group_id         uuid,
      sa_since            numeric,
      sa_frozen_at        numeric
    );
    INSERT INTO ${t('settings')} (singleton) VALUES (true) ON CONFLICT DO NOTHING;

    -- Messages that are not valid events (poison): kept for an operator, skipped.
    CREATE TABLE IF NOT EXISTS ${t('invalid_messages')} (
      topic       text        NOT NULL,
      partition   integer     NOT NULL,
      "offset"    bigint      NOT NULL,
      error       text        NOT NULL,
      value       text,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (topic, partition, "offset")
    );
  `;
}

/** Creates team-sync's schema and tables when missing; safe to run on every start, by several instances. */
export async function setupTeamSyncSchema(pool: Pool, schema = DEFAULT_TEAM_SYNC_SCHEMA): Promise<void> {
  const client = await pool.connect();
  try {
    // Concurrent CREATE ... IF NOT EXISTS can still collide in the catalog: one instance at a time.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`team-sync-schema:${assertSchemaName(schema)}`]);
    await client.query(teamSyncTablesSql(schema));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
