import type { IHeaders } from 'kafkajs';
import { databaseName } from '../db/connection-string';

/**
 * The CloudEvents `source` of the published events (Kafka header `ce_source`, CloudEvents 1.0 §3.1.1
 * "source": the context in which an event happened): one per deployment of the service, so that two
 * deployments publishing to one topic (two checkouts on one broker, staging beside production)
 * stay apart. Consumers skip events whose source is not the deployment they follow.
 */
export const EVENT_SOURCE_PREFIX = '/scim-provisioning';

/**
 * The default source of a deployment: `/scim-provisioning/<database>`, named after the database
 * of DATABASE_URL (URI-encoded). Every instance of a deployment shares that database, whatever
 * host name it reaches it by; two deployments on one Postgres server differ by it.
 */
export function defaultEventSource(databaseUrl: string): string {
  return `${EVENT_SOURCE_PREFIX}/${encodeURIComponent(databaseName(databaseUrl))}`;
}

/** The `ce_source` header of a Kafka message as text, or undefined when it has none. */
export function eventSourceOf(headers: IHeaders | undefined): string | undefined {
  const value = headers?.ce_source;
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}
