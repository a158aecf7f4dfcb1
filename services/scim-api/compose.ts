import type { Express } from 'express';
import { Histogram } from 'prom-client';
import type { Pool } from 'pg';
import type { Clock } from '../../shared/clock';
import { createCommandDependencies } from '../../shared/commands/handle-command';
import type { StreamChangeFeed } from '../../shared/commands/stream-change-feed';
import { StreamStates } from '../../shared/commands/stream-states';
import { createStreamWriter, type StreamWriter } from '../../shared/commands/stream-writer';
import { scimProjection } from '../../projections/scim/projection';
import type { Config } from '../../shared/config';
import type { CommandContext } from '../../shared/domain/metadata';
import type { EventStore } from '../../shared/eventstore/port';
import type { Logger } from '../../shared/logging/logger';
import { createPool } from '../../shared/db/pool';
import { createRateBudget } from '../../shared/rate-limit/rate-budget';
import { LinkableAccounts } from '../../shared/uniqueness/account-emails';
import { backfillScope } from '../../shared/uniqueness/backfill';
import { findGroupDisplayName } from '../../shared/uniqueness/directory';
import { activityRoutes } from './admin/activity-routes';
import { auditRoutes } from './admin/audit-routes';
import { adminRouter } from './admin/admin-router';
import { authenticationTokensRoutes, platformTeamsRoutes } from './admin/platform-routes';
import { adminRateLimit, perAdministrator, wholeEndpoint } from './admin/rate-limits';
import { cleanupRoutes } from './admin/cleanup-routes';
import { createScimCleanup } from './admin/scim-cleanup';
import { settingsRoutes } from './admin/settings-routes';
import { teamsRoutes } from './admin/teams-routes';
import { scimGroupsRoutes } from './admin/scim-groups-routes';
import { tokensRoutes } from './admin/tokens-routes';
import { adminUiRoutes } from './admin-ui/admin-ui-routes';
import { createApp } from './app';
import { createGroupCommands } from './commands/groups';
import { keysOfStream } from './commands/keys-of-stream';
import { createSettingsCommands, scimStatusRow } from './commands/settings';
import { createTeamCommands } from './commands/teams';
import { createTokenCommands } from './commands/tokens';
import { createUserCommands } from './commands/users';
import type { ReadinessCheck } from './http/health';
import { createHttpMetrics, type HttpMetrics } from './http/metrics';
import { ReadYourWrites, type CheckpointStream } from './read/read-your-writes';
import { createScimQueries } from './read/scim-queries';
import { createTeamQueries } from './read/team-queries';
import { createTokenQueries } from './read/token-queries';
import { scimRouter } from './scim/scim-router';
import { adminTokenVerifier, scimTokenVerifier, seedAdminToken } from './tokens/verifiers';

export interface ScimApiParts {
  readonly config: Config;
  readonly pool: Pool;
  readonly eventStore: EventStore;
  readonly log: Logger;
  readonly clock: Clock;
  /** The read models' checkpoints, for read-your-writes. */
  readonly checkpoints: { readonly scim: CheckpointStream; readonly platform: CheckpointStream };
  /** What the process hears of appends anywhere: its stream states and its token cache follow it. */
  readonly changes?: StreamChangeFeed;
  readonly readiness?: readonly ReadinessCheck[];
  /** Told every read-your-writes wait, in seconds (benchmarks); the metric records it too. */
  readonly onReadYourWritesWait?: (seconds: number) => void;
  /** The registry /metrics shows; the process adds its other components' metrics to it. */
  readonly metrics?: HttpMetrics;
  /** Defaults to the writer that fits the event store; tests choose the two-phase one too. */
  readonly writer?: StreamWriter;
}

export interface ScimApi {
  readonly app: Express;
  /**
   * Seeds the bootstrap tokens, creates the owners team, enables SCIM on a fresh install when
   * SCIM_BOOTSTRAP_TOKEN is set, finishes a disable that a crash cut short, and claims the
   * primary-email keys of users written before emails were unique (settled by the key reconciler).
   */
  initialise(): Promise<void>;
  /** Closes what the API opened itself (the read pool); the caller's pool and store stay open. */
  close(): Promise<void>;
}

/** How often an instance looks for a disable's removal that nobody runs (ms). */
const CLEANUP_CHECK_INTERVAL_MS = 30_000;

const systemContext = (clock: Clock, what: string): CommandContext => {
  const id = `${what}-${clock.now().getTime()}`;
  return { commandId: id, requestId: id, correlationId: id, actor: { kind: 'system', id: what }, source: {}, now: clock.now().toISOString() };
};

