import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/logging/logger';
import type { TeamSync } from './consumer';
import type { TeamSyncLag } from './offsets';

/** One lag() per scrape serves both gauges. */
const LAG_REUSE_MS = 1_000;

/**
 * `team_sync_events_behind` (sum over partitions of the high watermark minus the stored next
 * offset) and `team_sync_seconds_behind` (while behind: age of the last applied event; else 0),
 * measured at scrape time, and counters of what the consumer did. A failed measurement keeps the
 * gauges' last value and is logged.
 */
export function teamSyncMetrics(registry: Registry, teamSync: Pick<TeamSync, 'lag' | 'stats'>, log?: Logger): void {
  let last: { at: number; lag: Promise<TeamSyncLag> } | undefined;
  const lag = (): Promise<TeamSyncLag> => {
    if (!last || Date.now() - last.at > LAG_REUSE_MS) last = { at: Date.now(), lag: teamSync.lag() };
    return last.lag;
  };
  const measure = async (gauge: Gauge, metric: string, pick: (lag: TeamSyncLag) => number): Promise<void> => {
    try {
      gauge.set(pick(await lag()));
    } catch (err) {
      log?.warn({ err, metric }, 'could not measure the team-sync lag');
    }
  };

  new Gauge({
    name: 'team_sync_events_behind',
    help: 'Messages on the events topic not yet applied by team-sync (high watermark minus stored offset, summed over partitions)',
    registers: [registry],
    async collect() {
      await measure(this, 'team_sync_events_behind', (l) => l.eventsBehind);
    },
  });
  new Gauge({
    name: 'team_sync_seconds_behind',
    help: 'While team-sync is behind: seconds since the occurredAt of the last event it applied; 0 when caught up',
    registers: [registry],
    async collect() {
      await measure(this, 'team_sync_seconds_behind', (l) => l.secondsBehind);
    },
  });

  const counters: [keyof ReturnType<TeamSync['stats']>, string, string][] = [
    ['applied', 'team_sync_events_applied_total', 'Events applied to the base state'],
    ['duplicates', 'team_sync_events_duplicate_total', 'Redelivered events skipped by (streamId, revision)'],
    ['skipped', 'team_sync_events_skipped_total', 'Events of unknown types or newer versions, skipped'],
    ['invalid', 'team_sync_messages_invalid_total', 'Messages that are not valid events, recorded and skipped'],
    ['foreign', 'team_sync_events_foreign_total', 'Events of another deployment on the topic (another ce_source), skipped'],
    ['seeks', 'team_sync_seeks_total', 'Seeks to the stored offset'],
  ];
  for (const [stat, name, help] of counters) {
    // Reported as the process's running totals: a counter that is set at scrape time.
    let reported = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const value = teamSync.stats()[stat];
        if (value > reported) this.inc(value - reported);
        reported = value;
      },
    });
  }
}
