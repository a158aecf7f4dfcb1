/**
 * Request bodies shaped like Microsoft Entra ID's provisioning service sends them (a user create
 * carries the core and enterprise schemas, externalId = the Entra object id, a work email, name
 * parts, title, phone numbers, a work address and enterprise attributes; about 1 KB), and the
 * same attributes as a UserProvisioned event holds them, for seeding through the event store.
 */
import { createHash } from 'node:crypto';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Leslie'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Lamport'];
const DEPARTMENTS = ['Engineering', 'Finance', 'Sales', 'Marketing', 'Operations', 'Legal', 'Support'];

/** A stable UUID-shaped id for `seed` (the Entra object id of a user). */
export function objectId(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The userName of user `n` of run `run` (unique per run and n). */
export const userNameOf = (run: string, n: number) => `${GIVEN[n % GIVEN.length]}.${FAMILY[(n >> 3) % FAMILY.length]}.${n}.${run}@contoso.com`.toLowerCase();

/** The client-owned attributes of user `n`, as the body carries them and a UserProvisioned event stores them. */
export function entraUserAttributes(run: string, n: number): Record<string, unknown> & { userName: string } {
  const given = GIVEN[n % GIVEN.length]!;
  const family = FAMILY[(n >> 3) % FAMILY.length]!;
  const userName = userNameOf(run, n);
  return {
    externalId: objectId(`${run}/${n}`),
    userName,
    displayName: `${given} ${family} ${n}`,
    title: 'Senior Software Engineer',
    preferredLanguage: 'en-US',
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    phoneNumbers: [
      { type: 'work', value: `+1 425 555 ${String(n % 10_000).padStart(4, '0')}` },
      { type: 'mobile', value: `+1 206 555 ${String((n * 7) % 10_000).padStart(4, '0')}` },
    ],
    addresses: [{ type: 'work', streetAddress: '1 Microsoft Way', locality: 'Redmond', region: 'WA', postalCode: '98052', country: 'US', primary: true }],
    [ENTERPRISE]: {
      employeeNumber: String(100_000 + n),
      department: DEPARTMENTS[n % DEPARTMENTS.length],
      costCenter: `CC-${(n % 40) + 100}`,
      organization: 'Contoso',
      division: 'Cloud',
    },
  };
}

/** The POST /Users body Entra sends for user `n`. */
export function entraUserBody(run: string, n: number): Record<string, unknown> {
  return { schemas: [USER_SCHEMA, ENTERPRISE], active: true, ...entraUserAttributes(run, n), meta: { resourceType: 'User' } };
}

/** The PATCH Entra sends when an attribute changes in the directory. */
export function entraUserPatch(title: string): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'title', value: title }] };
}

/** The PATCH Entra sends when a member joins (add) or leaves (remove) a group. */
export function entraMemberPatch(op: 'Add' | 'Remove', memberId: string): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op, path: 'members', value: [{ value: memberId }] }] };
}

/** `userName eq "<name>"`, URL-encoded, as Entra's matching query sends it. */
export const byUserName = (userName: string) => `filter=${encodeURIComponent(`userName eq "${userName}"`)}`;
