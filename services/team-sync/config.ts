import { z } from 'zod';
import { DEFAULT_TEAM_SYNC_GROUP_ID } from './consumer';
import { DEFAULT_TEAM_SYNC_SCHEMA } from './schema';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** team-sync's own settings, next to the shared ones (shared/config): TEAM_SYNC_*. */
export const teamSyncConfigSchema = z.object({
  TEAM_SYNC_GROUP_ID: z.preprocess(emptyAsUndefined, z.string().min(1).max(249).default(DEFAULT_TEAM_SYNC_GROUP_ID)),
  TEAM_SYNC_SCHEMA: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a Postgres schema name (lower case letters, digits, _)')
      .default(DEFAULT_TEAM_SYNC_SCHEMA),
  ),
  TEAM_SYNC_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(8081)),
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
