import type { z } from 'zod';
import { EVENT_CONTRACTS, envelopeSchema, type EnvelopeMetadata, type EventContracts, type EventDataOf } from './contract';

/** What every parsed message carries, known type or not. */
export interface ParsedEnvelope {
  readonly id: string;
  readonly streamId: string;
  /** Dedupe by (streamId, revision): apply revision n only after n - 1, skip what was already applied. */
  readonly revision: bigint;
  readonly position: string;
  readonly occurredAt: string;
  readonly metadata: EnvelopeMetadata;
}

/** An event this consumer knows, its data upcast to the current version and validated. */
export type KnownEvent<C extends EventContracts = typeof EVENT_CONTRACTS> = {
  [T in keyof C & string]: ParsedEnvelope & {
    readonly known: true;
    readonly type: T;
    /** Always the contract's current version. */
    readonly schemaVersion: number;
    /** The version the event was written with, when it was upcast from an older one. */
    readonly upcastFrom?: number;
    readonly data: EventDataOf<C, T>;
  };
}[keyof C & string];

/**
 * A well-formed event this consumer does not know: a type added after it was built, or a newer
 * version of a known type. Skip it (and move on): never crash on it.
 */
export interface UnknownEvent extends ParsedEnvelope {
  readonly known: false;
  readonly reason: 'unknown-type' | 'newer-version';
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: { readonly [key: string]: unknown };
}

export type ParsedEvent<C extends EventContracts = typeof EVENT_CONTRACTS> = KnownEvent<C> | UnknownEvent;

/** The message is not an event envelope, or its data breaks its type's contract: a poison message. */
export class InvalidEventError extends Error {
  constructor(
    message: string,
    /** The envelope's id when it could be read. */
    readonly eventId: string | undefined,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(issues.length > 0 ? `${message}: ${issues.map(describeIssue).join('; ')}` : message);
    this.name = 'InvalidEventError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * A parser for the given contracts. Versions older than a type's current one are validated against
 * their own schema, upcast one version at a time, and validated again against the current schema.
 */
export function createEnvelopeParser<C extends EventContracts>(contracts: C): (value: Buffer | string) => ParsedEvent<C> {
  return (value) => {
    let json: unknown;
    try {
      json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
    } catch (error) {
      throw new InvalidEventError(`not JSON (${(error as Error).message})`, undefined);
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) {
      const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
      throw new InvalidEventError('not an event envelope', typeof id === 'string' ? id : undefined, parsed.error.issues);
    }
    const envelope = parsed.data;
    const common: ParsedEnvelope = {
      id: envelope.id,
      streamId: envelope.streamId,
      revision: BigInt(envelope.revision),
      position: envelope.position,
      occurredAt: envelope.occurredAt,
      metadata: envelope.metadata,
    };
    const what = `${envelope.type} v${envelope.schemaVersion}`;

    const contract = Object.prototype.hasOwnProperty.call(contracts, envelope.type) ? contracts[envelope.type] : undefined;
    if (!contract || envelope.schemaVersion > contract.version) {
      const unknown: UnknownEvent = {
        ...common,
        known: false,
        reason: contract ? 'newer-version' : 'unknown-type',
        type: envelope.type,
        schemaVersion: envelope.schemaVersion,
        data: envelope.data,
      };
      return unknown;
    }

    let data: unknown = envelope.data;
    let upcastFrom: number | undefined;
    if (envelope.schemaVersion < contract.version) {
      const start = contract.older.findIndex((v) => v.version === envelope.schemaVersion);
      if (start < 0) throw new InvalidEventError(`${what}: no schema for this version (oldest known: v${contract.older[0]?.version ?? contract.version})`, envelope.id);
      upcastFrom = envelope.schemaVersion;
      for (const older of contract.older.slice(start)) {
        const result = older.data.safeParse(data);
        if (!result.success) throw new InvalidEventError(`${envelope.type} v${older.version} data`, envelope.id, result.error.issues);
        data = older.upcast(result.data);
      }
    }
    const result = contract.data.safeParse(data);
    if (!result.success) {
      const upcast = upcastFrom === undefined ? '' : ` (upcast from v${upcastFrom})`;
      throw new InvalidEventError(`${envelope.type} v${contract.version} data${upcast}`, envelope.id, result.error.issues);
    }
    const known = {
      ...common,
      known: true as const,
      type: envelope.type,
      schemaVersion: contract.version,
      ...(upcastFrom === undefined ? {} : { upcastFrom }),
      data: result.data,
    };
    return known as KnownEvent<C>;
  };
}

/**
 * Parses one message value from the events topic: a known event (upcast, validated, typed by
 * `type`), or `known: false` for one to skip. Throws InvalidEventError for a malformed message.
 */
export const parseEnvelope: (value: Buffer | string) => ParsedEvent = createEnvelopeParser(EVENT_CONTRACTS);
