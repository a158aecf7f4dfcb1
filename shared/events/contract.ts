import { z } from 'zod';
import type { JsonValue } from '../domain/json';
import type { EventMetadata } from '../domain/metadata';
import { ENVELOPE_POSITION_PATTERN } from './position';

/**
 * The published contract of the event stream: the Kafka envelope, and the data of every event type
 * in every schema version it was ever written with. docs/events/ is generated from this file
 * (scripts/generate-event-schemas.ts), and consumers parse with it (consumer-parser.ts).
 *
 * Evolving an event:
 * - adding an optional field is compatible: same schemaVersion (readers ignore fields they do not know);
 * - anything else (rename, remove, retype, a new required field) is a new schemaVersion: the domain
 *   writes it, the old data schema moves to `older` with an upcaster to the next version, and the
 *   stored events keep their version (they are upcast when read, never rewritten).
 * Adding an event type: one entry in EVENT_CONTRACTS, and its type in the aggregate's events
 * (`DomainEvent<'X', ContractData<'X'>>`, see shared/domain/users/events.ts).
 *
 * This is the one declaration of every event's shape: the domain's event types are derived from
 * these schemas (ContractData below), so the TypeScript types and the published JSON Schemas cannot
 * drift apart. It imports nothing but zod and the domain's JSON and metadata types.
 */

// ---------------------------------------------------------------------------------------------------
// Building blocks

export const jsonValue: z.ZodType<JsonValue> = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(z.lazy(() => jsonValue)),
    z.record(
      z.string(),
      z.lazy(() => jsonValue),
    ),
  ])
  .meta({ id: 'JsonValue', description: 'Any JSON value.' });

/** 8-4-4-4-12 hex digits; the service writes random (v4) UUIDs. */
const uuid = (description: string) => z.guid().meta({ description });

const timestamp = (description: string) => z.iso.datetime({ offset: true }).meta({ description });

const userId = uuid('The SCIM id of the user (`/Users/{id}`); the stream is `user-<userId>`.');
const groupId = uuid('The SCIM id of the group (`/Groups/{id}`); the stream is `group-<groupId>`.');
const accountId = uuid('The platform account the identity signs in as; the stream is `account-<accountId>`.');
const memberIds = z.array(uuid('A member: the SCIM id of a user.')).meta({ description: 'User ids, each once.' });

/**
 * A user's client-owned SCIM attributes as the client sent them (normalised): core attributes by
 * name, the enterprise extension under its URN. Never `active`, `id`, `meta`, `groups` or `schemas`.
 */
const userAttributes = z
  .object({ userName: z.string().min(1).meta({ description: 'Unique, case-insensitive.' }) })
  .catchall(jsonValue)
  .meta({ description: 'SCIM User attributes (RFC 7643 §4.1), the enterprise extension under its URN key.' });

// ---------------------------------------------------------------------------------------------------
// Event data, one schema per type and version

const userProvisionedV1 = z.object({
  userId,
  attributes: userAttributes,
  active: z.boolean(),
  accountId,
  linkedExistingAccount: z
    .boolean()
    .meta({ description: 'True when an existing platform account with the same email was linked instead of created.' }),
});

const userAttributesChangedV1 = z.object({
  userId,
  set: z
    .object({ userName: z.string().min(1).optional() })
    // Optional: the domain type is a Partial; JSON itself never carries undefined.
    .catchall(jsonValue.optional())
    .meta({ description: 'Top-level attributes whose value changed, with their new (whole) value.' }),
  unset: z.array(z.string()).meta({ description: 'Names of top-level attributes that were removed.' }),
});

const userDeactivatedV1 = z.object({ userId });
const userReactivatedV1 = z.object({ userId });

const userDeletedV1 = z.object({
  userId,
  accountId,
  reason: z
    .literal('scim-disabled')
    .optional()
    .meta({ description: 'Absent: the identity was deleted, its account suspended. `scim-disabled`: SCIM was disabled; the account is only unlinked.' }),
});

/** v2: `reason` is always there; v1's absent reason is `deleted`. */
const userDeletedV2 = z.object({
  userId,
  accountId,
  reason: z
    .enum(['deleted', 'scim-disabled'])
    .meta({ description: '`deleted`: the identity was deleted, its account suspended. `scim-disabled`: SCIM was disabled; the account is only unlinked.' }),
});

const groupCreatedV1 = z.object({
  groupId,
  displayName: z.string().min(1).meta({ description: 'Unique, case-insensitive.' }),
  externalId: z.string().optional(),
  memberIds,
});

