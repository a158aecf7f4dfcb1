import { z } from 'zod';
import { generateEventSchemas, staleEventDocs } from '../../../scripts/generate-event-schemas';
import { GROUP_EVENT_TYPES } from '../../../shared/domain/groups/events';
import { SETTINGS_EVENT_TYPES } from '../../../shared/domain/settings/settings';
import { TEAM_EVENT_TYPES } from '../../../shared/domain/teams/team';
import { TOKEN_EVENT_TYPES } from '../../../shared/domain/tokens/token';
import { USER_EVENT_TYPES } from '../../../shared/domain/users/events';
import { createEnvelopeParser, InvalidEventError, parseEnvelope } from '../../../shared/events/consumer-parser';
import { EVENT_CONTRACTS, eventContract, olderVersion, type EventType } from '../../../shared/events/contract';
import { recordedSchemaVersion, upcastRecordedEvent } from '../../../shared/events/upcast';
import type { RecordedEvent } from '../../../shared/eventstore/port';

describe('the event contract', () => {
  it('covers every event type the domain records', () => {
    const domainTypes = [...USER_EVENT_TYPES, ...GROUP_EVENT_TYPES, 'AccountRegistered', ...TEAM_EVENT_TYPES, ...SETTINGS_EVENT_TYPES, ...TOKEN_EVENT_TYPES];
    expect(Object.keys(EVENT_CONTRACTS).sort()).toEqual([...domainTypes].sort());
  });

  it('accepts a realistic event of every type', () => {
    for (const [type, data] of Object.entries(samples)) {
      const result = EVENT_CONTRACTS[type as EventType].data.safeParse(data);
      expect({ type, success: result.success }).toEqual({ type, success: true });
    }
  });

  it('is committed as docs/events: the schema files and the README index equal the generated ones', () => {
    // On failure: npx tsx scripts/generate-event-schemas.ts
    expect(staleEventDocs()).toEqual([]);
  });

  it('has one schema file per type and version, plus the envelope', () => {
    const versions = (type: string) => (type === 'UserDeleted' ? [1, 2] : [1]);
    expect([...generateEventSchemas().keys()].sort()).toEqual(
      ['envelope.v1.schema.json', ...Object.keys(EVENT_CONTRACTS).flatMap((type) => versions(type).map((v) => `${type}.v${v}.schema.json`))].sort(),
    );
    const schema = JSON.parse(generateEventSchemas().get('GroupMembersAdded.v1.schema.json')!);
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      properties: { type: { const: 'GroupMembersAdded' }, schemaVersion: { const: 1 }, data: { required: ['groupId', 'memberIds'] } },
    });
  });

  it('refuses a version chain with a gap', () => {
    expect(() =>
      eventContract({ description: 'x', version: 3, data: z.object({}), older: [olderVersion(1, z.object({}), (d) => d)] }),
    ).toThrow('version 1 upcasts to 2, but the next version is 3');
  });
});

