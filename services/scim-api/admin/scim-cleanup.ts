import { Client } from 'pg';
import type { Pool } from 'pg';
import type { CommandContext } from '../../../shared/domain/metadata';
import type { Logger } from '../../../shared/logging/logger';
import type { GroupCommands } from '../commands/groups';
import type { TokenCommands } from '../commands/tokens';
import type { UserCommands } from '../commands/users';

/** At most this many deletions at once: a large directory must not starve the API. */
const CONCURRENCY = 8;
/** Advisory lock (session) of the one instance that runs the removal. */
const CLEANUP_LOCK_CLASS = 0x53434c4e;

async function eachLimited(ids: readonly string[], work: (id: string) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, ids.length) }, async () => {
      while (next < ids.length) await work(ids[next++]!);
    }),
  );
}

/** Where the removal of SCIM data after a disable stands (api-docs/admin/scim-settings DELETE). */
export interface CleanupProgress {
  /** True while groups, identities or tokens remain to be removed. */
  readonly running: boolean;
  /** What there was to remove when the disable began (groups + identities + tokens); null before any disable. */
  readonly total: number | null;
  /** What is left now. */
  readonly remaining: number;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/**
 * What disabling SCIM removes, each as its own event (so the audit trail says who removed what):
 * team links, groups, identities (their accounts kept, not suspended) and tokens. It runs in the
 * background, so the disabling request answers at once; one instance at a time (a session advisory
 * lock); and it starts from what the write side still holds, so a run a crash cut short is simply
 * run again (`resume`, at start and from time to time).
 */
export interface ScimCleanup {
  /** Records that a removal begins (what there is to remove), revokes the tokens, and removes the rest in the background. */
  begin(context: CommandContext): Promise<void>;
  /**
   * While SCIM is disabled: runs a removal that is pending (a crash cut it short, or the disable
   * predates this job) in the background; resolves when started or not needed.
   */
  resume(context: CommandContext): Promise<void>;
  /** Runs the removal to its end in this call (start-up of an old disable, tests). */
  runToEnd(context: CommandContext): Promise<void>;
  pending(): Promise<boolean>;
  progress(): Promise<CleanupProgress>;
  /** Waits for the removal this instance runs, if any. */
  idle(): Promise<void>;
}

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
}): ScimCleanup {
  const owners = async (scope: string) =>
    (await pool.query<{ owner_id: string }>(`SELECT owner_id FROM unique_keys WHERE scope = $1 AND state <> 'pending'`, [scope])).rows.map((r) => r.owner_id);
  const activeTokens = async () => (await pool.query<{ id: string }>(`SELECT id FROM scim_tokens WHERE revoked_at IS NULL`)).rows.map((r) => r.id);
  /** What is left to remove: SCIM groups and identities (their unique names), and live SCIM tokens. */
  const leftover = async (): Promise<{ resources: number; tokens: number }> => {
    const { rows } = await pool.query<{ resources: number; tokens: number }>(
      `SELECT (SELECT count(*) FROM unique_keys WHERE scope IN ('group.displayName', 'user.userName') AND state <> 'pending')::int AS resources,
              (SELECT count(*) FROM scim_tokens WHERE revoked_at IS NULL)::int AS tokens`,
    );
    return rows[0] ?? { resources: 0, tokens: 0 };
  };
  const remaining = async (): Promise<number> => {
    const { resources, tokens } = await leftover();
    return resources + tokens;
  };

  /** Revokes every SCIM token: few, and a disabled service must refuse them at once (api-docs/scim: 401 after disable). */
  async function revokeTokens(context: CommandContext): Promise<number> {
    const tokenIds = await activeTokens();
    await eachLimited(tokenIds, (tokenId) => tokens.revoke(tokenId, context, 'scim-disabled'));
    return tokenIds.length;
  }

  /** Removes everything, in batches a crash can cut anywhere. */
  async function removeAll(context: CommandContext): Promise<void> {
    const revoked = await revokeTokens(context);
    const groupIds = await owners('group.displayName');
    await eachLimited(groupIds, async (groupId) => {
      await detachGroupFromTeams(groupId, context, 'scim-disabled');
      await groups.remove(groupId, context);
    });
    const userIds = await owners('user.userName');
    await eachLimited(userIds, (userId) => users.remove(userId, context, undefined, 'scim-disabled'));
    log?.info({ groups: groupIds.length, users: userIds.length, tokens: revoked }, 'SCIM data removed');
  }

  let running: Promise<void> | undefined;

  /** Runs the removal holding the lock; false when another instance holds it. */
  async function runLocked(context: CommandContext): Promise<boolean> {
    const client = new Client({ ...pool.options, application_name: 'scim-cleanup-lock' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, 0) AS locked', [CLEANUP_LOCK_CLASS]);
      if (!rows[0]?.locked) return false;
      await removeAll(context);
      await pool.query(`UPDATE scim_cleanup SET finished_at = clock_timestamp() WHERE finished_at IS NULL`);
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  function inBackground(context: CommandContext): void {
    if (running) return;
    running = runLocked(context)
      .then((ran) => {
        if (!ran) log?.debug('another instance is removing the SCIM data');
      })
      .catch((err: unknown) => log?.error({ err }, 'removing SCIM data failed; it resumes at the next check'))
      .finally(() => {
        running = undefined;
      });
  }

  /** A removal was begun and has not finished (what remains of it is still being removed). */
  async function pending(): Promise<boolean> {
    const { rowCount } = await pool.query(`SELECT 1 FROM scim_cleanup WHERE finished_at IS NULL`);
    return (rowCount ?? 0) > 0;
  }

  return {
    async begin(context) {
      // Counted once: the count reads every unique name, the request's main cost with 100,000
      // identities (bench/results/rss-and-disable-profile.md). Once the tokens are revoked below,
      // what is left is the resources; one that appears meanwhile is found by resume().
      const { resources, tokens } = await leftover();
      const total = resources + tokens;
      // Before the request answers; groups and identities follow in the background.
      await revokeTokens(context);
      const rest = resources;
      // Nothing left (a repeated disable): the job is done as it begins.
      await pool.query(
        `INSERT INTO scim_cleanup (singleton, started_at, total, finished_at)
         VALUES (true, clock_timestamp(), $1, CASE WHEN $2 THEN clock_timestamp() END)
         ON CONFLICT (singleton) DO UPDATE SET started_at = EXCLUDED.started_at, total = EXCLUDED.total, finished_at = EXCLUDED.finished_at`,
        [total, rest === 0],
      );
      if (rest === 0) return;
      log?.info({ total }, 'removing SCIM data in the background');
      inBackground(context);
    },
    async resume(context) {
      if (running) return;
      if (!(await pending())) {
        const left = await remaining();
        if (left === 0) return;
        // A disable older than this table: what remains is its total.
        await pool.query(
          `INSERT INTO scim_cleanup (singleton, started_at, total, finished_at) VALUES (true, clock_timestamp(), $1, NULL)
           ON CONFLICT (singleton) DO UPDATE SET started_at = EXCLUDED.started_at, total = EXCLUDED.total, finished_at = NULL`,
          [left],
        );
      }
      log?.warn('SCIM is disabled but some of its data remains (a disable was cut short): removing it');
      inBackground(context);
    },
    async runToEnd(context) {
      while (await pending()) {
        inBackground(context);
        await running;
        if (await pending()) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    pending,
    async progress() {
      const [{ rows }, left] = await Promise.all([
        pool.query<{ started_at: Date; total: number; finished_at: Date | null }>(`SELECT started_at, total, finished_at FROM scim_cleanup`),
        remaining(),
      ]);
      const job = rows[0];
      return {
        running: job !== undefined && job.finished_at === null,
        total: job?.total ?? null,
        remaining: left,
        startedAt: job?.started_at.toISOString() ?? null,
        finishedAt: job?.finished_at?.toISOString() ?? null,
      };
    },
    async idle() {
      await running;
    },
  };
}