/** The SCIM API's object graph over infrastructure the caller owns (the process, or a test). */
export function composeScimApi(parts: ScimApiParts): ScimApi {
  const { config, pool, eventStore, log, clock, checkpoints, readiness = [], writer, onReadYourWritesWait } = parts;
  const metrics = parts.metrics ?? createHttpMetrics();
  const rywWait = new Histogram({
    name: 'scim_read_your_writes_wait_seconds',
    help: "How long reads waited for the read model to reach this instance's last write",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics.registry],
  });
  const observeWait = (seconds: number) => {
    rywWait.observe(seconds);
    onReadYourWritesWait?.(seconds);
  };
  const streamWriter = writer ?? createStreamWriter(pool, eventStore, [scimProjection]);
  // SCIM reads answer from the scim read model, kept inline where the writer allows it; admin reads
  // from the platform read model, which the runner keeps in log order.
  const readYourWrites = new ReadYourWrites(checkpoints.scim, config.READ_YOUR_WRITES_TIMEOUT_MS, observeWait, streamWriter.projectsInline);
  const platformReads = new ReadYourWrites(checkpoints.platform, config.READ_YOUR_WRITES_TIMEOUT_MS, observeWait);
  const deps = createCommandDependencies(
    eventStore,
    streamWriter,
    (position, projectedInline) => {
      readYourWrites.acknowledge(position, projectedInline);
      platformReads.acknowledge(position);
    },
    parts.changes?.states ?? new StreamStates({ store: eventStore, pool }),
  );
  const secret = config.TOKEN_HMAC_SECRET;

  const teams = createTeamCommands({ deps, pool, rules: { maxGroupMembers: config.SCIM_MAX_GROUP_MEMBERS, maxTeamsPerGroup: config.SCIM_MAX_TEAMS_PER_GROUP } });
  const tokens = createTokenCommands({ deps, secret });
  const tokenQueries = createTokenQueries({ pool, secret, clock });
  const linkable = new LinkableAccounts(pool, parts.changes);
  const users = createUserCommands({ deps, pool, linkableAccount: (email) => linkable.find(email) });
  // Settings need the cleanup, the cleanup needs the group commands, and those clear the
  // site-admin setting when its group goes: the late binding below closes that loop.
  const late: { settings?: ReturnType<typeof createSettingsCommands> } = {};
  const groups = createGroupCommands({
    deps,
    pool,
    rules: { maxMembers: config.SCIM_MAX_GROUP_MEMBERS },
    async onDeleted(groupId, context) {
      await teams.detachGroupFromTeams(groupId, context, 'group-deleted');
      const settings = await late.settings!.state();
      // scim-behaviour.md: deleting the site-admin group clears the setting; existing grants stay.
      if (settings.siteAdminGroupId === groupId) await late.settings!.setSiteAdminGroup(null, context);
    },
  });
  const cleanup = createScimCleanup({
    pool,
    users,
    groups,
    tokens,
    detachGroupFromTeams: (groupId, context, reason) => teams.detachGroupFromTeams(groupId, context, reason),
    log: log.child({ component: 'scim-cleanup' }),
  });
  const settings = createSettingsCommands({ deps, pool, cleanup, log: log.child({ component: 'settings' }) });
  late.settings = settings;

  // SCIM reads run on a pool of their own whose statements Postgres cancels past the timeout: a
  // costly filter can neither hold the database nor take the connections writes need. Without JIT:
  // compiling a filter's many small expressions costs more than running them.
  const readPool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE, {
    statementTimeoutMs: config.SCIM_READ_STATEMENT_TIMEOUT_MS,
    jit: false,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  });
  const queries = createScimQueries(readPool, {
    filterLimits: { maxLength: config.SCIM_FILTER_MAX_LENGTH, maxDepth: config.SCIM_FILTER_MAX_DEPTH, maxClauses: config.SCIM_FILTER_MAX_CLAUSES },
    statementTimeoutMs: config.SCIM_READ_STATEMENT_TIMEOUT_MS,
  });
  // Every rate budget is shared by all instances through Postgres; while it cannot be reached, each counts alone.
  const budgetLog = log.child({ component: 'rate-limit' });
  const onStoreError = (err: unknown) => budgetLog.warn({ err }, 'rate budget store unavailable; counting in this process');
  const teamQueries = createTeamQueries(pool);
  const scim = scimRouter({
    userCommands: users,
    groupCommands: groups,
    queries,
    readYourWrites,
    pool,
    clock,
    tokenVerifiers: [scimTokenVerifier({ pool, secret, clock, log: log.child({ component: 'scim-auth' }) })],
    maxBodyBytes: config.SCIM_MAX_BODY_BYTES,
    maxPatchOperations: config.SCIM_MAX_PATCH_OPERATIONS,
    paging: { defaultCount: config.SCIM_DEFAULT_PAGE_SIZE, maxCount: config.SCIM_MAX_PAGE_SIZE },
    status: async () => (await settings.state()).status,
    rateLimits: {
      requests: createRateBudget(pool, { name: 'scim-requests', points: config.SCIM_RATE_LIMIT_PER_SECOND, durationSeconds: 1, refuseSpentKeysInMemory: true, onStoreError }),
      authFailures: createRateBudget(pool, { name: 'scim-auth-failures', points: config.SCIM_AUTH_FAILURES_PER_MINUTE, durationSeconds: 60, refuseSpentKeysInMemory: true, onStoreError }),
    },
  });
  // api-docs/admin/scim-settings and team-scim-group-mapping: one budget per limit, shared by every instance.
  const settingsLimit = adminRateLimit(
    createRateBudget(pool, { name: 'admin-scim-settings', points: config.ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND, durationSeconds: 1, onStoreError }),
    wholeEndpoint,
    'scim-settings',
  );
  const linkLimit = adminRateLimit(
    createRateBudget(pool, { name: 'admin-team-links', points: config.ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE, durationSeconds: 60, onStoreError }),
    perAdministrator,
    'team SCIM group mapping changes per administrator',
  );
  const admin = adminRouter({
    adminTokenVerifiers: [adminTokenVerifier({ pool, secret })],
    maxBodyBytes: config.SCIM_MAX_BODY_BYTES,
    advertisedRateLimit: config.ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND,
    routes: {
      '/admin/scim-settings': [settingsLimit, settingsRoutes({ commands: settings, clock, groupName: (id) => findGroupDisplayName(pool, id) })],
      '/admin/scim-cleanup': cleanupRoutes({ progress: () => cleanup.progress() }),
      '/admin/scim-tokens': tokensRoutes({ commands: tokens, queries: tokenQueries, clock }),
      '/admin/scim-groups': scimGroupsRoutes({ queries: teamQueries, readYourWrites: platformReads }),
      '/admin/teams': teamsRoutes({ commands: teams, queries: teamQueries, readYourWrites: platformReads, clock, linkRateLimit: linkLimit }),
      '/admin/scim-activity': activityRoutes({ pool, readYourWrites: platformReads }),
      '/admin/audit': auditRoutes({ store: eventStore, pool, readYourWrites: platformReads }),
      '/authentication-tokens': authenticationTokensRoutes({ commands: tokens, queries: tokenQueries, clock }),
      '/teams': platformTeamsRoutes({ queries: teamQueries, readYourWrites: platformReads }),
    },
  });
  const app = createApp({
    log,
    scim,
    admin,
    adminUi: adminUiRoutes(),
    metrics,
    readiness,
    readyTimeoutMs: config.READY_TIMEOUT_MS,
    trustProxy: config.TRUST_PROXY,
    ...(config.SCIM_BASE_URL ? { scimBaseUrl: config.SCIM_BASE_URL } : {}),
  });

  async function syncScimStatus(): Promise<void> {
    const { status } = await settings.state();
    const row = scimStatusRow(status);
    await pool.query(row.text, [...row.values]);
  }

  async function initialise(): Promise<void> {
    const context = systemContext(clock, 'start-up');
    if (config.ADMIN_BOOTSTRAP_TOKEN) await seedAdminToken(pool, secret, config.ADMIN_BOOTSTRAP_TOKEN);
    await teams.ensureOwnersTeam(context);
    // scim_status follows the settings stream; a store it was not written with (an upgrade, a
    // crash between an EventStoreDB append and its settle) is put right from the stream.
    await syncScimStatus();
    const state = await settings.state();
    if (config.SCIM_BOOTSTRAP_TOKEN) {
      if (!(await tokenQueries.exists(config.SCIM_BOOTSTRAP_TOKEN))) {
        await tokens.create({ description: 'SCIM_BOOTSTRAP_TOKEN' }, context, config.SCIM_BOOTSTRAP_TOKEN);
        log.info('SCIM_BOOTSTRAP_TOKEN seeded as a SCIM token (expires in 365 days)');
      }
      if (!state.initialised) await settings.enable(context);
    }
    if (state.status === 'disabled' && state.initialised) await cleanup.resume(context);
    await backfillScope({ pool, store: eventStore, keysOf: keysOfStream, log: log.child({ component: 'key-backfill' }) }, 'user.email', 'user.userName');
  }

  // A removal an instance began and did not finish (it crashed) is taken over by another one.
  const cleanupCheck = setInterval(() => {
    void (async () => {
      const state = await settings.state();
      if (state.status === 'disabled' && state.initialised) await cleanup.resume(systemContext(clock, 'scim-cleanup'));
    })().catch((err: unknown) => log.warn({ err }, 'could not check for SCIM data left by a disable'));
  }, CLEANUP_CHECK_INTERVAL_MS);
  cleanupCheck.unref();

  return {
    app,
    initialise,
    async close() {
      clearInterval(cleanupCheck);
      await cleanup.idle();
      await readPool.end();
    },
  };
}
