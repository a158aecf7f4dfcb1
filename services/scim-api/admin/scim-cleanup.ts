import type { Pool } from 'pg';
import type { CommandContext } from '../../../shared/domain/metadata';
import type { Logger } from '../../../shared/logging/logger';
import type { GroupCommands } from '../commands/groups';
import type { ScimCleanup } from '../commands/settings';
import type { TokenCommands } from '../commands/tokens';
import type { UserCommands } from '../commands/users';

/** At most this many deletions at once: a large directory must not starve the API. */
const CONCURRENCY = 8;

async function eachLimited(ids: readonly string[], work: (id: string) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, ids.length) }, async () => {
      while (next < ids.length) await work(ids[next++]!);
    }),
  );
}

/**
 * What disabling SCIM removes, each as its own event (so the audit trail says who removed what):
 * team links, groups, identities (their accounts kept, not suspended) and tokens. Idempotent:
 * it starts from what the write side still holds, so a run a crash cut short is simply run again.
 */
export function createScimCleanup({
  pool,
  users,
  groups,
  tokens,
  detachGroupFromTeams,
  log,
}: {
  pool: Pool;
  users: UserCommands;
  groups: GroupCommands;
  tokens: TokenCommands;
  detachGroupFromTeams: (groupId: string, context: CommandContext, reason: 'scim-disabled') => Promise<void>;
  log?: Logger;
}): ScimCleanup & { pending(): Promise<boolean> } {
  const owners = async (scope: string) =>
    (await pool.query<{ owner_id: string }>(`SELECT owner_id FROM unique_keys WHERE scope = $1 AND state <> 'pending'`, [scope])).rows.map((r) => r.owner_id);
  const activeTokens = async () => (await pool.query<{ id: string }>(`SELECT id FROM scim_tokens WHERE revoked_at IS NULL`)).rows.map((r) => r.id);

  const cleanup = async (context: CommandContext) => {
    const groupIds = await owners('group.displayName');
    await eachLimited(groupIds, async (groupId) => {
      await detachGroupFromTeams(groupId, context, 'scim-disabled');
      await groups.remove(groupId, context);
    });
    const userIds = await owners('user.userName');
    await eachLimited(userIds, (userId) => users.remove(userId, context, undefined, 'scim-disabled'));
    const tokenIds = await activeTokens();
    await eachLimited(tokenIds, (tokenId) => tokens.revoke(tokenId, context, 'scim-disabled'));
    log?.info({ groups: groupIds.length, users: userIds.length, tokens: tokenIds.length }, 'SCIM data removed');
  };
  return Object.assign(cleanup, {
    async pending() {
      return (await owners('group.displayName')).length > 0 || (await owners('user.userName')).length > 0 || (await activeTokens()).length > 0;
    },
  });
}
