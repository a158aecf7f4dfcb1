import { FORWARDS, type ReadAllOptions } from '@eventstore/db-client';
import { comparePositions, type Position } from '../position';
import { isSystemEvent, recordPosition, toReadPosition, type ClientResolvedEvent } from './mapping';

/** The client's `readAll` (@eventstore/db-client 6.x `Client#readAll`), as counting uses it. */
export type ReadAll = (options: ReadAllOptions) => AsyncIterable<ClientResolvedEvent>;

/** Records asked for per page: large enough that a backlog of thousands is a few round trips. */
export const COUNT_PAGE_SIZE = 1024;

/**
 * The port's countEventsAfter on EventStoreDB: reads $all forwards from `after` in pages
 * (`readAll({ direction: FORWARDS, fromPosition, maxCount })`, the client's documented read) and
 * counts the records readAll would return — not system records (`$`-streams and `$`-types) nor
 * links — until `limit` of them are counted or a short page shows the end of the log. Only
 * positions, stream ids and types are looked at: no event body is decoded.
 *
 * The server reads $all from a position inclusively, so the record at `after` comes back first and
 * is skipped, as readAll does. Errors of the client (an unavailable server, a denied $all read) are
 * thrown as they come.
 */
export async function countEventsAfter(readAll: ReadAll, after: Position | undefined, limit: number, pageSize = COUNT_PAGE_SIZE): Promise<number> {
  let counted = 0;
  let cursor = after;
  while (counted < limit) {
    const start = cursor;
    let records = 0;
    for await (const resolved of readAll({ direction: FORWARDS, fromPosition: toReadPosition(cursor), maxCount: pageSize })) {
      records++;
      const position = recordPosition(resolved);
      if (position === undefined || (cursor !== undefined && comparePositions(position, cursor) <= 0)) continue;
      cursor = position;
      const event = resolved.event;
      if (event !== undefined && resolved.link === undefined && !isSystemEvent(event)) counted++;
      if (counted >= limit) return counted;
    }
    if (records < pageSize) return counted;
    if (cursor === start) throw new Error('EventStoreDB countEventsAfter: a full page did not move past the cursor');
  }
  return counted;
}
