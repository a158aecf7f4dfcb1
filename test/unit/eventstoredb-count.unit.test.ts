import { FORWARDS, START, UnavailableError, type ReadAllOptions } from '@eventstore/db-client';
import { countEventsAfter } from '../../shared/eventstore/eventstoredb/count-events';
import type { ClientResolvedEvent } from '../../shared/eventstore/eventstoredb/mapping';

/**
 * countEventsAfter against a double of the server's $all (the client's readAll: forwards,
 * `fromPosition` inclusive, at most `maxCount` records), with the records a real $all holds beside
 * the service's events: system records, links, and an event whose body is not JSON.
 */
describe('eventstoredb countEventsAfter', () => {
  describe('when the log holds events, system records and links', () => {
    it('counts the events after `after` (exclusive), page by page, leaving out system records and links', async () => {
      const server = new AllLog(log);

      expect(await countEventsAfter(server.readAll, pos(2), 100, 3)).toBe(5); // 3, 5, 6, 8, 9

      // Each page starts at the last record seen, which the server sends again (and which is skipped).
      expect(server.reads).toEqual([2, 4, 6, 8].map((n) => ({ direction: FORWARDS, fromPosition: pos(n), maxCount: 3 })));
    });

    it('counts from the start of the log when `after` is omitted', async () => {
      const server = new AllLog(log);

      expect(await countEventsAfter(server.readAll, undefined, 100, 4)).toBe(7);
      expect(server.reads[0]).toEqual({ direction: FORWARDS, fromPosition: START, maxCount: 4 });
    });

    it('stops at `limit`, reading no page beyond it', async () => {
      const server = new AllLog(log);

      expect(await countEventsAfter(server.readAll, undefined, 2, 3)).toBe(2);
      expect(server.reads).toHaveLength(1);
    });

    it('counts an event whose body is not JSON: bodies are never decoded', async () => {
      const server = new AllLog([record(1), { event: { ...record(2).event!, isJson: false, data: Uint8Array.from([0xff, 0x00]) } }]);

      expect(await countEventsAfter(server.readAll, undefined, 100)).toBe(2);
    });

    it('answers 0 at the end of the log, and for a limit of 0 without reading', async () => {
      const server = new AllLog(log);

      expect(await countEventsAfter(server.readAll, pos(9), 100)).toBe(0);
      expect(await countEventsAfter(server.readAll, undefined, 0)).toBe(0);
      expect(server.reads).toHaveLength(1);
    });
  });

  describe('when the server fails', () => {
    it('throws the client error of a page read that fails mid-way', async () => {
      const server = new AllLog(log, { failOnRead: 2 });

      await expect(countEventsAfter(server.readAll, undefined, 100, 3)).rejects.toBeInstanceOf(UnavailableError);
    });

    it('throws instead of looping when a full page does not move past the cursor', async () => {
      const stuck = async function* (): AsyncGenerator<ClientResolvedEvent> {
        for (let i = 0; i < 3; i++) yield record(4);
      };

      await expect(countEventsAfter(() => stuck(), pos(4), 100, 3)).rejects.toThrow(/did not move past the cursor/);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Test data

/** A double of the server's $all: reads forwards from a position, inclusive, at most maxCount records. */
class AllLog {
  readonly reads: ReadAllOptions[] = [];

  constructor(
    private readonly records: readonly ClientResolvedEvent[],
    private readonly faults: { failOnRead?: number } = {},
  ) {}

  readonly readAll = (options: ReadAllOptions): AsyncIterable<ClientResolvedEvent> => {
    this.reads.push(options);
    const failing = this.faults.failOnRead === this.reads.length;
    const from = options.fromPosition;
    const start = from === START || from === undefined || typeof from === 'string' ? -1n : from.commit;
    const page = this.records.filter((r) => r.event!.position!.commit >= start).slice(0, Number(options.maxCount ?? Infinity));
    return (async function* () {
      for (const [i, resolved] of page.entries()) {
        if (failing && i === 1) throw new UnavailableError(new Error('connection refused') as never);
        yield resolved;
      }
    })();
  };
}

const created = new Date('2025-03-01T10:00:00.000Z');

function pos(n: number) {
  return { commit: BigInt(n), prepare: BigInt(n) };
}

function record(n: number, overrides: { streamId?: string; type?: string } = {}): ClientResolvedEvent {
  return {
    event: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      streamId: overrides.streamId ?? `user-${n}`,
      type: overrides.type ?? 'UserProvisioned',
      revision: 0n,
      isJson: true,
      data: { n },
      metadata: {},
      created,
      position: pos(n),
    },
  };
}

/** Positions 1..9: events at 1, 2, 3, 5, 6, 8, 9; a system record at 4 ($stats), a link at 7. */
const log: readonly ClientResolvedEvent[] = [
  record(1),
  record(2),
  record(3),
  record(4, { streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' }),
  record(5),
  record(6),
  { ...record(7, { type: '$>' }), link: { id: 'link' } },
  record(8),
  record(9),
];
