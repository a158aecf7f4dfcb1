-- Up Migration

-- A group's linked teams (counted on link, detached on delete, checked for the site-admin group)
-- are found by the group id in the value of their 'team.link' keys.
CREATE INDEX unique_keys_team_link_value_idx ON unique_keys (value) WHERE scope = 'team.link';

-- Down Migration
DROP INDEX unique_keys_team_link_value_idx;
