import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { escapeIdentifier } from 'pg';
import { platformProjection } from '../../projections/platform/projection';
import { inProjectionTransaction, readCheckpoint } from '../../projections/runtime/checkpoints';
import { liveSchema, type Projection } from '../../projections/runtime/projection';
import { applyEvents, assertProjectionName, withRebuildLock } from '../../projections/runtime/rebuild';
import { scimProjection } from '../../projections/scim/projection';
import type { Pool } from '../../shared/db/pool';
import { accountKeys } from '../../shared/domain/accounts/account';
import type { GroupState } from '../../shared/domain/groups/state';
import { teamKeys, type TeamState } from '../../shared/domain/teams/team';
import type { UserAttributes } from '../../shared/domain/users/attributes';
import type { UserState } from '../../shared/domain/users/state';
import type { EventStore } from '../../shared/eventstore/port';
import { formatPosition, isAfter, type Position } from '../../shared/eventstore/position';
import type { UniqueKey } from '../../shared/uniqueness/keys';
import { groupKeys } from '../scim-api/commands/groups';
import { userKeys } from '../scim-api/commands/users';
import type { Progress } from './progress';

/** What `verify` can check: a read model by its projection's name, or the uniqueness claims. */
export type VerifyTarget = 'scim' | 'platform' | 'claims';
export const VERIFY_TARGETS: readonly VerifyTarget[] = ['scim', 'platform', 'claims'];

export interface RowDifference {
  readonly table: string;
  /** The row's primary key. */
  readonly key: Readonly<Record<string, unknown>>;
  /** The live row, or null when the live read model lacks it. */
  readonly live: Readonly<Record<string, unknown>> | null;
  /** The row rebuilt from the log, or null when the log has no such row. */
  readonly expected: Readonly<Record<string, unknown>> | null;
}

export interface ProjectionReport {
  readonly name: string;
  /** Where the rebuilt copy stands: the last position it applied. */
  readonly position: string | null;
  readonly events: number;
  /** Rows of the rebuilt copy, per table. */
  readonly rows: Readonly<Record<string, number>>;
  readonly differences: readonly RowDifference[];
  /** Every difference, also past the ones listed. */
  readonly differenceCount: number;
  /** Set when the live read model did not reach the log's end within the wait. */
  readonly behind?: string;
}

export interface Claim {
  readonly value: string;
  readonly ownerStream: string;
  readonly ownerId: string;
  readonly state?: string;
}

export interface ClaimDifference {
  readonly scope: string;
  readonly key: string;
  /** The claim in unique_keys, or null when it is missing. */
  readonly live: Claim | null;
  /** The claim the resources in the log hold, or null when none holds it. */
  readonly expected: Claim | null;
}

export interface ClaimsReport {
  /** Claims the resources hold (expected), all scopes but the token HMACs (not in the log by design). */
  readonly checked: number;
  readonly differences: readonly ClaimDifference[];
  /** Claims still pending or releasing (EventStoreDB's two-phase writes; the reconciler settles them). */
  readonly unsettled: readonly (Claim & { readonly scope: string; readonly key: string })[];
}

export interface VerifyReport {
  readonly projections: readonly ProjectionReport[];
  readonly claims?: ClaimsReport;
  /** Rounds compared: differences are reported only when they stayed through every round. */
  readonly rounds: number;
  readonly ok: boolean;
}

export interface VerifyOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly targets: readonly VerifyTarget[];
  readonly signal?: AbortSignal;
  /** How long to wait for a live read model to reach the log's end before comparing (ms). */
  readonly waitMs?: number;
  /** Most comparisons: a difference met in the first is compared again after catching up, up to this many times. */
  readonly rounds?: number;
  /** Differences listed per projection (all are counted). */
  readonly maxListed?: number;
  /** A progress bar for the rebuild into scratch tables: title, from, to. */
  readonly progress?: (title: string, from: Position | null, to: Position | null) => Progress;
  /** Told what is happening, for a terminal. */
  readonly onStep?: (text: string) => void;
}

/** Scratch copies are named `<projection>_verify_<16 hex>`; leftovers of a killed run are dropped by the next. */
const SCRATCH = (name: string) => `${name}_verify_${randomBytes(8).toString('hex')}`;
const PAGE_SIZE = 1000;
const KEY_PAGE = 5000;
/** The token HMAC scope holds secrets' digests, which no event carries: it cannot be checked from the log. */
const UNCHECKED_SCOPES = ['scim-token.hmac'];

