import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/logging/logger';
import type { EventPublisher, PublisherLag } from './publisher';

/** One lag() per scrape serves both gauges. */
const LAG_REUSE_MS = 1_000;

/**
 * `scim_publisher_events_behind` and `scim_publisher_seconds_behind`, measured at scrape time. When the
 * measurement fails (the database is down), the gauges keep their last value and the failure is logged.
 */
export function publisherMetrics(registry: Registry, publisher: Pick<EventPublisher, 'lag'>, log?: Logger): void {
  let last: { at: number; lag: Promise<PublisherLag> } | undefined;
  const lag = (): Promise<PublisherLag> => {
    if (!last || Date.now() - last.at > LAG_REUSE_MS) last = { at: Date.now(), lag: publisher.lag() };
    return last.lag;
  };
  const measure = async (gauge: Gauge, metric: string, pick: (lag: PublisherLag) => number): Promise<void> => {
    try {
      gauge.set(pick(await lag()));
    } catch (err) {
      log?.warn({ err, metric }, 'could not measure the publisher lag');
    }
  };

  new Gauge({
    name: 'scim_publisher_events_behind',
    help: 'Events in the store not yet acknowledged by Kafka (capped at 10000)',
    registers: [registry],
    async collect() {
      await measure(this, 'scim_publisher_events_behind', (l) => l.eventsBehind);
    },
  });
  new Gauge({
    name: 'scim_publisher_seconds_behind',
    help: 'Age in seconds of the oldest event not yet acknowledged by Kafka (0 when caught up)',
    registers: [registry],
    async collect() {
      await measure(this, 'scim_publisher_seconds_behind', (l) => l.secondsBehind);
    },
  });
}
