/**
 * The SCIM read model: users, groups and memberships, in one Postgres schema per build (the live
 * one, or a rebuild that is swapped in). Every row carries its aggregate's stream revision: an
 * event is applied only when it is newer, so a redelivered event changes nothing.
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
      -- A tombstone, so that a replayed UserProvisioned cannot bring a deleted user back.
      deleted       boolean     NOT NULL DEFAULT false
    );
    -- text_pattern_ops serves both eq and sw on the lower-cased value: an index lookup at any size.
    CREATE INDEX users_user_name_idx ON ${s}.users (lower(user_name) text_pattern_ops);
    CREATE INDEX users_external_id_idx ON ${s}.users (external_id text_pattern_ops);
    CREATE INDEX users_display_name_idx ON ${s}.users (lower(display_name) text_pattern_ops);

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

    -- A user deleted from SCIM leaves every group; the row's absence is the membership's end.
    CREATE TABLE ${s}.group_members (
      group_id uuid NOT NULL,
      user_id  uuid NOT NULL,
      PRIMARY KEY (group_id, user_id)
    );
    CREATE INDEX group_members_user_idx ON ${s}.group_members (user_id);

    -- Platform accounts: imported ones, and those SCIM provisioning created or linked.
    CREATE TABLE ${s}.accounts (
      id            uuid        PRIMARY KEY,
      email         text        NOT NULL,
      username      text        NOT NULL,
      display_name  text,
      source        text        NOT NULL CHECK (source IN ('imported', 'scim')),
      scim_user_id  uuid,
      -- SCIM deactivation takes access away; deleting the SCIM identity suspends the account.
      scim_active   boolean     NOT NULL DEFAULT false,
      suspended     boolean     NOT NULL DEFAULT false,
      registered    timestamptz NOT NULL
    );
    CREATE INDEX accounts_scim_user_idx ON ${s}.accounts (scim_user_id);
    CREATE INDEX accounts_email_idx ON ${s}.accounts (lower(email));
  `;
}

/** The schema the live SCIM read model is in; queries name their tables through it. */
export const SCIM_READ_SCHEMA = 'scim_read';