describe('parsing a message', () => {
  it('returns a known event with its data validated and typed', () => {
    const event = parseEnvelope(Buffer.from(message('GroupMembersAdded', 1, samples.GroupMembersAdded)));
    expect(event).toEqual({
      known: true,
      id: EVENT_ID,
      type: 'GroupMembersAdded',
      schemaVersion: 1,
      streamId: `group-${GROUP_ID}`,
      revision: 4n,
      position: '100/7',
      occurredAt: OCCURRED_AT,
      metadata,
      data: samples.GroupMembersAdded,
    });
    if (event.known && event.type === 'GroupMembersAdded') expect(event.data.memberIds).toEqual([USER_ID]);
  });

  it('ignores fields it does not know, in the envelope and in the data (an optional field added later)', () => {
    const value = JSON.parse(message('GroupRenamed', 1, { ...(samples.GroupRenamed as object), previousName: 'Old' }));
    const event = parseEnvelope(JSON.stringify({ ...value, partitionHint: 3 }));
    expect(event).toMatchObject({ known: true, data: samples.GroupRenamed });
  });

  describe('when the type is newer than the consumer', () => {
    it('returns it as unknown, to be skipped', () => {
      const event = parseEnvelope(message('TeamLinked', 1, { teamId: 't1', groupId: GROUP_ID }));
      expect(event).toMatchObject({ known: false, reason: 'unknown-type', type: 'TeamLinked', schemaVersion: 1, data: { teamId: 't1' } });
    });
  });

  describe('when the version is newer than the consumer', () => {
    it('returns it as unknown, to be skipped', () => {
      expect(parseEnvelope(message('GroupRenamed', 2, { groupId: GROUP_ID, name: { en: 'x' } }))).toMatchObject({
        known: false,
        reason: 'newer-version',
        type: 'GroupRenamed',
        schemaVersion: 2,
      });
    });
  });

  describe('when the message is malformed', () => {
    it('rejects a value that is not JSON', () => {
      expect(() => parseEnvelope('{"id":')).toThrow(InvalidEventError);
    });

    it('rejects an envelope without its fields, naming them', () => {
      const { revision: _revision, ...rest } = JSON.parse(message('GroupDeleted', 1, samples.GroupDeleted));
      expect(() => parseEnvelope(JSON.stringify(rest))).toThrow(/not an event envelope: revision/);
    });

    it('rejects data that breaks its contract, naming the field and the event', () => {
      const parse = () => parseEnvelope(message('GroupMembersAdded', 1, { groupId: GROUP_ID, memberIds: 'not-a-list' }));
      expect(parse).toThrow(/GroupMembersAdded v1 data: memberIds/);
      try {
        parse();
      } catch (error) {
        expect(error).toMatchObject({ name: 'InvalidEventError', eventId: EVENT_ID });
      }
    });
  });
});

describe('UserDeleted v2, the one event with an older version', () => {
  it('is written as v2, with the reason always there', () => {
    expect(EVENT_CONTRACTS.UserDeleted.version).toBe(2);
    expect(EVENT_CONTRACTS.UserDeleted.data.safeParse({ userId: USER_ID, accountId: ACCOUNT_ID }).success).toBe(false);
    const schema = JSON.parse(generateEventSchemas().get('UserDeleted.v2.schema.json')!);
    expect(schema).toMatchObject({
      properties: { schemaVersion: { const: 2 }, data: { required: ['userId', 'accountId', 'reason'], properties: { reason: { enum: ['deleted', 'scim-disabled'] } } } },
    });
  });

  it('reads a v1 message of a deleted identity as reason "deleted", saying it was upcast from v1', () => {
    const event = parseEnvelope(message('UserDeleted', 1, { userId: USER_ID, accountId: ACCOUNT_ID }));
    expect(event).toMatchObject({ known: true, type: 'UserDeleted', schemaVersion: 2, upcastFrom: 1, data: { userId: USER_ID, accountId: ACCOUNT_ID, reason: 'deleted' } });
  });

  it('keeps the reason of a v1 message written when SCIM was disabled', () => {
    const event = parseEnvelope(message('UserDeleted', 1, { userId: USER_ID, accountId: ACCOUNT_ID, reason: 'scim-disabled' }));
    expect(event).toMatchObject({ schemaVersion: 2, upcastFrom: 1, data: { reason: 'scim-disabled' } });
  });

  it('refuses a v1 message with a reason v1 never had', () => {
    expect(() => parseEnvelope(message('UserDeleted', 1, { userId: USER_ID, accountId: ACCOUNT_ID, reason: 'deleted' }))).toThrow(/UserDeleted v1 data: reason/);
  });
});

describe('upcasting a recorded event for the service\'s own readers', () => {
  const recorded = (version: number, data: Record<string, unknown>): RecordedEvent => ({
    id: EVENT_ID,
    type: 'UserDeleted',
    streamId: `user-${USER_ID}`,
    revision: 3n,
    position: { commit: 10n, prepare: 4n },
    data,
    metadata: { ...metadata, schemaVersion: version },
    recordedAt: new Date(OCCURRED_AT),
  });

  it('upcasts v1 data and names the current version, leaving the stored event untouched', () => {
    const stored = recorded(1, { userId: USER_ID, accountId: ACCOUNT_ID });
    const copy = structuredClone(stored);
    const current = upcastRecordedEvent(stored);
    expect(current).toEqual({ ...stored, data: { userId: USER_ID, accountId: ACCOUNT_ID, reason: 'deleted' }, metadata: { ...metadata, schemaVersion: 2 } });
    expect(stored).toEqual(copy);
    expect(recordedSchemaVersion(stored)).toBe(1);
  });

  it('returns a current event, or one of a type without older versions, as the same object', () => {
    const current = recorded(2, { userId: USER_ID, accountId: ACCOUNT_ID, reason: 'deleted' });
    expect(upcastRecordedEvent(current)).toBe(current);
    const other = { ...current, type: 'GroupDeleted', data: { groupId: GROUP_ID } };
    expect(upcastRecordedEvent(other)).toBe(other);
  });

  it('counts an event without a schemaVersion as version 1', () => {
    const { schemaVersion: _v, ...withoutVersion } = metadata;
    const event = { ...recorded(1, { userId: USER_ID, accountId: ACCOUNT_ID }), metadata: withoutVersion };
    expect(upcastRecordedEvent(event).data).toEqual({ userId: USER_ID, accountId: ACCOUNT_ID, reason: 'deleted' });
  });
});