const groupRenamedV1 = z.object({ groupId, displayName: z.string().min(1) });

const groupExternalIdChangedV1 = z.object({
  groupId,
  externalId: z.string().nullable().meta({ description: '`null` clears it.' }),
});

const groupMembersAddedV1 = z.object({ groupId, memberIds });
const groupMembersRemovedV1 = z.object({ groupId, memberIds });
const groupMembersReplacedV1 = z.object({ groupId, memberIds: memberIds.meta({ description: 'The full roster after the change.' }) });
const groupDeletedV1 = z.object({ groupId });

const accountRegisteredV1 = z.object({
  accountId,
  email: z.string().min(1),
  username: z.string().min(1),
  displayName: z.string().optional(),
});

const teamId = z
  .string()
  .regex(/^team-[a-z0-9][a-z0-9-]{0,62}$/)
  .meta({ description: 'The team id, which is also its stream: `team-<name>`.' });
const linkedGroupId = uuid('The SCIM group the team follows.');

const teamCreatedV1 = z.object({
  teamId,
  name: z.string().min(1),
  isOwners: z.boolean().meta({ description: 'The owners team: its members administer the platform.' }),
  serviceAccounts: z
    .array(z.object({ id: z.string(), name: z.string() }))
    .meta({ description: 'Members that are not people: they stay when the team follows a group.' }),
});
const teamLinkedToScimGroupV1 = z.object({ teamId, groupId: linkedGroupId });
const teamUnlinkedFromScimGroupV1 = z.object({
  teamId,
  groupId: linkedGroupId,
  reason: z.enum(['unlinked', 'group-deleted', 'scim-disabled']).meta({ description: 'The members stay as they are in every case.' }),
});
const teamLinkPausedV1 = z.object({ teamId, groupId: linkedGroupId });
const teamLinkResumedV1 = z.object({ teamId, groupId: linkedGroupId });

const noData = z.object({}).meta({ description: 'No data: the type says it all.' });
const siteAdminGroupSetV1 = z.object({
  groupId: uuid('The SCIM group whose members are site admins.'),
  previousGroupId: z.guid().nullable(),
});
const siteAdminGroupClearedV1 = z.object({ previousGroupId: z.guid() });

const tokenId = z.string().min(1).meta({ description: 'The token id (never its value); the stream is `scim-token-<tokenId>`.' });
const scimTokenCreatedV1 = z.object({
  tokenId,
  description: z.string(),
  expiresAt: timestamp('When the token stops working.'),
  createdAt: timestamp('When the token was created.'),
});
const scimTokenRevokedV1 = z.object({ tokenId, reason: z.enum(['revoked', 'scim-disabled']) });

// ---------------------------------------------------------------------------------------------------
// Contracts

/** A version older than the current one, with the function that turns its data into the next version's. */
export interface OlderEventVersion {
  readonly version: number;
  readonly data: z.ZodType;
  readonly upcast: (data: unknown) => unknown;
}

export interface EventContract<Data extends z.ZodType = z.ZodType> {
  readonly description: string;
  /** The version the service writes now, and the one every reader gets after upcasting. */
  readonly version: number;
  readonly data: Data;
  /** Consecutive versions up to `version - 1`, oldest first. */
  readonly older: readonly OlderEventVersion[];
}

export type EventContracts = { readonly [type: string]: EventContract };

/** An older version's data schema and its upcaster to version + 1 (typed by the schema). */
export function olderVersion<Data extends z.ZodType>(
  version: number,
  data: Data,
  upcast: (data: z.output<Data>) => unknown,
): OlderEventVersion {
  return { version, data, upcast: (value) => upcast(value as z.output<Data>) };
}

export function eventContract<Data extends z.ZodType>(spec: {
  readonly description: string;
  readonly version: number;
  readonly data: Data;
  readonly older?: readonly OlderEventVersion[];
}): EventContract<Data> {
  const older = [...(spec.older ?? [])].sort((a, b) => a.version - b.version);
  older.forEach((entry, i) => {
    const next = older[i + 1]?.version ?? spec.version;
    if (entry.version + 1 !== next) {
      throw new Error(`event contract: version ${entry.version} upcasts to ${entry.version + 1}, but the next version is ${next}`);
    }
  });
  return { description: spec.description, version: spec.version, data: spec.data, older };
}

