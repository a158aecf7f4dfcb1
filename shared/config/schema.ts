import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { defaultEventSource } from '../events/source';

const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')).min(1));


const postgresUrl = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'expected a postgres:// URL');

const port = z.coerce.number().int().min(0).max(65535);

const positiveInt = z.coerce.number().int().positive();

/** The names Express's `trust proxy` (proxy-addr) knows for address ranges. */
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrRange = (entry: string): boolean => {
  if (TRUST_PROXY_NAMES.has(entry)) return true;
  if (ipaddr.isValid(entry)) return true;
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
};

/**
 * TRUST_PROXY: `false` (trust no proxy), `true` (trust every peer: only when the port is reachable
 * from the proxy alone), a hop count, or a comma-separated list of addresses, CIDRs and the names
 * loopback, linklocal, uniquelocal. Becomes Express's `trust proxy` value.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): boolean | number | string[] => {
    if (value === 'false' || value === '') return false;
    if (value === 'true') return true;
    if (/^\d{1,2}$/.test(value)) return Number(value);
    const entries = value.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
    const bad = entries.filter((e) => !isAddressOrRange(e));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `expected false, true, a hop count, or addresses/CIDRs/loopback/linklocal/uniquelocal; not ${bad.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

/** An absolute http(s) URL without credentials, query or fragment: it prefixes every URL the service writes. */
const publicBaseUrl = z
  .string()
  .url()
  .refine((value) => {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  }, 'expected an http:// or https:// URL without credentials, query or fragment, e.g. https://scim.example.com/scim/v2');

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** Every setting, before the checks that span several (configSchema). */
export const configFields = z.object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: port.default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` lines (the default) or `pretty` text for a terminal (pino-pretty; `make run` on a terminal sets it). */
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
    DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/scim'),
    DATABASE_POOL_SIZE: positiveInt.default(10),
    /** How long a request waits for a pool connection (a free one, or a new one to be made) before 503. */
    DATABASE_CONNECT_TIMEOUT_MS: positiveInt.default(5000),
    EVENT_STORE: z.enum(['postgres', 'eventstoredb']).default('postgres'),
    EVENTSTOREDB_URL: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover):\/\//, 'expected an esdb:// connection string').optional(),
    ),
    /** Unset: the local broker that `make run` starts (scripts/kafka.sh). */
    KAFKA_BROKERS: z.preprocess(emptyAsUndefined, commaList.default(['127.0.0.1:9092'])),
    KAFKA_CLIENT_ID: z.string().min(1).default('scim-provisioning'),
    KAFKA_TOPIC: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name').default('scim.events.v1'),
    /**
     * The CloudEvents source (`ce_source`) of every published event, naming this deployment;
     * consumers (team-sync) skip events of other sources. Unset: `/scim-provisioning/<database of DATABASE_URL>`.
     */
    EVENT_SOURCE: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .max(200)
        .regex(/^[!-~]+$/, 'expected a URI-reference without spaces, e.g. /scim-provisioning/production')
        .optional(),
    ),
    KAFKA_TOPIC_PARTITIONS: positiveInt.default(6),
    /** Replicas per partition when the service creates the topic: 1 for a single broker, 3 in production. */
    KAFKA_REPLICATION_FACTOR: positiveInt.default(1),
    /** Publish events to Kafka from this process (the default), or leave it to a separate publisher. */
    RUN_PUBLISHER: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /** Also run the reference team-sync consumer in this process (`make run` does); its state on TEAM_SYNC_PORT. */
    RUN_TEAM_SYNC: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    READY_TIMEOUT_MS: positiveInt.default(2000),
    /**
     * Seeds one SCIM token at start (kept as an HMAC, expiring like any other); on a fresh install
     * it also enables SCIM. At least 32 characters so it cannot be guessed.
     */
    SCIM_BOOTSTRAP_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    /** Seeds the first administrator token for /api/v2/admin. */
    ADMIN_BOOTSTRAP_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    /** The server secret tokens are HMAC-SHA512'd under; changing it invalidates every token. */
    TOKEN_HMAC_SECRET: z.string({ error: 'required: the server secret tokens are stored under (32+ characters)' }).min(32, 'must be at least 32 characters'),
    /** SCIM Users and Groups requests per second for the whole service: all tokens, all instances (kept in Postgres). */
    SCIM_RATE_LIMIT_PER_SECOND: positiveInt.default(10),
    /** Failed SCIM authentications per client address and minute; past it 429 before the token is looked up. */
    SCIM_AUTH_FAILURES_PER_MINUTE: positiveInt.default(30),
    /** Bounds on a list filter (RFC 7644 §3.4.2.2); past them 400 invalidFilter. */
    SCIM_FILTER_MAX_LENGTH: positiveInt.default(4096),
    SCIM_FILTER_MAX_DEPTH: positiveInt.default(10),
    SCIM_FILTER_MAX_CLAUSES: positiveInt.default(20),
    /** Postgres cancels a SCIM read that runs longer; the request gets 503 with Retry-After. */
    SCIM_READ_STATEMENT_TIMEOUT_MS: positiveInt.default(5000),
    /** api-docs/admin/scim-settings: 20 calls per second to /api/v2/admin/scim-settings, for the whole instance. */
    ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND: positiveInt.default(20),
    /** api-docs/admin/team-scim-group-mapping: 10 link, unlink, pause or resume requests per minute per administrator. */
    ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE: positiveInt.default(10),
    /** The public /scim/v2 URL (behind a proxy); else taken from each request's Host (or a trusted proxy's X-Forwarded-Host). */
    SCIM_BASE_URL: z.preprocess(emptyAsUndefined, publicBaseUrl.optional()),
    /** Whose X-Forwarded-For/-Proto/-Host to believe (see trustProxy); none by default. */
    TRUST_PROXY: trustProxy.default(false),
    /**
     * The longest a client may take to send a whole request (Node's `requestTimeout`, 300 s by
     * default) and its headers (`headersTimeout`, 60 s); past them the connection gets 408 and is
     * closed. An idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS: longer than
     * the 60 s idle timeout of common load balancers, so that the balancer, not the service, closes it.
     */
    HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
    HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.default(65_000),
    SCIM_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
    SCIM_MAX_PATCH_OPERATIONS: positiveInt.default(100),
    SCIM_MAX_GROUP_MEMBERS: positiveInt.default(1000),
    SCIM_MAX_TEAMS_PER_GROUP: positiveInt.default(10_000),
    SCIM_DEFAULT_PAGE_SIZE: positiveInt.default(100),
    SCIM_MAX_PAGE_SIZE: positiveInt.default(200),
    /** How long a read waits for the read model to reach this instance's last write before 503. */
    READ_YOUR_WRITES_TIMEOUT_MS: positiveInt.default(2000),
    /** Keep the read model in this process (the default), or leave it to a separate projector. */
    RUN_PROJECTIONS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
});

/** EVENTSTOREDB_URL is required with EVENT_STORE=eventstoredb. */
export function requireEventStoreDbUrl(c: { EVENT_STORE: string; EVENTSTOREDB_URL?: string | undefined }, ctx: z.RefinementCtx): void {
  if (c.EVENT_STORE === 'eventstoredb' && !c.EVENTSTOREDB_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['EVENTSTOREDB_URL'],
      message: 'required when EVENT_STORE=eventstoredb',
    });
  }
}

/** EVENT_SOURCE, or its default after the database of DATABASE_URL. */
export function withEventSource<C extends { DATABASE_URL: string; EVENT_SOURCE?: string | undefined }>(c: C, ctx: z.RefinementCtx): C & { EVENT_SOURCE: string } {
  if (c.EVENT_SOURCE) return { ...c, EVENT_SOURCE: c.EVENT_SOURCE };
  try {
    return { ...c, EVENT_SOURCE: defaultEventSource(c.DATABASE_URL) };
  } catch {
    ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'names no database (postgres://host:port/<database>)' });
    return z.NEVER;
  }
}

export const configSchema = configFields
  .superRefine((c, ctx) => {
    if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS' });
    }
    requireEventStoreDbUrl(c, ctx);
  })
  .transform(withEventSource);

export type Config = z.infer<typeof configSchema>;
