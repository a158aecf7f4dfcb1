import type { Outcome } from './entra-load';

/** A span of time in which faults are allowed to show (ms since the epoch, inclusive). */
export interface FaultWindow {
  readonly from: number;
  readonly to: number;
}

const within = (o: Outcome, windows: readonly FaultWindow[]) => windows.some((w) => o.doneAt >= w.from && o.sentAt <= w.to);

/**
 * The answers a scenario may not have: any 5xx but 503; a 503 without Retry-After or without an
 * error body of its API; any 4xx (the load only sends valid requests to resources it owns); and a
 * 503 or no answer at all outside the fault windows. Empty means the load saw only what the issue
 * allows. At most `limit` are returned.
 */
export function unexpectedOutcomes(outcomes: readonly Outcome[], faultWindows: readonly FaultWindow[], limit = 10): Outcome[] {
  return outcomes
    .filter((o) => {
      if (o.status >= 200 && o.status < 300) return false;
      if (o.status === 503) return !/^[1-9]\d*$/.test(o.retryAfter ?? '') || o.errorBody !== true || !within(o, faultWindows);
      if (o.status === 0) return !within(o, faultWindows);
      return true;
    })
    .slice(0, limit);
}

/** Resident memory growth from early to late, as a fraction of early (0.1: 10 % more). */
export function rssGrowth(early: number, late: number): number {
  return (late - early) / early;
}

export const MiB = 1024 * 1024;

/**
 * When the first write sent at or after `since` was acknowledged (ms since the epoch): the moment
 * the service served again. Polls the live outcome list; rejects after timeoutMs.
 */
export async function firstAcknowledgedWriteAfter(outcomes: readonly Outcome[], since: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let checked = 0;
  for (;;) {
    for (; checked < outcomes.length; checked++) {
      const o = outcomes[checked]!;
      if (o.write && o.sentAt >= since && o.status >= 200 && o.status < 300) return o.doneAt;
    }
    if (Date.now() > deadline) throw new Error(`no write was acknowledged within ${timeoutMs} ms after ${new Date(since).toISOString()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