export const EVENT_CONTRACTS = {
  UserProvisioned: eventContract({
    description: 'A SCIM user was created, with its full initial attributes and the platform account it signs in as.',
    version: 1,
    data: userProvisionedV1,
  }),
  UserAttributesChanged: eventContract({
    description: 'Attributes of a user changed (PUT or PATCH): only the top-level attributes that changed.',
    version: 1,
    data: userAttributesChangedV1,
  }),
  UserDeactivated: eventContract({ description: 'A user was set `active: false`.', version: 1, data: userDeactivatedV1 }),
  UserReactivated: eventContract({ description: 'A user was set `active: true` again.', version: 1, data: userReactivatedV1 }),
  UserDeleted: eventContract({
    description: 'The SCIM identity is gone and has left every group; its platform account is suspended (never deleted), or only unlinked when SCIM was disabled.',
    version: 2,
    data: userDeletedV2,
    // v1 (written until v2 came) left `reason` out for an identity deleted by its identity provider.
    older: [olderVersion(1, userDeletedV1, ({ reason, ...rest }) => ({ ...rest, reason: reason ?? 'deleted' }))],
  }),
  GroupCreated: eventContract({ description: 'A SCIM group was created, with its initial members.', version: 1, data: groupCreatedV1 }),
  GroupRenamed: eventContract({ description: 'A group got a new displayName.', version: 1, data: groupRenamedV1 }),
  GroupExternalIdChanged: eventContract({ description: "A group's externalId was set or cleared.", version: 1, data: groupExternalIdChangedV1 }),
  GroupMembersAdded: eventContract({ description: 'Users joined a group (only those not already members).', version: 1, data: groupMembersAddedV1 }),
  GroupMembersRemoved: eventContract({ description: 'Users left a group (only those that were members).', version: 1, data: groupMembersRemovedV1 }),
  GroupMembersReplaced: eventContract({
    description: "A group's whole roster was replaced (PUT, or a PATCH replace of `members`).",
    version: 1,
    data: groupMembersReplacedV1,
  }),
  GroupDeleted: eventContract({ description: 'A group was deleted; its members are no longer members of anything through it.', version: 1, data: groupDeletedV1 }),
  AccountRegistered: eventContract({
    description: 'A platform account that exists outside SCIM was registered, so a SCIM user with its email links to it.',
    version: 1,
    data: accountRegisteredV1,
  }),
  TeamCreated: eventContract({ description: 'A platform team was created.', version: 1, data: teamCreatedV1 }),
  TeamLinkedToScimGroup: eventContract({
    description: "A team now follows a SCIM group: its human members are the group's active members.",
    version: 1,
    data: teamLinkedToScimGroupV1,
  }),
  TeamUnlinkedFromScimGroup: eventContract({
    description: 'A team stopped following its SCIM group; its members stay as they are.',
    version: 1,
    data: teamUnlinkedFromScimGroupV1,
  }),
  TeamLinkPaused: eventContract({ description: "A team's link is paused: its members stop following the group for now.", version: 1, data: teamLinkPausedV1 }),
  TeamLinkResumed: eventContract({ description: "A team's link is resumed: its members catch up with the group at once.", version: 1, data: teamLinkResumedV1 }),
  ScimEnabled: eventContract({ description: 'SCIM provisioning was enabled (stream `scim-settings`).', version: 1, data: noData }),
  ScimPaused: eventContract({ description: 'SCIM provisioning was paused: requests are refused, nothing is removed.', version: 1, data: noData }),
  ScimResumed: eventContract({ description: 'SCIM provisioning was resumed.', version: 1, data: noData }),
  ScimDisabled: eventContract({
    description: 'SCIM was disabled: identities, groups, memberships, team links and tokens go; accounts, teams and admin grants stay.',
    version: 1,
    data: noData,
  }),
  SiteAdminGroupSet: eventContract({ description: 'The members of a SCIM group are now site admins.', version: 1, data: siteAdminGroupSetV1 }),
  SiteAdminGroupCleared: eventContract({
    description: 'No group grants site admin any more; existing grants stay.',
    version: 1,
    data: siteAdminGroupClearedV1,
  }),
  ScimTokenCreated: eventContract({ description: 'A SCIM bearer token was created (its value is never in an event).', version: 1, data: scimTokenCreatedV1 }),
  ScimTokenRevoked: eventContract({ description: 'A SCIM bearer token was revoked.', version: 1, data: scimTokenRevokedV1 }),
} as const satisfies EventContracts;

