import { ENTERPRISE, ERROR, GROUP_SCHEMA, USER_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/**
 * RFC 7643 §7: a service's /Schemas describe what it does. Every published attribute's `required`,
 * `mutability` and `uniqueness` is read from the service's own /Schemas response and checked
 * against the write path: required ones are refused when missing on POST (and nothing else is
 * required), readWrite ones round-trip through POST and PATCH, readOnly ones are ignored in a body
 * and refused as a PATCH path, writeOnly ones are never returned, server-unique ones answer 409 for
 * a duplicate and the others accept one.
 */

interface Attribute {
  readonly name: string;
  readonly type: string;
  readonly multiValued: boolean;
  readonly required: boolean;
  readonly mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  readonly uniqueness: 'none' | 'server' | 'global';
  readonly canonicalValues?: readonly string[];
  readonly subAttributes?: readonly Attribute[];
}

interface Target {
  readonly resourceType: 'User' | 'Group';
  readonly endpoint: '/Users' | '/Groups';
  /** The schema the attribute is published in; an extension's attributes sit under its URN. */
  readonly schema: string;
  readonly attribute: Attribute;
}

describe('the published schemas describe what the write path enforces (RFC 7643 §7)', () => {
  let api: ScimApiUnderTest;
  let targets: Target[];
  let memberIds: string[];
  let n = 0;
  beforeAll(async () => {
    api = await startScimApi('scim_schema_conformance');
    const res = await api.scim('get', '/Schemas');
    expect(res.status).toBe(200);
    const schemas = res.body.Resources as { id: string; attributes: Attribute[] }[];
    targets = [
      ...[USER_SCHEMA, ENTERPRISE].flatMap((id) => attributesOf(schemas, id).map((attribute) => ({ resourceType: 'User' as const, endpoint: '/Users' as const, schema: id, attribute }))),
      ...attributesOf(schemas, GROUP_SCHEMA).map((attribute) => ({ resourceType: 'Group' as const, endpoint: '/Groups' as const, schema: GROUP_SCHEMA, attribute })),
    ];
    memberIds = [];
    for (const name of ['member-a', 'member-b']) memberIds.push((await api.scim('post', '/Users', newUser(`${name}@example.com`))).body.id);
  });
  afterAll(async () => {
    await api.close();
  });

  /** A value of the attribute (a different one each call where it can differ), writable parts only. */
  function sample(attribute: Attribute, path: string): unknown {
    const i = ++n;
    if (path === 'members') return [{ value: memberIds[i % 2] }];
    if (attribute.type === 'complex') {
      const object = Object.fromEntries(
        (attribute.subAttributes ?? []).filter((sub) => sub.mutability !== 'readOnly').map((sub) => [sub.name, sample(sub, `${path}.${sub.name}`)]),
      );
      return attribute.multiValued ? [object] : object;
    }
    const one = (() => {
      switch (attribute.type) {
        case 'boolean':
          return path === 'active' ? false : true;
        case 'reference':
          return `https://example.com/${path}/${i}`;
        case 'binary':
          return Buffer.from(`${path}-${i}`).toString('base64');
        case 'dateTime':
          return new Date(Date.UTC(2020, 0, 1 + i)).toISOString();
        default:
          return attribute.canonicalValues?.[0] ?? `${path}-${i}@example.com`;
      }
    })();
    return attribute.multiValued ? [one] : one;
  }

  const isRequired = (target: Target) => target.attribute.required;
  const pathOf = ({ schema, attribute }: Target) => (schema === ENTERPRISE ? `${ENTERPRISE}:${attribute.name}` : attribute.name);
  const forType = (resourceType: Target['resourceType']) => targets.filter((t) => t.resourceType === resourceType);

  /** A body holding only the required attributes, plus `extra` (an attribute's path and value). */
  function minimal(resourceType: Target['resourceType'], extra?: { target: Target; value: unknown }, without?: Target): Record<string, unknown> {
    const body: Record<string, unknown> = { schemas: [resourceType === 'User' ? USER_SCHEMA : GROUP_SCHEMA] };
    for (const target of forType(resourceType).filter(isRequired)) if (target !== without) body[target.attribute.name] = sample(target.attribute, target.attribute.name);
    if (extra) {
      if (extra.target.schema === ENTERPRISE) {
        body[ENTERPRISE] = { [extra.target.attribute.name]: extra.value };
        body.schemas = [USER_SCHEMA, ENTERPRISE];
      } else body[extra.target.attribute.name] = extra.value;
    }
    return body;
  }

  const read = (body: Record<string, unknown>, target: Target) => (target.schema === ENTERPRISE ? (body[ENTERPRISE] as Record<string, unknown> | undefined)?.[target.attribute.name] : body[target.attribute.name]);

  /** What a value looks like once stored and rendered: members carry display, $ref and type. */
  function expectStored(actual: unknown, value: unknown, target: Target): void {
    if (target.attribute.name === 'members') expect((actual as { value: string }[]).map((m) => m.value)).toEqual((value as { value: string }[]).map((m) => m.value));
    else expect(actual).toEqual(value);
  }

  it('requires exactly the attributes published as required: a body of only those is created', async () => {
    for (const resourceType of ['User', 'Group'] as const) {
      const res = await api.scim('post', `/${resourceType}s`, minimal(resourceType));
      expect([resourceType, res.status]).toEqual([resourceType, 201]);
    }
    expect(targets.filter(isRequired).map(pathOf).sort()).toEqual(['displayName', 'emails', 'userName']);
  });

  it('refuses a POST without a required attribute with 400 invalidValue naming it', async () => {
    for (const target of targets.filter(isRequired)) {
      const res = await api.scim('post', target.endpoint, minimal(target.resourceType, undefined, target));
      expect([pathOf(target), res.status, res.body.scimType]).toEqual([pathOf(target), 400, 'invalidValue']);
      expect(res.body.detail).toMatch(new RegExp(target.attribute.name.replace(/s$/, ''), 'i'));
    }
  });

  it('stores readWrite attributes from a POST and replaces them by PATCH', async () => {
    const readWrite = targets.filter((t) => t.attribute.mutability === 'readWrite' && !t.attribute.required);
    expect(readWrite.length).toBeGreaterThan(20);
    for (const target of readWrite) {
      const value = sample(target.attribute, pathOf(target));
      const created = await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value }));
      expect([pathOf(target), created.status]).toEqual([pathOf(target), 201]);
      expectStored(read(created.body, target), value, target);

      const next = sample(target.attribute, pathOf(target));
      const patched = await api.scim('patch', `${target.endpoint}/${created.body.id}`, patchOp({ op: 'replace', path: pathOf(target), value: next }));
      expect([pathOf(target), patched.status]).toEqual([pathOf(target), 200]);
      expectStored(read(patched.body, target), next, target);
    }
  });

  it('ignores readOnly attributes in a POST body and refuses them as a PATCH path with 400 mutability', async () => {
    const readOnly = targets.filter((t) => t.attribute.mutability === 'readOnly');
    // id and meta are common attributes (RFC 7643 §3.1), published in no schema; PUT and PATCH specs cover them.
    expect(readOnly.map((t) => `${t.resourceType}.${t.attribute.name}`)).toEqual(['User.groups']);
    for (const target of readOnly) {
      const value = sample(target.attribute, pathOf(target));
      const created = await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value }));
      expect([pathOf(target), created.status]).toEqual([pathOf(target), 201]);
      expect(read(created.body, target)).not.toEqual(value);

      const patched = await api.scim('patch', `${target.endpoint}/${created.body.id}`, patchOp({ op: 'replace', path: pathOf(target), value }));
      expect([pathOf(target), patched.status, patched.body.scimType]).toEqual([pathOf(target), 400, 'mutability']);
    }
  });

  it('ignores readOnly sub-attributes of writable complex attributes', async () => {
    const cases = targets.flatMap((target) =>
      target.attribute.mutability === 'readOnly' ? [] : (target.attribute.subAttributes ?? []).filter((sub) => sub.mutability === 'readOnly').map((sub) => ({ target, sub })),
    );
    expect(cases.map(({ target, sub }) => `${pathOf(target)}.${sub.name}`).sort()).toEqual(['members.display', `${ENTERPRISE}:manager.displayName`]);
    for (const { target, sub } of cases) {
      const base = sample(target.attribute, pathOf(target));
      const value = Array.isArray(base) ? base.map((item) => ({ ...item, [sub.name]: 'Sent by the client' })) : { ...(base as object), [sub.name]: 'Sent by the client' };
      const created = await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value }));
      expect(created.status).toBe(201);
      expect(JSON.stringify(read(created.body, target))).not.toContain('Sent by the client');
    }
  });

  it('never returns a writeOnly attribute', async () => {
    const writeOnly = targets.filter((t) => t.attribute.mutability === 'writeOnly');
    expect(writeOnly.map(pathOf)).toEqual(['password']);
    for (const target of writeOnly) {
      const created = await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value: 'S3cret-value!' }));
      expect(created.status).toBe(201);
      expect(JSON.stringify(created.body)).not.toContain('S3cret-value!');
      expect(JSON.stringify((await api.scim('get', `${target.endpoint}/${created.body.id}`)).body)).not.toContain('S3cret-value!');
    }
  });

  it('keeps an immutable member value: changing it in place is 400 mutability', async () => {
    const immutable = targets.flatMap((t) => (t.attribute.subAttributes ?? []).filter((sub) => sub.mutability === 'immutable').map((sub) => `${pathOf(t)}.${sub.name}`));
    expect(immutable.sort()).toEqual(['members.$ref', 'members.type', 'members.value']);
    const group = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Immutable members', members: [{ value: memberIds[0] }] });
    const res = await api.scim('patch', `/Groups/${group.body.id}`, patchOp({ op: 'replace', path: `members[value eq "${memberIds[0]}"].value`, value: memberIds[1] }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ schemas: [ERROR], scimType: 'mutability' });
    // $ref and type are derived from value (a member is always a User): the service stores neither.
  });

  it('answers 409 uniqueness for a duplicate of a server-unique attribute (case-insensitive), and accepts duplicates of every other one', async () => {
    const unique = targets.flatMap((t) => [
      ...(t.attribute.uniqueness === 'server' && t.attribute.mutability !== 'readOnly' ? [{ target: t, path: pathOf(t) }] : []),
      ...(t.attribute.subAttributes ?? []).filter((sub) => sub.uniqueness === 'server').map(() => ({ target: t, path: `${pathOf(t)}.value` })),
    ]);
    expect(unique.map((u) => `${u.target.resourceType}.${u.path}`).sort()).toEqual(['Group.displayName', 'User.emails.value', 'User.userName']);
    for (const { target } of unique) {
      const value = sample(target.attribute, pathOf(target));
      expect((await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value }))).status).toBe(201);
      const shouted = upperCased(value);
      const duplicate = await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value: shouted }));
      expect([pathOf(target), duplicate.status, duplicate.body.scimType]).toEqual([pathOf(target), 409, 'uniqueness']);
    }

    const notUnique = targets.filter((t) => t.attribute.uniqueness === 'none' && (t.attribute.mutability === 'readWrite' || t.attribute.mutability === 'immutable') && !t.attribute.required);
    expect(notUnique.map(pathOf)).toContain('externalId');
    for (const target of notUnique) {
      if ((target.attribute.subAttributes ?? []).some((sub) => sub.uniqueness === 'server')) continue;
      const value = sample(target.attribute, pathOf(target));
      for (const attempt of [1, 2]) {
        const res = await api.scim('post', target.endpoint, minimal(target.resourceType, { target, value }));
        expect([pathOf(target), attempt, res.status]).toEqual([pathOf(target), attempt, 201]);
      }
    }
  });
});

function attributesOf(schemas: readonly { id: string; attributes: Attribute[] }[], id: string): Attribute[] {
  const schema = schemas.find((s) => s.id === id);
  if (!schema) throw new Error(`/Schemas has no ${id}`);
  return schema.attributes;
}

/** The value with every string in upper case: a duplicate that differs only in letter case. */
function upperCased(value: unknown): unknown {
  if (typeof value === 'string') return value.toUpperCase();
  if (Array.isArray(value)) return value.map(upperCased);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, upperCased(item)]));
  return value;
}