/** A projection rebuilt from the log into a scratch schema, kept up to date round by round. */
class ScratchCopy {
  position: Position | null = null;
  events = 0;

  private constructor(
    readonly projection: Projection,
    readonly schema: string,
  ) {}

  static async create(pool: Pool, projection: Projection): Promise<ScratchCopy> {
    assertProjectionName(projection.name);
    const copy = new ScratchCopy(projection, SCRATCH(projection.name));
    await inProjectionTransaction(pool, async (client) => {
      await client.query(`CREATE SCHEMA ${escapeIdentifier(copy.schema)}`);
      await client.query(projection.createTables(copy.schema));
    });
    return copy;
  }

  /** Applies the log from where the copy stands to its end. */
  async catchUp(pool: Pool, store: EventStore, signal: AbortSignal | undefined, progress: Progress): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const page = await store.readAll({ ...(this.position ? { after: this.position } : {}), maxCount: PAGE_SIZE });
      if (page.length === 0) return;
      await inProjectionTransaction(pool, (client) => applyEvents(client, this.projection, page, this.schema));
      this.position = page[page.length - 1]!.position;
      this.events += page.length;
      progress.update(this.events, this.position);
    }
  }

  drop(pool: Pool): Promise<unknown> {
    return pool.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(this.schema)} CASCADE`).catch(() => undefined);
  }
}

const PROJECTIONS: Record<'scim' | 'platform', Projection> = { scim: scimProjection, platform: platformProjection };

/**
 * Rebuilds every read model asked for from the log into scratch schemas and compares them with
 * the live ones row by row, table by table; with `claims`, also compares the uniqueness claims
 * (unique_keys) with the keys the resources rebuilt from the log hold, by the write side's own
 * rule (userKeys, groupKeys, teamKeys, accountKeys).
 *
 * The live read models keep moving while this runs: each comparison waits (up to `waitMs`) until
 * the live checkpoint has reached the end of the log the copy was built to, and a difference is
 * reported only when it is still there after the copy caught up again, for up to `rounds`
 * comparisons. One verify runs at a time (an advisory lock); the scratch schemas are dropped at the
 * end, also when it fails or is interrupted.
 */
export async function verifyReadModels(options: VerifyOptions): Promise<VerifyReport> {
  return withRebuildLock(options.pool, 'verify', options.signal, () => verifyLocked(options));
}

async function verifyLocked(options: VerifyOptions): Promise<VerifyReport> {
  const { pool, store, targets, signal } = options;
  const rounds = Math.max(1, options.rounds ?? 3);
  const maxListed = options.maxListed ?? 100;
  const step = options.onStep ?? (() => undefined);
  await dropLeftovers(pool);

  const compared = (['scim', 'platform'] as const).filter((name) => targets.includes(name));
  const built = targets.includes('claims') ? (['scim', 'platform'] as const) : compared;
  const copies = new Map<'scim' | 'platform', ScratchCopy>();
  const claimsSchema = targets.includes('claims') ? SCRATCH('claims') : undefined;
  try {
    for (const name of built) copies.set(name, await ScratchCopy.create(pool, PROJECTIONS[name]));
    if (claimsSchema) await pool.query(`CREATE SCHEMA ${escapeIdentifier(claimsSchema)}`);
    let rowFindings = new Map<string, Map<string, RowDifference>>();
    const counts = new Map<string, number>();
    let claimFindings: Map<string, ClaimDifference> | undefined;
    let behind = new Map<string, string>();
    let round = 0;
    for (round = 1; round <= rounds; round++) {
      const head = await store.headPosition();
      for (const [name, copy] of copies) {
        step(round === 1 ? `rebuilding ${name} from the log into ${copy.schema}` : `catching up ${name} (round ${round})`);
        const bar = options.progress?.(`${name} ${round === 1 ? 'rebuild' : 'catch-up'}`, copy.position, head) ?? { update: () => undefined, stop: () => undefined };
        try {
          await copy.catchUp(pool, store, signal, bar);
        } finally {
          bar.stop();
        }
      }
      behind = new Map();
      const thisRound = new Map<string, Map<string, RowDifference>>();
      for (const name of compared) {
        const copy = copies.get(name)!;
        const late = await waitForLive(pool, name, copy.position, options.waitMs ?? 30_000, signal);
        if (late) behind.set(name, late);
        step(`comparing ${liveSchema(copy.projection)} with ${copy.schema}`);
        const { differences, total } = await compareTables(pool, liveSchema(copy.projection), copy.schema);
        counts.set(name, total);
        thisRound.set(name, differences);
      }
      let claims: Map<string, ClaimDifference> | undefined;
      if (targets.includes('claims')) {
        step('comparing the uniqueness claims (unique_keys) with the keys the resources hold');
        claims = await compareClaims(pool, claimsSchema!, copies.get('scim')!.schema, copies.get('platform')!.schema);
      }
      // Only what stayed different through every round is drift; the rest was a write in flight.
      const before = rowFindings;
      rowFindings = round === 1 ? thisRound : new Map([...thisRound].map(([name, found]) => [name, intersect(before.get(name), found)]));
      claimFindings = claims && (round === 1 || !claimFindings ? claims : intersect(claimFindings, claims));
      const remaining = [...rowFindings.values()].reduce((n, m) => n + m.size, 0) + (claimFindings?.size ?? 0);
      const unchanged = round > 1 && sameKeys(before, rowFindings);
      if (remaining === 0 || unchanged) break;
    }
    round = Math.min(round, rounds);

    const reports: ProjectionReport[] = [];
    for (const name of compared) {
      const copy = copies.get(name)!;
      const found = [...(rowFindings.get(name)?.values() ?? [])];
      reports.push({
        name,
        position: copy.position && formatPosition(copy.position),
        events: copy.events,
        rows: await rowCounts(pool, copy.schema),
        differences: found.slice(0, maxListed),
        // Past LISTED_PER_TABLE per table only the last comparison's count is known.
        differenceCount: found.length < LISTED_PER_TABLE ? found.length : Math.max(found.length, counts.get(name) ?? 0),
        ...(behind.has(name) ? { behind: behind.get(name)! } : {}),
      });
    }
    const claims: ClaimsReport | undefined = targets.includes('claims')
      ? {
          checked: await countExpected(pool, claimsSchema!),
          differences: [...(claimFindings?.values() ?? [])],
          unsettled: await unsettledClaims(pool),
        }
      : undefined;
    const ok = reports.every((r) => r.differences.length === 0 && !r.behind) && (claims?.differences.length ?? 0) === 0;
    return { projections: reports, ...(claims ? { claims } : {}), rounds: round, ok };
  } finally {
    for (const copy of copies.values()) await copy.drop(pool);
    if (claimsSchema) await pool.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(claimsSchema)} CASCADE`).catch(() => undefined);
  }
}

