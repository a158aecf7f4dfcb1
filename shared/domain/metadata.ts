/** Who caused a change: never a secret, only an id that the audit trail can resolve. */
export interface Actor {
  readonly kind: 'scim-token' | 'admin' | 'system' | 'import';
  readonly id: string;
}

export interface RequestSource {
  readonly ip?: string;
  readonly userAgent?: string;
}

/** Everything a command brings from the outside world: ids, time, who and where. */
export interface CommandContext {
  readonly commandId: string;
  readonly requestId: string;
  readonly correlationId: string;
  readonly actor: Actor;
  readonly source: RequestSource;
  /** ISO 8601; the decider never reads a clock. */
  readonly now: string;
}

export interface EventMetadata {
  readonly requestId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: Actor;
  readonly source: RequestSource;
  readonly occurredAt: string;
  readonly schemaVersion: number;
}

export interface DomainEvent<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

export function eventMetadata(context: CommandContext, schemaVersion = 1): EventMetadata {
  return {
    requestId: context.requestId,
    correlationId: context.correlationId,
    causationId: context.commandId,
    actor: context.actor,
    source: context.source,
    occurredAt: context.now,
    schemaVersion,
  };
}
