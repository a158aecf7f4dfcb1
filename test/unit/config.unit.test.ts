import { ConfigError, loadConfig } from '../../shared/config';
import { DEFAULT_FILTER_LIMITS } from '../../shared/scim/filter';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({ TOKEN_HMAC_SECRET: SECRET });
    expect(config).toMatchObject({
      PORT: 8080,
      EVENT_STORE: 'postgres',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_TOPIC: 'scim.events.v1',
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/scim',
    });
  });

  it('defaults the SCIM limits to the documented values, the filter bounds to the parser\'s own defaults', () => {
    const config = loadConfig({ TOKEN_HMAC_SECRET: SECRET });
    expect(config).toMatchObject({
      SCIM_RATE_LIMIT_PER_SECOND: 10,
      SCIM_AUTH_FAILURES_PER_MINUTE: 30,
      SCIM_READ_STATEMENT_TIMEOUT_MS: 5000,
    });
    expect({ maxLength: config.SCIM_FILTER_MAX_LENGTH, maxDepth: config.SCIM_FILTER_MAX_DEPTH, maxClauses: config.SCIM_FILTER_MAX_CLAUSES }).toEqual(DEFAULT_FILTER_LIMITS);
  });

  it('splits KAFKA_BROKERS on commas', () => {
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET, KAFKA_BROKERS: 'a:9092, b:9093' }).KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['EVENT_STORE', { EVENT_STORE: 'mysql' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x/y' }],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'no-port' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['KAFKA_TOPIC', { KAFKA_TOPIC: 'has space' }],
    ['EVENTSTOREDB_URL', { EVENT_STORE: 'eventstoredb' }],
    ['EVENTSTOREDB_URL', { EVENT_STORE: 'eventstoredb', EVENTSTOREDB_URL: 'http://x:2113' }],
    ['SCIM_FILTER_MAX_CLAUSES', { SCIM_FILTER_MAX_CLAUSES: '0' }],
    ['SCIM_READ_STATEMENT_TIMEOUT_MS', { SCIM_READ_STATEMENT_TIMEOUT_MS: 'soon' }],
    ['SCIM_AUTH_FAILURES_PER_MINUTE', { SCIM_AUTH_FAILURES_PER_MINUTE: '-1' }],
    ['EVENT_SOURCE', { EVENT_SOURCE: 'has space' }],
    ['LOG_FORMAT', { LOG_FORMAT: 'xml' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://127.0.0.1:5432' }],
    ['SCIM_BASE_URL', { SCIM_BASE_URL: 'javascript://scim.example.com/scim/v2' }],
    ['SCIM_BASE_URL', { SCIM_BASE_URL: 'https://user:pw@scim.example.com/scim/v2' }],
    ['SCIM_BASE_URL', { SCIM_BASE_URL: 'https://scim.example.com/scim/v2?x=1' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'everyone' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'loopback, 10.0.0.0/33' }],
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: '0' }],
    ['DATABASE_CONNECT_TIMEOUT_MS', { DATABASE_CONNECT_TIMEOUT_MS: 'never' }],
  ])('rejects a bad %s and names it', (variable, env) => {
    let thrown: unknown;
    try {
      loadConfig({ TOKEN_HMAC_SECRET: SECRET, ...env });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const problems = (thrown as ConfigError).problems;
    expect(problems.some((p) => p.startsWith(`${variable}:`))).toBe(true);
  });

  it('requires TOKEN_HMAC_SECRET and names it', () => {
    expect(() => loadConfig({})).toThrow(/TOKEN_HMAC_SECRET: required/);
  });

  it("names the deployment's event source after its database, unless EVENT_SOURCE says", () => {
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET }).EVENT_SOURCE).toBe('/scim-provisioning/scim');
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET, DATABASE_URL: 'postgres://u@db:5432/checkout_two' }).EVENT_SOURCE).toBe('/scim-provisioning/checkout_two');
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET, EVENT_SOURCE: 'urn:example:production' }).EVENT_SOURCE).toBe('urn:example:production');
  });

  it('logs JSON lines unless LOG_FORMAT=pretty', () => {
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET }).LOG_FORMAT).toBe('json');
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET, LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
  });

  it('bounds slow clients below Node\'s 300 s / 60 s, keeps idle connections past a load balancer\'s 60 s, and waits 5 s for a database connection', () => {
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET })).toMatchObject({
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 65_000,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
    });
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['loopback', ['loopback']],
    ['loopback, 10.0.0.0/8 ,192.0.2.7,::1', ['loopback', '10.0.0.0/8', '192.0.2.7', '::1']],
  ])('reads TRUST_PROXY=%s as Express\'s trust proxy %j (no proxy trusted unless it says)', (value, expected) => {
    expect(loadConfig({ TOKEN_HMAC_SECRET: SECRET, ...(value === undefined ? {} : { TRUST_PROXY: value }) }).TRUST_PROXY).toEqual(expected);
  });

  it('accepts EventStoreDB with its connection string', () => {
    const config = loadConfig({ TOKEN_HMAC_SECRET: SECRET, EVENT_STORE: 'eventstoredb', EVENTSTOREDB_URL: 'esdb://localhost:2113?tls=false' });
    expect(config.EVENTSTOREDB_URL).toBe('esdb://localhost:2113?tls=false');
  });
});

const SECRET = 'unit-test-hmac-secret-0123456789abcdef';
