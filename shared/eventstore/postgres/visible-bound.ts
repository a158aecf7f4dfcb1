import type { Pool } from '../../db/pool';
import type { NotificationListener } from './listener';

/** The transaction id below which every event is committed or will never be, and whether a writer in flight holds rows back. */
export interface Bound {
  /** xid8 as text. */
  readonly bound: string;
  readonly heldBack: boolean;
}

/** A bound is recomputed at least this often even when no notification came (ms). */
const MAX_AGE_MS = 1_000;

/**
 * event_store_read_bound (a scan of pg_locks) computed once for every reader of the process: a
 * bound computed earlier is still safe, only possibly short of the newest commits, and every
 * commit notifies. So the last one serves until the listener heard a notification after it was
 * computed, or this process appended; a bound that saw a writer in flight (which sends nothing if
 * it rolls back), or one without a listening connection, serves only the read it was computed for.
 */
export class VisibleBound {
  private cached: (Bound & { readonly version: number; readonly at: number }) | undefined;
  private computing: { readonly version: number; readonly result: Promise<Bound> } | undefined;
  /** Bumped by this process's own appends, which a read after them must see at once. */
  private appended = 0;

  constructor(
    private readonly pool: Pool,
    private readonly listener: NotificationListener,
  ) {}

  /** This process appended: the next read computes a bound past it (its notification may still be on the way). */
  noteAppend(): void {
    this.appended++;
  }

  get(): Promise<Bound> {
    const version = this.listener.seen * 2 ** 20 + this.appended;
    const shared = this.listener.listening;
    const cached = this.cached;
    if (shared && cached && cached.version === version && Date.now() - cached.at < MAX_AGE_MS) return Promise.resolve(cached);
    if (shared && this.computing && this.computing.version === version) return this.computing.result;
    const result = this.compute(version, shared);
    if (shared) this.computing = { version, result };
    return result;
  }

  private async compute(version: number, shared: boolean): Promise<Bound> {
    try {
      const { rows } = await this.pool.query<{ bound: string; held_back: boolean }>(`SELECT bound::text AS bound, held_back FROM event_store_read_bound()`);
      const bound = { bound: rows[0]!.bound, heldBack: rows[0]!.held_back };
      if (shared && !bound.heldBack) this.cached = { ...bound, version, at: Date.now() };
      return bound;
    } finally {
      if (this.computing?.version === version) this.computing = undefined;
    }
  }
}