export type EventType = keyof typeof EVENT_CONTRACTS;
export type EventDataOf<C extends EventContracts, T extends keyof C> = z.output<C[T]['data']>;
export type EventData<T extends EventType> = EventDataOf<typeof EVENT_CONTRACTS, T>;

// ---------------------------------------------------------------------------------------------------
// Envelope (the Kafka message value)

export const metadataSchema = z
  .looseObject({
    requestId: z.string().meta({ description: 'The HTTP request that caused the event (X-Request-Id).' }),
    correlationId: z.string(),
    causationId: z.string().meta({ description: 'The command that decided the event.' }),
    actor: z
      .looseObject({
        kind: z.string().min(1).meta({ description: 'scim-token, bootstrap-token, admin, system or import; more may come.' }),
        id: z.string().meta({ description: 'Token id or admin id, never a secret.' }),
      })
      .meta({ description: 'Who caused the change.' }),
    source: z
      .looseObject({ ip: z.string().optional(), userAgent: z.string().optional() })
      .meta({ description: 'Where the request came from.' }),
    occurredAt: timestamp('When the service decided the event.'),
    schemaVersion: z.int().min(0),
  })
  .meta({ description: 'Why, by whom and from where; the same for every event type.' });

export const envelopeSchema = z
  .looseObject({
    id: uuid('The event id: unique, the same on every delivery.'),
    type: z.string().min(1).meta({ description: 'The event type, e.g. `GroupMembersAdded`.' }),
    schemaVersion: z.int().min(0).meta({ description: 'Version of `data` for this type; the service writes 1 and up.' }),
    streamId: z.string().min(1).meta({ description: 'The aggregate: `user-<uuid>`, `group-<uuid>`, `account-<uuid>`, ... Also the Kafka message key.' }),
    revision: z
      .string()
      .regex(/^(0|[1-9][0-9]*)$/)
      .meta({ description: "0-based position of the event in its stream, as a decimal string. Dedupe by (streamId, revision)." }),
    position: z
      .string()
      .regex(ENVELOPE_POSITION_PATTERN)
      .meta({ description: 'Position in the global log, `<commit>/<prepare>`; orders events across streams.' }),
    occurredAt: timestamp('When the service decided the event (RFC 3339).'),
    data: z.record(z.string(), z.unknown()).meta({ description: 'The event itself; its schema is `<type>.v<schemaVersion>.schema.json`.' }),
    metadata: metadataSchema,
  })
  .meta({ title: 'Event envelope v1', description: 'The value of every message on the events topic (JSON, UTF-8).' });

/** The JSON value of a Kafka message; `data` and `metadata` as recorded. */
export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly streamId: string;
  readonly revision: string;
  readonly position: string;
  readonly occurredAt: string;
  readonly data: { readonly [key: string]: unknown };
  readonly metadata: { readonly [key: string]: unknown };
}

export type EnvelopeMetadata = z.output<typeof metadataSchema>;

/** A whole message of one type and version: the envelope with its `data` schema. */
export function messageSchema(type: string, version: number, data: z.ZodType, description?: string) {
  return envelopeSchema
    .extend({ type: z.literal(type), schemaVersion: z.literal(version), data })
    .meta({
      title: `${type} v${version}`,
      description: `${description ? `${description} ` : ''}The value of a \`${type}\` message with schemaVersion ${version} on the events topic.`,
    });
}

// ---------------------------------------------------------------------------------------------------
// The domain's view of the data

/**
 * Read-only all the way down. JsonValue (already read-only, and recursive) is kept as it is; an index
 * signature only where its values are JSON (a catchall of JSON values), not one of a schema that
 * merely tolerates more (a loose object).
 */
type DeepReadonly<T> = [T] extends [JsonValue] ? ([JsonValue] extends [T] ? T : DeepReadonlyOf<T>) : DeepReadonlyOf<T>;
type DeepReadonlyOf<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T as string extends K ? (T extends { readonly [key: string]: JsonValue | undefined } ? K : never) : K]: DeepReadonly<T[K]> }
    : T;

/**
 * The data of an event type as the domain records and folds it: the current version's schema
 * output, read-only. The domain declares its events with it, e.g.
 * `type UserDeactivated = DomainEvent<'UserDeactivated', ContractData<'UserDeactivated'>>`.
 */
export type ContractData<T extends EventType> = DeepReadonly<EventData<T>>;

// Compile-time guard: the metadata the domain writes is what the contract publishes.
const _metadataFits: [EventMetadata] extends [DeepReadonly<z.input<typeof metadataSchema>>] ? true : false = true;
void _metadataFits;
