-- Up Migration

-- externalId is no longer a uniqueness key for Users or Groups (the platform documents no such
-- rule; RFC 7643 §3.1 sets none; Okta and Microsoft's validator reuse one externalId). Every
-- reservation goes, settled or not, so no externalId stays half-claimed: a pending or releasing
-- row would otherwise wait for a reconciler that no longer knows the scope.
DELETE FROM unique_keys WHERE scope IN ('user.externalId', 'group.externalId');

-- Existing users' primary emails (the new `user.email` scope) are claimed at start-up by folding
-- each user stream through the event-store port (shared/uniqueness/backfill.ts): SQL cannot read
-- EventStoreDB's streams.

-- Down Migration
-- The removed rows are not restored: nothing reads them any more.
