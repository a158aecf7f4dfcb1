import type { Express } from 'express';
import { Histogram } from 'prom-client';
import type { Pool } from 'pg';
import type { Clock } from '../../shared/clock';
import { createCommandDependencies } from '../../shared/commands/handle-command';
import { createStreamWriter, type StreamWriter } from '../../shared/commands/stream-writer';
import type { Config } from '../../shared/config';
import type { EventStore } from '../../shared/eventstore/port';
import type { Logger } from '../../shared/logging/logger';
import { createApp } from './app';
import type { ReadinessCheck } from './http/health';
import { createHttpMetrics } from './http/metrics';
import { ReadYourWrites, type CheckpointStream } from './read/read-your-writes';
import { createScimQueries } from './read/scim-queries';
import { bootstrapTokenVerifier } from './scim/authentication';
import { scimRouter } from './scim/scim-router';
import { createGroupCommands } from './write/group-commands';
import { createUserCommands } from './write/user-commands';


export interface ScimApiParts {
  readonly config: Config;
  readonly pool: Pool;
  readonly eventStore: EventStore;
  readonly log: Logger;
  readonly clock: Clock;
  /** The SCIM read model's checkpoint, for read-your-writes. */
  readonly checkpoints: CheckpointStream;
  readonly readiness?: readonly ReadinessCheck[];
  /** Told every read-your-writes wait, in seconds (benchmarks); the metric records it too. */
  readonly onReadYourWritesWait?: (seconds: number) => void;
  /** Defaults to the writer that fits the event store; tests choose the two-phase one too. */
  readonly writer?: StreamWriter;
}

/** The SCIM API's object graph over infrastructure the caller owns (the process, or a test). */
export function composeScimApi({ config, pool, eventStore, log, clock, checkpoints, readiness = [], writer, onReadYourWritesWait }: ScimApiParts): Express {
  const metrics = createHttpMetrics();
  const rywWait = new Histogram({
    name: 'scim_read_your_writes_wait_seconds',
    help: 'How long reads waited for the read model to reach this instance\'s last write',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics.registry],
  });
  const readYourWrites = new ReadYourWrites(checkpoints, config.READ_YOUR_WRITES_TIMEOUT_MS, (seconds) => {
    rywWait.observe(seconds);
    onReadYourWritesWait?.(seconds);
  });
  const deps = createCommandDependencies(eventStore, writer ?? createStreamWriter(pool, eventStore), (position) => readYourWrites.acknowledge(position));
  const scim = scimRouter({
    userCommands: createUserCommands({ deps, pool }),
    groupCommands: createGroupCommands({ deps, pool, rules: { maxMembers: config.SCIM_MAX_GROUP_MEMBERS } }),
    queries: createScimQueries(pool),
    readYourWrites,
    pool,
    clock,
    tokenVerifiers: [bootstrapTokenVerifier(config.SCIM_BOOTSTRAP_TOKEN)],
    maxBodyBytes: config.SCIM_MAX_BODY_BYTES,
    maxPatchOperations: config.SCIM_MAX_PATCH_OPERATIONS,
    paging: { defaultCount: config.SCIM_DEFAULT_PAGE_SIZE, maxCount: config.SCIM_MAX_PAGE_SIZE },
  });
  return createApp({
    log,
    scim,
    metrics,
    readiness,
    readyTimeoutMs: config.READY_TIMEOUT_MS,
    ...(config.SCIM_BASE_URL ? { scimBaseUrl: config.SCIM_BASE_URL } : {}),
  });
}