describe('upcasting an old version', () => {
  // A fake history: GroupRenamed v0 called the new name `name`; v1 calls it `displayName`.
  const groupRenamedV0 = z.object({ groupId: z.string(), name: z.string() });
  const contracts = {
    ...EVENT_CONTRACTS,
    GroupRenamed: eventContract({
      description: EVENT_CONTRACTS.GroupRenamed.description,
      version: 1,
      data: EVENT_CONTRACTS.GroupRenamed.data,
      older: [olderVersion(0, groupRenamedV0, ({ groupId, name }) => ({ groupId, displayName: name }))],
    }),
  };
  const parse = createEnvelopeParser(contracts);

  it('returns the current version, and says which version was written', () => {
    const event = parse(message('GroupRenamed', 0, { groupId: GROUP_ID, name: 'Platform' }));
    expect(event).toMatchObject({ known: true, type: 'GroupRenamed', schemaVersion: 1, upcastFrom: 0, data: { groupId: GROUP_ID, displayName: 'Platform' } });
  });

  it('leaves the current version alone', () => {
    const event = parse(message('GroupRenamed', 1, samples.GroupRenamed));
    expect(event).toEqual(expect.objectContaining({ known: true, schemaVersion: 1, data: samples.GroupRenamed }));
    expect(event).not.toHaveProperty('upcastFrom');
  });

  it('validates the old version before upcasting it', () => {
    expect(() => parse(message('GroupRenamed', 0, { groupId: GROUP_ID, displayName: 'already new' }))).toThrow(/GroupRenamed v0 data: name/);
  });

  it('validates what the upcaster made', () => {
    const broken = createEnvelopeParser({
      GroupRenamed: eventContract({
        description: 'x',
        version: 1,
        data: EVENT_CONTRACTS.GroupRenamed.data,
        older: [olderVersion(0, groupRenamedV0, ({ groupId }) => ({ groupId }))],
      }),
    });
    expect(() => broken(message('GroupRenamed', 0, { groupId: GROUP_ID, name: 'x' }))).toThrow(/GroupRenamed v1 data \(upcast from v0\): displayName/);
  });

  it('upcasts through every version in between', () => {
    const chained = createEnvelopeParser({
      GroupRenamed: eventContract({
        description: 'x',
        version: 2,
        data: z.object({ groupId: z.string(), displayName: z.string(), upper: z.string() }),
        older: [
          olderVersion(0, groupRenamedV0, ({ groupId, name }) => ({ groupId, displayName: name })),
          olderVersion(1, EVENT_CONTRACTS.GroupRenamed.data, (d) => ({ ...d, upper: d.displayName.toUpperCase() })),
        ],
      }),
    });
    expect(chained(message('GroupRenamed', 0, { groupId: GROUP_ID, name: 'ops' }))).toMatchObject({
      schemaVersion: 2,
      upcastFrom: 0,
      data: { displayName: 'ops', upper: 'OPS' },
    });
  });

  it('rejects a version older than any it knows', () => {
    const noHistory = createEnvelopeParser({ GroupRenamed: EVENT_CONTRACTS.GroupRenamed });
    expect(() => noHistory(message('GroupRenamed', 0, { groupId: GROUP_ID, name: 'x' }))).toThrow(/GroupRenamed v0: no schema for this version/);
  });

  it('documents the old version next to the current one', () => {
    const files = generateEventSchemas(contracts);
    expect(files.has('GroupRenamed.v0.schema.json')).toBe(true);
    expect(JSON.parse(files.get('GroupRenamed.v0.schema.json')!)).toMatchObject({
      properties: { schemaVersion: { const: 0 }, data: { required: ['groupId', 'name'] } },
    });
  });
});

