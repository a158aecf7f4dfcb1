import { logLevel } from 'kafkajs';
import { Writable } from 'node:stream';
import { pinoLevelFor, pinoLogCreator } from '../../../shared/kafka/client';
import { createLogger } from '../../../shared/logging/logger';
import { duplicateKeys } from '../../helpers/service-process';

/** A logger writing JSON lines into an array. */
function capture(level = 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level, name: 'test' }, destination), lines };
}

describe('log lines', () => {
  it('carry each bound key once, the innermost value winning, however children nest', () => {
    const { log, lines } = capture();
    const projection = log.child({ component: 'projection', projection: 'scim' }).child({ component: 'projection', projection: 'scim' });
    projection.info({ from: null }, 'subscribing');
    projection.child({ component: 'projection-rebuild', schema: 's1' }).info('rebuild started');
    expect(lines.map(duplicateKeys)).toEqual([[], []]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ name: 'test', component: 'projection', projection: 'scim', from: null, msg: 'subscribing' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ component: 'projection-rebuild', projection: 'scim', schema: 's1', msg: 'rebuild started' });
  });

  it('still redact secrets bound on a child', () => {
    const { log, lines } = capture();
    log.child({ token: 'scim_secret' }).child({ component: 'auth' }).info('checked');
    expect(lines[0]).not.toContain('scim_secret');
    expect(JSON.parse(lines[0]!)).toMatchObject({ token: '[redacted]', component: 'auth' });
  });
});

describe('duplicateKeys (the check the start-up test runs on every line)', () => {
  it('finds keys repeated in one object, at any depth, and nothing else', () => {
    expect(duplicateKeys('{"a":1,"b":{"c":[1,{"d":2,"d":3}]},"a":"x"}')).toEqual(['d', 'a']);
    expect(duplicateKeys('{"a":"}\\",\\"a\\":","b":[{"a":1},{"a":2}]}')).toEqual([]);
  });
});

describe("kafkajs' log lines", () => {
  it("go to the component's logger, with kafkajs' namespace and fields, never a component of their own", () => {
    const { log, lines } = capture();
    const write = pinoLogCreator(log.child({ component: 'team-sync' }))(logLevel.INFO);
    write({ namespace: 'Consumer', level: logLevel.INFO, label: 'INFO', log: { message: 'Starting', groupId: 'g', timestamp: 't', logger: 'kafkajs' } });
    expect(JSON.parse(lines[0]!)).toEqual(expect.objectContaining({ level: 30, component: 'team-sync', namespace: 'Consumer', groupId: 'g', msg: 'Starting' }));
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('timestamp');
  });

  it.each([
    ['Connection', logLevel.ERROR, { message: 'Response CreateTopics(key: 19, version: 3)', error: 'Topic with this name already exists' }, 'error'],
    ['Connection', logLevel.ERROR, { message: 'Response InitProducerId(key: 22, version: 1)', error: "The coordinator is loading and hence can't process requests for this group" }, 'debug'],
    ['Connection', logLevel.ERROR, { message: 'Response GroupCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' }, 'debug'],
    ['Connection', logLevel.ERROR, { message: 'Response Heartbeat(key: 12, version: 3)', error: 'The group is rebalancing, so a rejoin is needed' }, 'debug'],
    ['Connection', logLevel.ERROR, { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' }, 'error'],
    ['Runner', logLevel.WARN, { message: 'The group is rebalancing, re-joining' }, 'info'],
    ['Producer', logLevel.WARN, { message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' }, 'debug'],
    ['Consumer', logLevel.ERROR, { message: 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error' }, 'error'],
    ['Admin', logLevel.WARN, { message: 'Could not create topics' }, 'warn'],
    ['Consumer', logLevel.NOTHING, { message: 'x' }, undefined],
  ])('%s at kafkajs level %s (%j) log at %s', (namespace, level, entry, expected) => {
    expect(pinoLevelFor(namespace, level, entry)).toBe(expected);
  });
});
