import type { ScimReadModelMapping } from '../../shared/scim/filter/sql';

/**
 * Where the SCIM attributes live in the tables of tables.ts, for the filter and sort compiler
 * (shared/scim/filter/sql.ts): the top-level attributes kept in columns of their own (indexed for
 * `eq` and `sw`), `meta` in its columns, a user's other attributes in `attributes` (jsonb), and the
 * memberships behind `groups` and `members`. Keep it in step with tables.ts and rows.ts.
 */
export const SCIM_READ_MODEL: ScimReadModelMapping = {
  User: {
    table: 'users',
    columns: {
      id: { column: 'id', sqlType: 'uuid', nullable: false },
      externalId: { column: 'external_id', sqlType: 'text', nullable: true },
      userName: { column: 'user_name', sqlType: 'text', nullable: false },
      displayName: { column: 'display_name', sqlType: 'text', nullable: true },
      active: { column: 'active', sqlType: 'boolean', nullable: false },
    },
    created: 'created',
    lastModified: 'last_modified',
    revision: 'revision',
    deleted: 'deleted',
    attributes: 'attributes',
    display: 'user_name',
  },
  Group: {
    table: 'groups',
    // Groups keep no client attributes beyond these columns.
    columns: {
      id: { column: 'id', sqlType: 'uuid', nullable: false },
      externalId: { column: 'external_id', sqlType: 'text', nullable: true },
      displayName: { column: 'display_name', sqlType: 'text', nullable: false },
    },
    created: 'created',
    lastModified: 'last_modified',
    revision: 'revision',
    deleted: 'deleted',
    display: 'display_name',
  },
  memberships: { table: 'group_members', group: 'group_id', member: 'user_id' },
};
