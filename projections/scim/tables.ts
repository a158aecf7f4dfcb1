/**
 * The SCIM resources read model that every SCIM GET answers from: users, groups and their members,
 * one row per aggregate carrying its stream revision, written from the aggregate's state (see
 * rows.ts): in the append's own statement with the Postgres store, by the projection runner
 * otherwise. A deleted resource keeps a tombstone row (`deleted`), so a replayed event cannot
 * bring it back. Where each SCIM attribute lives in them, for filters and sorts: read-model-mapping.ts.
 */
export function scimTablesSql(schema: string): string {
  const s = `"${schema}"`;
  return `
    CREATE TABLE ${s}.users (
      id            uuid        PRIMARY KEY,
      revision      bigint      NOT NULL,
      user_name     text        NOT NULL,
      external_id   text,
      display_name  text,
      active        boolean     NOT NULL,
      account_id    uuid        NOT NULL,
      -- The client-owned SCIM attributes, canonical names, enterprise extension under its URN.
      attributes    jsonb       NOT NULL,
      created       timestamptz NOT NULL,
      last_modified timestamptz NOT NULL,
      deleted       boolean     NOT NULL DEFAULT false
    );
    -- text_pattern_ops serves both eq and sw on the lower-cased value: an index lookup at any size.
    CREATE INDEX users_user_name_idx ON ${s}.users (lower(user_name) text_pattern_ops);
    CREATE INDEX users_external_id_idx ON ${s}.users (external_id text_pattern_ops);
    CREATE INDEX users_display_name_idx ON ${s}.users (lower(display_name) text_pattern_ops);
    -- The default list order (creation), so a page is an index range, not a sort of every row.
    CREATE INDEX users_created_idx ON ${s}.users (created, id) WHERE NOT deleted;

    CREATE TABLE ${s}.groups (
      id            uuid        PRIMARY KEY,
      revision      bigint      NOT NULL,
      display_name  text        NOT NULL,
      external_id   text,
      created       timestamptz NOT NULL,
      last_modified timestamptz NOT NULL,
      deleted       boolean     NOT NULL DEFAULT false
    );
    CREATE INDEX groups_display_name_idx ON ${s}.groups (lower(display_name) text_pattern_ops);
    CREATE INDEX groups_external_id_idx ON ${s}.groups (external_id text_pattern_ops);
    CREATE INDEX groups_created_idx ON ${s}.groups (created, id) WHERE NOT deleted;

    -- A group's roster as its stream holds it. A deleted user stays in the roster of the groups it
    -- was in (as in the group's stream); reads leave deleted users out.
    CREATE TABLE ${s}.group_members (
      group_id uuid NOT NULL,
      user_id  uuid NOT NULL,
      PRIMARY KEY (group_id, user_id)
    );
    CREATE INDEX group_members_user_idx ON ${s}.group_members (user_id);

    -- How many users and groups exist (not deleted), so an unfiltered list's totalResults is a sum
    -- of 16 rows and not a count of the table. An aggregate always counts in the shard its id
    -- hashes to (rows.ts), so concurrent creators rarely wait on one row, and a rebuild fills
    -- every shard exactly as the live writes did.
    CREATE TABLE ${s}.resource_counts (
      resource text    NOT NULL CHECK (resource IN ('users', 'groups')),
      shard    integer NOT NULL,
      n        bigint  NOT NULL,
      PRIMARY KEY (resource, shard)
    );
    INSERT INTO ${s}.resource_counts (resource, shard, n)
      SELECT r, s, 0 FROM unnest(ARRAY['users', 'groups']) AS r, generate_series(0, ${COUNT_SHARDS - 1}) AS s;
  `;
}

/** Shards of resource_counts. */
export const COUNT_SHARDS = 16;

/** The schema the live SCIM read model is in; queries name their tables through it. */
export const SCIM_READ_SCHEMA = 'scim_read';

export type ScimTable = 'users' | 'groups' | 'group_members' | 'resource_counts';