function intersect<T>(previous: Map<string, T> | undefined, current: Map<string, T>): Map<string, T> {
  return new Map([...current].filter(([key]) => previous?.has(key) ?? false));
}

function sameKeys(a: Map<string, Map<string, RowDifference>>, b: Map<string, Map<string, RowDifference>>): boolean {
  for (const [name, found] of b) {
    const other = a.get(name);
    if (!other || other.size !== found.size || [...found.keys()].some((k) => !other.has(k))) return false;
  }
  return true;
}

async function dropLeftovers(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^(scim|platform|claims)_verify_[0-9a-f]{16}$'`);
  for (const { nspname } of rows) await pool.query(`DROP SCHEMA ${escapeIdentifier(nspname)} CASCADE`);
}

/** Waits until the live checkpoint is at or past `position`; a description of the lag when it is not within `waitMs`. */
async function waitForLive(pool: Pool, name: string, position: Position | null, waitMs: number, signal?: AbortSignal): Promise<string | undefined> {
  if (position === null) return undefined;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = await readCheckpoint(pool, name);
    if (live !== null && !isAfter(position, live)) return undefined;
    if (Date.now() >= deadline) {
      return `the live read model's checkpoint (${live ? formatPosition(live) : 'none'}) did not reach the end of the log (${formatPosition(position)}) within ${waitMs} ms: is its projection running?`;
    }
    await delay(100, undefined, signal ? { signal } : {});
  }
}

async function tablesOf(pool: Pool, schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [schema]);
  return rows.map((r) => r.tablename);
}

