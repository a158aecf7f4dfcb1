import { parseEnvironment } from '../../shared/config';
import { configFields, requireEventStoreDbUrl, withEventSource } from '../../shared/config/schema';

/**
 * The settings scim-audit reads, by the same names and rules as the service's (README,
 * Configuration): where the event store is (DATABASE_URL, EVENT_STORE, EVENTSTOREDB_URL), where
 * `republish` sends (KAFKA_*, EVENT_SOURCE), and the /scim/v2 URL `as-of` renders locations with
 * (SCIM_BASE_URL, else http://HOST:PORT/scim/v2). No secret: the tool never needs one.
 */
export const auditConfigSchema = configFields
  .pick({
    DATABASE_URL: true,
    EVENT_STORE: true,
    EVENTSTOREDB_URL: true,
    KAFKA_BROKERS: true,
    KAFKA_CLIENT_ID: true,
    KAFKA_TOPIC: true,
    KAFKA_TOPIC_PARTITIONS: true,
    KAFKA_REPLICATION_FACTOR: true,
    EVENT_SOURCE: true,
    SCIM_BASE_URL: true,
    HOST: true,
    PORT: true,
  })
  .superRefine(requireEventStoreDbUrl)
  .transform(withEventSource);

export type AuditConfig = ReturnType<typeof auditConfigSchema.parse>;

/** @throws ConfigError naming each bad variable. */
export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  return parseEnvironment(auditConfigSchema, env);
}

/** Where resources live as a GET names them: SCIM_BASE_URL, else the service's own address. */
export function scimBaseUrlOf(config: AuditConfig): string {
  if (config.SCIM_BASE_URL) return config.SCIM_BASE_URL.replace(/\/+$/, '');
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '[::1]' : config.HOST;
  return `http://${host}:${config.PORT}/scim/v2`;
}
