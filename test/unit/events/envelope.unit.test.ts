import type { Message } from 'kafkajs';
import { chunkByBytes } from '../../../services/event-publisher/publisher';
import { envelopeJson, kafkaHeaders, toEnvelope, toKafkaMessage } from '../../../services/event-publisher/envelope';
import type { RecordedEvent } from '../../../shared/eventstore/port';
import { parseEnvelope } from '../../../shared/events/consumer-parser';
import { envelopeSchema } from '../../../shared/events/contract';
import { defaultEventSource, eventSourceOf } from '../../../shared/events/source';

describe('the Kafka envelope of a recorded event', () => {
  it('carries id, type, schemaVersion, streamId, revision, position, occurredAt, data and metadata', () => {
    expect(toEnvelope(membersAdded)).toEqual({
      id: 'f2b7d4a0-5c1e-4b8a-9d3f-0e6c2a1b7c55',
      type: 'GroupMembersAdded',
      schemaVersion: 1,
      streamId: `group-${GROUP_ID}`,
      revision: '3',
      position: '7514/1202',
      occurredAt: '2026-03-01T09:30:12.345Z',
      data: { groupId: GROUP_ID, memberIds: [USER_ID] },
      metadata: membersAdded.metadata,
    });
  });

  it('writes the revision as an exact decimal string, also past 2^53', () => {
    const revision = 2n ** 60n + 1n;
    expect(toEnvelope({ ...membersAdded, revision }).revision).toBe('1152921504606846977');
  });

  it('takes schemaVersion 1 and the recording time when the metadata lacks them', () => {
    const bare = { ...membersAdded, metadata: { requestId: 'r' } };
    expect(toEnvelope(bare)).toMatchObject({ schemaVersion: 1, occurredAt: '2026-03-01T09:30:13.000Z' });
    expect(kafkaHeaders(bare).ce_time).toBe('2026-03-01T09:30:13.000Z');
  });

  it('keeps the schemaVersion the event was written with', () => {
    expect(toEnvelope({ ...membersAdded, metadata: { ...membersAdded.metadata, schemaVersion: 3 } }).schemaVersion).toBe(3);
  });

  it('is valid against the envelope contract, and parses back to the same event', () => {
    const value = JSON.stringify(toEnvelope(membersAdded));
    expect(envelopeSchema.safeParse(JSON.parse(value)).success).toBe(true);
    expect(parseEnvelope(value)).toMatchObject({
      known: true,
      id: membersAdded.id,
      type: 'GroupMembersAdded',
      streamId: membersAdded.streamId,
      revision: 3n,
      data: membersAdded.data,
    });
  });
});

describe('the CloudEvents headers', () => {
  it('name the event per the Kafka protocol binding (binary mode): the deployment as source, the stream as subject', () => {
    expect(kafkaHeaders(membersAdded, '/scim-provisioning/production')).toEqual({
      ce_specversion: '1.0',
      ce_id: 'f2b7d4a0-5c1e-4b8a-9d3f-0e6c2a1b7c55',
      ce_source: '/scim-provisioning/production',
      ce_subject: `group-${GROUP_ID}`,
      ce_type: 'GroupMembersAdded',
      ce_time: '2026-03-01T09:30:12.345Z',
      'content-type': 'application/json',
    });
  });

  it('default the source to /scim-provisioning, and read it back from a received message', () => {
    expect(kafkaHeaders(membersAdded).ce_source).toBe('/scim-provisioning');
    expect(eventSourceOf({ ce_source: Buffer.from('/scim-provisioning/staging') })).toBe('/scim-provisioning/staging');
    expect(eventSourceOf({ ce_source: [Buffer.from('/a'), Buffer.from('/b')] })).toBe('/a');
    expect(eventSourceOf({})).toBeUndefined();
    expect(eventSourceOf(undefined)).toBeUndefined();
  });
});