async function primaryKey(pool: Pool, schema: string, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ attname: string }>(
    `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = ($1 || '.' || $2)::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [escapeIdentifier(schema), escapeIdentifier(table)],
  );
  return rows.map((r) => r.attname);
}

const LISTED_PER_TABLE = 1000;

/**
 * Row-by-row comparison of every table of `expected` with the same table of `live` (a full outer
 * join on the primary key, whole rows compared as jsonb). Returns the differences (at most
 * LISTED_PER_TABLE per table) keyed by table and primary key, and how many there are in all.
 */
async function compareTables(pool: Pool, live: string, expected: string): Promise<{ differences: Map<string, RowDifference>; total: number }> {
  const differences = new Map<string, RowDifference>();
  let total = 0;
  const liveTables = new Set(await tablesOf(pool, live));
  for (const table of await tablesOf(pool, expected)) {
    if (!liveTables.has(table)) {
      differences.set(`${table}:`, { table, key: {}, live: null, expected: { table: `the live read model has no table ${table}` } });
      total++;
      continue;
    }
    const pk = await primaryKey(pool, expected, table);
    const l = `${escapeIdentifier(live)}.${escapeIdentifier(table)}`;
    const s = `${escapeIdentifier(expected)}.${escapeIdentifier(table)}`;
    const key = `jsonb_build_object(${pk.map((c) => `'${c}', coalesce(l.${escapeIdentifier(c)}, s.${escapeIdentifier(c)})`).join(', ')})`;
    const on = pk.map((c) => `l.${escapeIdentifier(c)} = s.${escapeIdentifier(c)}`).join(' AND ');
    const { rows } = await pool.query<{ key: Record<string, unknown>; live: Record<string, unknown> | null; expected: Record<string, unknown> | null; total: string }>(
      `SELECT ${key} AS key, to_jsonb(l) AS live, to_jsonb(s) AS expected, count(*) OVER () AS total
         FROM ${l} l FULL JOIN ${s} s ON ${on}
        WHERE to_jsonb(l) IS DISTINCT FROM to_jsonb(s)
        ORDER BY 1 LIMIT $1`,
      [LISTED_PER_TABLE],
    );
    total += Number(rows[0]?.total ?? 0);
    for (const row of rows) differences.set(`${table}:${JSON.stringify(row.key)}`, { table, key: row.key, live: row.live, expected: row.expected });
  }
  return { differences, total };
}

async function rowCounts(pool: Pool, schema: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await tablesOf(pool, schema)) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${escapeIdentifier(schema)}.${escapeIdentifier(table)}`);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

interface ExpectedKey extends UniqueKey {
  readonly ownerStream: string;
  readonly ownerId: string;
}

/**
 * Fills `<scim copy>.expected_keys` with the keys every resource rebuilt from the log holds, by the
 * write side's own functions over states read back from the copies' rows (as the SCIM projection
 * reads its rows back), page by page.
 */
async function fillExpectedKeys(pool: Pool, into: string, scim: string, platform: string): Promise<void> {
  const table = `${escapeIdentifier(into)}.expected_keys`;
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`CREATE TABLE ${table} (scope text NOT NULL, key text NOT NULL, value text NOT NULL, owner_stream text NOT NULL, owner_id text NOT NULL, PRIMARY KEY (scope, key, owner_stream))`);
  const insert = async (keys: readonly ExpectedKey[]) => {
    if (keys.length === 0) return;
    await pool.query(
      `INSERT INTO ${table} SELECT scope, key, value, owner_stream, owner_id
         FROM jsonb_to_recordset($1::jsonb) AS r(scope text, key text, value text, owner_stream text, owner_id text) ON CONFLICT DO NOTHING`,
      [JSON.stringify(keys.map((k) => ({ scope: k.scope, key: k.key, value: k.value, owner_stream: k.ownerStream, owner_id: k.ownerId })))],
    );
  };
  const owned = (stream: string, id: string, keys: readonly UniqueKey[]): ExpectedKey[] => keys.map((k) => ({ ...k, ownerStream: stream, ownerId: id }));

  await paged<{ id: string; attributes: UserAttributes; active: boolean; deleted: boolean; account_id: string; created: Date; last_modified: Date }>(
    pool,
    `SELECT id::text AS id, attributes, active, deleted, account_id::text AS account_id, created, last_modified FROM ${escapeIdentifier(scim)}.users`,
    async (rows) => {
      await insert(
        rows.flatMap((r) => {
          const state: UserState = {
            status: r.deleted ? 'Deleted' : r.active ? 'Active' : 'Deactivated',
            userId: r.id,
            attributes: r.attributes,
            accountId: r.account_id,
            created: r.created.toISOString(),
            lastModified: r.last_modified.toISOString(),
          };
          return owned(`user-${r.id}`, r.id, userKeys(state));
        }),
      );
    },
  );
  await paged<{ id: string; display_name: string; deleted: boolean }>(
    pool,
    `SELECT id::text AS id, display_name, deleted FROM ${escapeIdentifier(scim)}.groups`,
    async (rows) => {
      await insert(
        rows.flatMap((r) => {
          const state = { status: r.deleted ? 'Deleted' : 'Active', groupId: r.id, displayName: r.display_name, memberIds: [], created: '', lastModified: '' } as GroupState;
          return owned(`group-${r.id}`, r.id, groupKeys(state));
        }),
      );
    },
  );
  await paged<{ id: string; name: string; is_owners: boolean; scim_group_id: string | null; link_paused: boolean }>(
    pool,
    `SELECT id, name, is_owners, scim_group_id::text AS scim_group_id, link_paused FROM ${escapeIdentifier(platform)}.teams`,
    async (rows) => {
      await insert(
        rows.flatMap((r) => {
          const team = { teamId: r.id, name: r.name, isOwners: r.is_owners, serviceAccounts: [] };
          const state: TeamState = r.scim_group_id === null ? { status: 'Unlinked', ...team } : { status: r.link_paused ? 'LinkPaused' : 'Linked', groupId: r.scim_group_id, ...team };
          return owned(r.id, r.id, teamKeys(state));
        }),
      );
    },
  );
  await paged<{ id: string; email: string; username: string }>(
    pool,
    `SELECT id::text AS id, email, username FROM ${escapeIdentifier(platform)}.accounts WHERE source = 'imported'`,
    async (rows) => {
      await insert(rows.flatMap((r) => owned(`account-${r.id}`, r.id, accountKeys({ status: 'Registered', accountId: r.id, email: r.email, username: r.username }))));
    },
  );
}

