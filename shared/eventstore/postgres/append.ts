import type { Pool, PoolClient } from '../../db/pool';
import { composeStatements, sql, type SqlStatement } from '../../db/sql-statement';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventToAppend,
  type ExpectedRevision,
} from '../port';
import { toPosition } from './rows';

/** Unique keys a write claims and releases in its own statement (see shared/uniqueness). */
export interface AppendKeys {
  readonly ownerStream: string;
  readonly ownerId: string;
  readonly claim: readonly { readonly scope: string; readonly key: string; readonly value: string }[];
  readonly release: readonly { readonly scope: string; readonly key: string }[];
}

export interface AppendCommand {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
  /** NOTIFY channel; the notification is delivered when the appending transaction commits. */
  readonly channel: string;
  readonly keys?: AppendKeys;
  /**
   * Data-modifying statements that commit with the append or not at all, run after it in the same
   * statement (see composeStatements): an inline projection's rows, a token's row. They may read
   * the append's result as `head (next_revision, transaction_id, global_position)`.
   */
  readonly with?: readonly SqlStatement[];
}

/** Unique keys other owners hold, as the claim named them. */
export class KeyHeldError extends Error {
  constructor(readonly keys: readonly { readonly scope: string; readonly key: string; readonly value: string }[]) {
    super(`unique keys held by another owner: ${keys.map((k) => `${k.scope} ${JSON.stringify(k.key)}`).join(', ')}`);
    this.name = 'KeyHeldError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The append as one statement of `event_store_append` (shared/db/migrations, event-store
 * functions): registration as an event writer, key claims and releases, the revision check, the
 * insert and the NOTIFY, followed by `command.with`. In autocommit it is one round trip and one
 * transaction.
 * @throws InvalidAppendError (a TypeError) for an event id that is not a UUID; DuplicateEventIdError for an id given twice.
 */
export function appendStatement(command: AppendCommand): SqlStatement {
  checkEventIds(command.streamId, command.events);
  const { keys } = command;
  const append = sql(
    `SELECT next_revision, transaction_id, global_position FROM event_store_append($1, $2, $3::jsonb, $4, $5, $6, $7::jsonb, $8::jsonb)`,
    [
      command.streamId,
      String(command.expectedRevision),
      JSON.stringify(command.events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata }))),
      command.channel,
      keys?.ownerStream ?? null,
      keys?.ownerId ?? null,
      keys ? JSON.stringify(keys.claim) : null,
      keys ? JSON.stringify(keys.release.map(({ scope, key }) => ({ scope, key }))) : null,
    ],
  );
  return composeStatements(append, command.with ?? []);
}

interface AppendRow {
  readonly next_revision: bigint | string;
  readonly transaction_id: string;
  readonly global_position: bigint | string;
}

/**
 * Runs an append on the pool (its own transaction) or on a client inside the caller's transaction.
 * @throws WrongExpectedRevisionError, DuplicateEventIdError, KeyHeldError; connection errors as pg raises them.
 */
export async function runAppend(db: Pool | PoolClient, command: AppendCommand): Promise<AppendResult> {
  const statement = appendStatement(command);
  try {
    const { rows } = await db.query<AppendRow>(statement.text, [...statement.values]);
    const row = rows[0]!;
    return { nextExpectedRevision: BigInt(row.next_revision), position: toPosition(row) };
  } catch (error) {
    throw translateAppendError(command, error);
  }
}

/**
 * Appends in the caller's open transaction, which must not have written anything yet (the append
 * registers it as an event writer first). A failed append leaves the transaction usable: the
 * registration is taken before a savepoint that fences the rest.
 */
export async function appendInTransaction(client: PoolClient, command: AppendCommand): Promise<AppendResult> {
  await client.query('SELECT event_store_register_writer()');
  await client.query('SAVEPOINT event_store_append');
  try {
    const result = await runAppend(client, command);
    await client.query('RELEASE SAVEPOINT event_store_append');
    return result;
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT event_store_append; RELEASE SAVEPOINT event_store_append').catch(() => undefined);
    throw error;
  }
}

interface PgError {
  readonly code?: string;
  readonly detail?: string;
}

/** The port's errors for the store function's SQLSTATEs (ES409, ES002, UK409); anything else as it is. */
export function translateAppendError(command: Pick<AppendCommand, 'streamId' | 'expectedRevision'>, error: unknown): unknown {
  const { code, detail } = (error ?? {}) as PgError;
  switch (code) {
    case 'ES409':
      return new WrongExpectedRevisionError(command.streamId, command.expectedRevision, detail === 'no_stream' || detail === undefined ? 'no_stream' : BigInt(detail));
    case 'ES002':
      return new DuplicateEventIdError(command.streamId, detail ?? '');
    case 'UK409':
      return new KeyHeldError(JSON.parse(detail ?? '[]') as { scope: string; key: string; value: string }[]);
    default:
      return error;
  }
}

function checkEventIds(streamId: string, events: readonly EventToAppend[]): void {
  const seen = new Set<string>();
  for (const event of events) {
    if (!UUID.test(event.id)) throw new InvalidAppendError(streamId, `event id ${JSON.stringify(event.id)} is not a UUID`);
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new DuplicateEventIdError(streamId, event.id);
    seen.add(id);
  }
}
