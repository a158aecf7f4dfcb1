/**
 * The platform read model: accounts, teams and their effective members, site admins, settings,
 * tokens, the activity feed and every name a resource had (for the audit search), with the users, groups and memberships they follow, in one Postgres
 * schema per build (the live one, or a rebuild that is swapped in). Every aggregate row carries its
 * stream revision and every activity row its log position: an event is applied only when it is
 * newer, so a redelivered event changes nothing.
 */
export function platformTablesSql(schema: string): string {
  const s = `"${schema}"`;
  return `
    -- The SCIM users teams follow: who they are (for summaries and member names), whether they are
    -- active, and their account. Their attributes live in the scim read model.
    CREATE TABLE ${s}.users (
      id            uuid        PRIMARY KEY,
      revision      bigint      NOT NULL,
      user_name     text        NOT NULL,
      active        boolean     NOT NULL,
      account_id    uuid        NOT NULL,
      created       timestamptz NOT NULL,
      last_modified timestamptz NOT NULL,
      -- A tombstone, so that a replayed UserProvisioned cannot bring a deleted user back.
      deleted       boolean     NOT NULL DEFAULT false
    );

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

    -- Platform teams. A linked team (scim_group_id set) follows its group unless the link is paused.
    CREATE TABLE ${s}.teams (
      id            text        PRIMARY KEY,
      revision      bigint      NOT NULL,
      name          text        NOT NULL,
      is_owners     boolean     NOT NULL,
      scim_group_id uuid,
      link_paused   boolean     NOT NULL DEFAULT false,
      -- When the link last changed the team's members (the platform's scim-updated-at); NULL unlinked.
      scim_updated_at timestamptz,
      created       timestamptz NOT NULL
    );
    CREATE INDEX teams_scim_group_idx ON ${s}.teams (scim_group_id) WHERE scim_group_id IS NOT NULL;

    -- Effective members: service accounts, and the human members (the linked group's active members
    -- while the team follows it; whatever they were when it stopped following).
    CREATE TABLE ${s}.team_members (
      team_id    text NOT NULL,
      account_id uuid NOT NULL,
      kind       text NOT NULL CHECK (kind IN ('user', 'service-account')),
      username   text NOT NULL,
      PRIMARY KEY (team_id, account_id)
    );
    CREATE INDEX team_members_account_idx ON ${s}.team_members (account_id);

    -- Site-admin rights SCIM granted: the site-admin group's active members while it is set.
    CREATE TABLE ${s}.site_admins (
      account_id uuid PRIMARY KEY,
      granted_by text NOT NULL CHECK (granted_by IN ('scim'))
    );

    -- The scim-settings stream, one row; revision -1 until its first event.
    CREATE TABLE ${s}.settings (
      singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      revision            bigint  NOT NULL,
      status              text    NOT NULL CHECK (status IN ('disabled', 'enabled', 'paused')),
      site_admin_group_id uuid
    );
    INSERT INTO ${s}.settings (revision, status) VALUES (-1, 'disabled');

    -- SCIM tokens as the log knows them (never a secret): names them in the activity feed, also
    -- after disabling SCIM removed the tokens themselves.
    CREATE TABLE ${s}.tokens (
      id          text        PRIMARY KEY,
      revision    bigint      NOT NULL,
      description text        NOT NULL,
      expires_at  timestamptz NOT NULL,
      revoked     boolean     NOT NULL DEFAULT false
    );

    -- One row per event, keyed by its log position: the admin activity feed, newest first by a
    -- backward scan of the primary key.
    CREATE TABLE ${s}.activity (
      position_commit  bigint      NOT NULL,
      position_prepare bigint      NOT NULL,
      event_id         text        NOT NULL,
      occurred_at      timestamptz NOT NULL,
      event_type       text        NOT NULL,
      stream_id        text        NOT NULL,
      actor_kind       text,
      actor_id         text,
      request_id       text,
      summary          text        NOT NULL,
      PRIMARY KEY (position_commit, position_prepare)
    );

    -- Every name a user, group or team ever had (userName, externalId, displayName, a team's
    -- name), for the audit search of the settings page: a past name still finds its aggregate.
    CREATE TABLE ${s}.subject_names (
      kind        text        NOT NULL CHECK (kind IN ('user', 'group', 'team')),
      subject_id  text        NOT NULL,
      attribute   text        NOT NULL,
      name        text        NOT NULL,
      first_seen  timestamptz NOT NULL,
      PRIMARY KEY (kind, subject_id, attribute, name)
    );
    CREATE INDEX subject_names_name_idx ON ${s}.subject_names (lower(name) text_pattern_ops);
  `;
}

/** The schema the live platform read model is in; queries name their tables through it. */
export const PLATFORM_READ_SCHEMA = 'platform_read';

export type PlatformTable = 'users' | 'groups' | 'group_members' | 'accounts' | 'teams' | 'team_members' | 'site_admins' | 'settings' | 'tokens' | 'activity' | 'subject_names';

/** A table's qualified name in the schema being written (live or rebuild). */
export type TableIn = (table: PlatformTable) => string;