describe("a deployment's default event source", () => {
  it('is named after the database of DATABASE_URL, whatever host reaches it', () => {
    expect(defaultEventSource('postgres://postgres@127.0.0.1:5432/scim')).toBe('/scim-provisioning/scim');
    expect(defaultEventSource('postgres://app:pw@db.internal:6432/scim')).toBe('/scim-provisioning/scim');
    expect(defaultEventSource('postgres://postgres@127.0.0.1:5432/checkout_two')).toBe('/scim-provisioning/checkout_two');
  });

  it('keeps the source a URI-reference whatever the database is called', () => {
    expect(defaultEventSource('postgres://h/my%20db%2Fx')).toBe('/scim-provisioning/my%20db%2Fx');
  });
});

describe('the Kafka message', () => {
  it('is keyed by the stream id, so one aggregate stays on one partition', () => {
    const message = toKafkaMessage(membersAdded, '/scim-provisioning/scim');
    expect(message.key).toBe(`group-${GROUP_ID}`);
    expect(JSON.parse(String(message.value))).toEqual(toEnvelope(membersAdded));
    expect(message.headers).toEqual(kafkaHeaders(membersAdded, '/scim-provisioning/scim'));
  });
});

describe('splitting a batch into produce requests', () => {
  const message = (bytes: number): Message => ({ key: 'k', value: 'x'.repeat(bytes) });

  it('keeps the order and stays under the limit', () => {
    const messages = Array.from({ length: 10 }, () => message(100));
    const chunks = chunkByBytes(messages, 400);
    expect(chunks.flat()).toEqual(messages);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('sends a message larger than the limit on its own', () => {
    expect(chunkByBytes([message(10), message(1000), message(10)], 200).map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('sends nothing for an empty batch', () => {
    expect(chunkByBytes([], 100)).toEqual([]);
  });
});

const GROUP_ID = '5d0c1f7a-8a0e-4d36-b6c1-2f4a3c9e7b10';
const USER_ID = '6b1f3c7e-2b1d-4c55-8f0e-0d5b7a9c1e23';

const membersAdded: RecordedEvent = {
  id: 'f2b7d4a0-5c1e-4b8a-9d3f-0e6c2a1b7c55',
  type: 'GroupMembersAdded',
  streamId: `group-${GROUP_ID}`,
  revision: 3n,
  position: { commit: 7514n, prepare: 1202n },
  data: { groupId: GROUP_ID, memberIds: [USER_ID] },
  metadata: {
    requestId: 'req-1',
    correlationId: 'req-1',
    causationId: 'c0a8f5e2-9d7b-4e1c-8a3f-5b2d6e9f1a04',
    actor: { kind: 'scim-token', id: 'token-1' },
    source: { ip: '203.0.113.7', userAgent: 'Azure AD SCIM Provisioning' },
    occurredAt: '2026-03-01T09:30:12.345Z',
    schemaVersion: 1,
  },
  recordedAt: new Date('2026-03-01T09:30:13.000Z'),
};

describe('envelopeJson', () => {
  it('puts the JSON text the store holds into the envelope as it is, with the same values as toEnvelope', () => {
    const data = { groupId: 'g-1', memberIds: ['u-1', 'u-2'], nested: { a: 1, 'b "q"': [true, null] } };
    const metadata = { requestId: 'r-1', occurredAt: '2026-01-02T03:04:05.000Z', schemaVersion: 1, actor: { kind: 'admin', id: 'a' } };
    // Postgres's jsonb text: its own key order and spacing.
    const json = { data: '{"nested": {"a": 1, "b \\"q\\"": [true, null]}, "groupId": "g-1", "memberIds": ["u-1", "u-2"]}', metadata: JSON.stringify(metadata) };
    const event = { id: 'e-1', type: 'GroupMembersAdded', streamId: 'group-g-1', revision: 3n, position: { commit: 7n, prepare: 9n }, data, metadata, recordedAt: new Date(0), json };
    const text = envelopeJson(event);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(toEnvelope(event))));
    expect(text).toContain(json.data);
  });
});
