import type { Express } from 'express';
import type { Pool } from 'pg';
import type { Clock } from '../../shared/clock';
import { createCommandDependencies } from '../../shared/commands/handle-command';
import { createStreamWriter, type StreamWriter } from '../../shared/commands/stream-writer';
import type { Config } from '../../shared/config';
import type { EventStore } from '../../shared/eventstore/port';
import type { Logger } from '../../shared/logging/logger';
import { createApp } from './app';
import type { ReadinessCheck } from './http/health';
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
  readonly readiness?: readonly ReadinessCheck[];
  /** Defaults to the writer that fits the event store; tests choose the two-phase one too. */
  readonly writer?: StreamWriter;
}

/** The SCIM API's object graph over infrastructure the caller owns (the process, or a test). */
export function composeScimApi({ config, pool, eventStore, log, clock, readiness = [], writer }: ScimApiParts): Express {
  const deps = createCommandDependencies(eventStore, writer ?? createStreamWriter(pool, eventStore));
  const scim = scimRouter({
    userCommands: createUserCommands({ deps, pool }),
    groupCommands: createGroupCommands({ deps, pool, rules: { maxMembers: config.SCIM_MAX_GROUP_MEMBERS } }),
    pool,
    clock,
    tokenVerifiers: [bootstrapTokenVerifier(config.SCIM_BOOTSTRAP_TOKEN)],
    maxBodyBytes: config.SCIM_MAX_BODY_BYTES,
    maxPatchOperations: config.SCIM_MAX_PATCH_OPERATIONS,
  });
  return createApp({
    log,
    scim,
    readiness,
    readyTimeoutMs: config.READY_TIMEOUT_MS,
    ...(config.SCIM_BASE_URL ? { scimBaseUrl: config.SCIM_BASE_URL } : {}),
  });
}