/** Runs `select` (whose first column is `id`) page by page in id order. */
async function paged<Row extends { id: string }>(pool: Pool, select: string, each: (rows: Row[]) => Promise<void>): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: Row[] } = await pool.query<Row>(`SELECT * FROM (${select}) page WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`, [after, KEY_PAGE]);
    if (rows.length === 0) return;
    await each(rows);
    after = rows[rows.length - 1]!.id;
  }
}

async function compareClaims(pool: Pool, into: string, scim: string, platform: string): Promise<Map<string, ClaimDifference>> {
  await fillExpectedKeys(pool, into, scim, platform);
  const { rows } = await pool.query<{
    scope: string;
    key: string;
    e_value: string | null;
    e_stream: string | null;
    e_id: string | null;
    k_value: string | null;
    k_stream: string | null;
    k_id: string | null;
    k_state: string | null;
  }>(
    `SELECT coalesce(e.scope, k.scope) AS scope, coalesce(e.key, k.key) AS key,
            e.value AS e_value, e.owner_stream AS e_stream, e.owner_id AS e_id,
            k.value AS k_value, k.owner_stream AS k_stream, k.owner_id AS k_id, k.state AS k_state
       FROM ${escapeIdentifier(into)}.expected_keys e
       FULL JOIN (SELECT * FROM unique_keys WHERE NOT (scope = ANY($1::text[]))) k ON k.scope = e.scope AND k.key = e.key
      WHERE e.scope IS NULL OR k.scope IS NULL OR e.value <> k.value OR e.owner_stream <> k.owner_stream OR e.owner_id <> k.owner_id
      ORDER BY 1, 2, e.owner_stream`,
    [UNCHECKED_SCOPES],
  );
  const found = new Map<string, ClaimDifference>();
  for (const r of rows) {
    found.set(`${r.scope}:${r.key}:${r.e_stream ?? ''}`, {
      scope: r.scope,
      key: r.key,
      live: r.k_stream === null ? null : { value: r.k_value!, ownerStream: r.k_stream, ownerId: r.k_id!, state: r.k_state! },
      expected: r.e_stream === null ? null : { value: r.e_value!, ownerStream: r.e_stream, ownerId: r.e_id! },
    });
  }
  return found;
}

async function countExpected(pool: Pool, into: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${escapeIdentifier(into)}.expected_keys`);
  return Number(rows[0]!.n);
}

async function unsettledClaims(pool: Pool): Promise<(Claim & { scope: string; key: string })[]> {
  const { rows } = await pool.query<{ scope: string; key: string; value: string; owner_stream: string; owner_id: string; state: string }>(
    `SELECT scope, key, value, owner_stream, owner_id, state FROM unique_keys WHERE state <> 'confirmed' ORDER BY changed_at LIMIT 100`,
  );
  return rows.map((r) => ({ scope: r.scope, key: r.key, value: r.value, ownerStream: r.owner_stream, ownerId: r.owner_id, state: r.state }));
}
