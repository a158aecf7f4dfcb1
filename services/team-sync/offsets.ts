/**
 * Pure pieces of team-sync's offset handling. Its Kafka offsets live in its own Postgres schema
 * (`offsets.next_offset`, written in the transaction that applies the events), never in Kafka:
 * every batch is checked against the stored offset before anything is applied.
 */

/** What to do with a fetched run of messages of one partition, given the stored next offset. */
export type ChunkPlan =
  /** Apply the messages from index `from` on (the ones before it were applied already). */
  | { readonly kind: 'apply'; readonly from: number; readonly gap: boolean }
  /** Drop the batch and fetch from `offset` (the stored one) instead. */
  | { readonly kind: 'seek'; readonly offset: bigint };

/**
 * - Nothing stored: a partition never applied; take what Kafka gives (the log start).
 * - Messages below the stored offset were applied already (a redelivery after a rebalance or a
 *   restart, since Kafka holds no committed offset): skipped; all of them: seek forward.
 * - The batch starts after the stored offset (an operator moved the stored offset back, or
 *   Kafka's position is ahead): seek back to it. When that seek was tried already and the broker
 *   still answers from further on, the records in between are gone (retention): apply, and say so.
 */
export function planChunk(stored: bigint | null, offsets: readonly bigint[], seekBackTried: boolean): ChunkPlan {
  const first = offsets[0];
  if (first === undefined || stored === null) return { kind: 'apply', from: 0, gap: false };
  if (first > stored) return seekBackTried ? { kind: 'apply', from: 0, gap: true } : { kind: 'seek', offset: stored };
  const from = offsets.findIndex((offset) => offset >= stored);
  if (from < 0) return { kind: 'seek', offset: stored };
  return { kind: 'apply', from, gap: false };
}

export interface PartitionWatermark {
  readonly partition: number;
  /** The next offset the broker will write (Kafka's high watermark). */
  readonly high: bigint;
  /** The first offset still in the log. */
  readonly low: bigint;
}

export interface StoredOffset {
  readonly partition: number;
  readonly nextOffset: bigint;
  /** occurredAt of the last event applied from the partition. */
  readonly lastOccurredAt: Date | null;
}

export interface TeamSyncLag {
  /** Sum over partitions of high watermark minus the stored next offset. */
  readonly eventsBehind: number;
  /** When behind: age of the last applied event of the partition furthest behind in time; else 0. */
  readonly secondsBehind: number;
  readonly partitions: readonly { readonly partition: number; readonly high: string; readonly next: string; readonly behind: number }[];
}

export function computeLag(watermarks: readonly PartitionWatermark[], stored: readonly StoredOffset[], now: number): TeamSyncLag {
  const byPartition = new Map(stored.map((s) => [s.partition, s]));
  let eventsBehind = 0;
  let secondsBehind = 0;
  const partitions = [...watermarks]
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, high, low }) => {
      const own = byPartition.get(partition);
      // Below the log start there is nothing left to read.
      const next = own && own.nextOffset > low ? own.nextOffset : low;
      const behind = high > next ? Number(high - next) : 0;
      eventsBehind += behind;
      if (behind > 0 && own?.lastOccurredAt) secondsBehind = Math.max(secondsBehind, (now - own.lastOccurredAt.getTime()) / 1000);
      return { partition, high: high.toString(), next: next.toString(), behind };
    });
  return { eventsBehind, secondsBehind: eventsBehind > 0 ? Math.max(0, secondsBehind) : 0, partitions };
}