const EVENT_ID = '0b6f1c8e-3c55-4f5e-9a57-1d1a3c0f2e44';
const GROUP_ID = '5d0c1f7a-8a0e-4d36-b6c1-2f4a3c9e7b10';
const USER_ID = '6b1f3c7e-2b1d-4c55-8f0e-0d5b7a9c1e23';
const ACCOUNT_ID = '9e3a2b1c-7d6f-4e5a-8b9c-0a1b2c3d4e5f';
const OCCURRED_AT = '2026-03-01T09:30:12.345Z';

const metadata = {
  requestId: 'req-1',
  correlationId: 'req-1',
  causationId: 'c0a8f5e2-9d7b-4e1c-8a3f-5b2d6e9f1a04',
  actor: { kind: 'scim-token', id: 'token-1' },
  source: { ip: '203.0.113.7', userAgent: 'Azure AD SCIM Provisioning' },
  occurredAt: OCCURRED_AT,
  schemaVersion: 1,
};

function message(type: string, schemaVersion: number, data: unknown): string {
  return JSON.stringify({
    id: EVENT_ID,
    type,
    schemaVersion,
    streamId: `group-${GROUP_ID}`,
    revision: '4',
    position: '100/7',
    occurredAt: OCCURRED_AT,
    data,
    metadata: { ...metadata, schemaVersion },
  });
}

const samples: Record<EventType, unknown> = {
  UserProvisioned: {
    userId: USER_ID,
    attributes: {
      userName: 'jane@example.com',
      name: { givenName: 'Jane', familyName: 'Doe' },
      emails: [{ value: 'jane@example.com', type: 'work', primary: true }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42', manager: null },
    },
    active: true,
    accountId: ACCOUNT_ID,
    linkedExistingAccount: false,
  },
  UserAttributesChanged: { userId: USER_ID, set: { displayName: 'Janet Doe', title: 'CTO' }, unset: ['nickName'] },
  UserDeactivated: { userId: USER_ID },
  UserReactivated: { userId: USER_ID },
  UserDeleted: { userId: USER_ID, accountId: ACCOUNT_ID, reason: 'scim-disabled' },
  GroupCreated: { groupId: GROUP_ID, displayName: 'Engineering', externalId: 'eng', memberIds: [USER_ID] },
  GroupRenamed: { groupId: GROUP_ID, displayName: 'Platform Engineering' },
  GroupExternalIdChanged: { groupId: GROUP_ID, externalId: null },
  GroupMembersAdded: { groupId: GROUP_ID, memberIds: [USER_ID] },
  GroupMembersRemoved: { groupId: GROUP_ID, memberIds: [USER_ID] },
  GroupMembersReplaced: { groupId: GROUP_ID, memberIds: [] },
  GroupDeleted: { groupId: GROUP_ID },
  AccountRegistered: { accountId: ACCOUNT_ID, email: 'jane@example.com', username: 'jane', displayName: 'Jane Doe' },
  TeamCreated: { teamId: 'team-platform', name: 'platform', isOwners: false, serviceAccounts: [{ id: ACCOUNT_ID, name: 'ci-bot' }] },
  TeamLinkedToScimGroup: { teamId: 'team-platform', groupId: GROUP_ID },
  TeamUnlinkedFromScimGroup: { teamId: 'team-platform', groupId: GROUP_ID, reason: 'group-deleted' },
  TeamLinkPaused: { teamId: 'team-platform', groupId: GROUP_ID },
  TeamLinkResumed: { teamId: 'team-platform', groupId: GROUP_ID },
  ScimEnabled: {},
  ScimPaused: {},
  ScimResumed: {},
  ScimDisabled: {},
  SiteAdminGroupSet: { groupId: GROUP_ID, previousGroupId: null },
  SiteAdminGroupCleared: { previousGroupId: GROUP_ID },
  ScimTokenCreated: { tokenId: 'tok_01', description: 'Entra ID', expiresAt: '2027-03-01T00:00:00.000Z', createdAt: OCCURRED_AT },
  ScimTokenRevoked: { tokenId: 'tok_01', reason: 'revoked' },
};
