import { z } from 'zod';
import { databaseName } from '../../shared/db/connection-string';
import { DEFAULT_SESSION_TIMEOUT_MS, DEFAULT_TEAM_SYNC_GROUP_ID } from './consumer';
import { DEFAULT_TEAM_SYNC_SCHEMA } from './schema';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** team-sync's own settings, next to the shared ones (shared/config): TEAM_SYNC_*. */
export const teamSyncConfigSchema = z.object({
  /** Unset: named after where team-sync keeps its offsets (teamSyncGroupId). */
  TEAM_SYNC_GROUP_ID: z.preprocess(emptyAsUndefined, z.string().min(1).max(249).optional()),
  TEAM_SYNC_SCHEMA: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a Postgres schema name (lower case letters, digits, _)')
      .default(DEFAULT_TEAM_SYNC_SCHEMA),
  ),
  TEAM_SYNC_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(8081)),
  /**
   * How long a member that died without leaving keeps its partitions (see DEFAULT_SESSION_TIMEOUT_MS);
   * the broker must allow it (group.min.session.timeout.ms, 6 s by default).
   */
  TEAM_SYNC_SESSION_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1_000).max(1_800_000).default(DEFAULT_SESSION_TIMEOUT_MS)),
  /** Another database for team-sync's schema; unset: DATABASE_URL. */
  TEAM_SYNC_DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .url()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), 'expected a postgres:// URL')
      .optional(),
  ),
});

export type TeamSyncConfig = z.infer<typeof teamSyncConfigSchema>;

/**
 * The consumer group: TEAM_SYNC_GROUP_ID, else `team-sync.<database>.<schema>` after the database
 * (TEAM_SYNC_DATABASE_URL, else the service's DATABASE_URL) and schema that hold team-sync's
 * offsets. Members of one group split the topic's partitions, so they must share the offsets
 * store: two deployments on one broker (two checkouts, staging beside production) get two groups,
 * each reading every partition, instead of one group whose members each see half the topic.
 */
export function teamSyncGroupId(config: TeamSyncConfig, serviceDatabaseUrl: string): string {
  if (config.TEAM_SYNC_GROUP_ID) return config.TEAM_SYNC_GROUP_ID;
  const database = databaseName(config.TEAM_SYNC_DATABASE_URL ?? serviceDatabaseUrl);
  return `${DEFAULT_TEAM_SYNC_GROUP_ID}.${database}.${config.TEAM_SYNC_SCHEMA}`.slice(0, 249);
}

export class TeamSyncConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TeamSyncConfigError';
  }
}

export function loadTeamSyncConfig(env: NodeJS.ProcessEnv = process.env): TeamSyncConfig {
  const result = teamSyncConfigSchema.safeParse(env);
  if (result.success) return result.data;
  throw new TeamSyncConfigError(result.error.issues.map((issue) => `${String(issue.path[0] ?? '(environment)')}: ${issue.message}`));
}
