import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA_ID,
  GROUP_SCHEMA,
  GROUP_SCHEMA_ID,
  RESOURCE_TYPES,
  SCHEMAS,
  USER_SCHEMA,
  USER_SCHEMA_ID,
  findSchema,
  resolveAttributePath,
  type AttributeDefinition,
} from '../../../shared/scim/schemas';

describe('resolveAttributePath', () => {
  describe('for Users', () => {
    it('resolves a core attribute to its definition', () => {
      expect(resolveAttributePath('User', { attribute: 'userName' })).toEqual({
        schemaId: USER_SCHEMA_ID,
        isExtension: false,
        attribute: expect.objectContaining({ name: 'userName', type: 'string', required: true, caseExact: false, uniqueness: 'server' }),
      });
    });

    it.each([
      ['username', undefined, 'userName', undefined],
      ['USERNAME', undefined, 'userName', undefined],
      ['Name', 'GIVENNAME', 'name', 'givenName'],
      ['EMAILS', 'value', 'emails', 'value'],
      ['members', undefined, undefined, undefined],
      ['META', 'lastmodified', 'meta', 'lastModified'],
      ['ID', undefined, 'id', undefined],
      ['externalid', undefined, 'externalId', undefined],
      ['x509certificates', 'VALUE', 'x509Certificates', 'value'],
      ['groups', '$REF', 'groups', '$ref'],
    ])('matches %s.%s case-insensitively', (attribute, subAttribute, expectedAttribute, expectedSubAttribute) => {
      const resolved = resolveAttributePath('User', { attribute, ...(subAttribute === undefined ? {} : { subAttribute }) });
      expect(resolved?.attribute.name).toBe(expectedAttribute);
      expect(resolved?.subAttribute?.name).toBe(expectedSubAttribute);
    });

    it('resolves a core attribute under the core schema URN, in any case', () => {
      for (const schema of [USER_SCHEMA_ID, USER_SCHEMA_ID.toUpperCase()]) {
        expect(resolveAttributePath('User', { schema, attribute: 'name', subAttribute: 'givenName' })).toMatchObject({
          schemaId: USER_SCHEMA_ID,
          isExtension: false,
          attribute: { name: 'name' },
          subAttribute: { name: 'givenName' },
        });
      }
    });

    it('resolves the common attributes under the core schema URN', () => {
      expect(resolveAttributePath('User', { schema: USER_SCHEMA_ID, attribute: 'id' })).toMatchObject({
        schemaId: USER_SCHEMA_ID,
        attribute: { name: 'id' },
      });
    });

    it.each(['employeeNumber', 'costCenter', 'organization', 'division', 'department'])(
      'resolves the enterprise extension attribute %s under its URN',
      (attribute) => {
        expect(resolveAttributePath('User', { schema: ENTERPRISE_USER_SCHEMA_ID, attribute: attribute.toLowerCase() })).toMatchObject({
          schemaId: ENTERPRISE_USER_SCHEMA_ID,
          isExtension: true,
          attribute: { name: attribute, type: 'string', caseExact: false },
        });
      },
    );

    it('resolves the manager sub-attributes of the enterprise extension', () => {
      const value = resolveAttributePath('User', { schema: ENTERPRISE_USER_SCHEMA_ID, attribute: 'manager', subAttribute: 'value' });
      expect(value).toMatchObject({ isExtension: true, attribute: { name: 'manager', type: 'complex' }, subAttribute: { name: 'value' } });
      const displayName = resolveAttributePath('User', { schema: ENTERPRISE_USER_SCHEMA_ID, attribute: 'manager', subAttribute: 'displayName' });
      expect(displayName?.subAttribute).toMatchObject({ mutability: 'readOnly' });
    });

    it('resolves meta.created and meta.lastModified as dateTime', () => {
      for (const subAttribute of ['created', 'lastModified']) {
        expect(resolveAttributePath('User', { attribute: 'meta', subAttribute })?.subAttribute).toMatchObject({
          name: subAttribute,
          type: 'dateTime',
          mutability: 'readOnly',
        });
      }
    });

    it.each([
      ['an unknown attribute', { attribute: 'nope' }],
      ['an unknown sub-attribute', { attribute: 'name', subAttribute: 'nope' }],
      ['a sub-attribute of a simple attribute', { attribute: 'userName', subAttribute: 'value' }],
      ['an extension attribute without its URN (RFC 7644 §3.10)', { attribute: 'employeeNumber' }],
      ['a core attribute under the extension URN', { schema: ENTERPRISE_USER_SCHEMA_ID, attribute: 'userName' }],
      ['a common attribute under the extension URN', { schema: ENTERPRISE_USER_SCHEMA_ID, attribute: 'id' }],
      ['an attribute under an unknown schema', { schema: 'urn:example:schema', attribute: 'userName' }],
      ['an attribute under the Group schema', { schema: GROUP_SCHEMA_ID, attribute: 'displayName' }],
      ['a Group attribute', { attribute: 'members' }],
    ])('finds nothing for %s', (_case, path) => {
      expect(resolveAttributePath('User', path)).toBeUndefined();
    });
  });

  describe('for Groups', () => {
    it('resolves displayName: required, unique, case-insensitive', () => {
      expect(resolveAttributePath('Group', { attribute: 'DISPLAYNAME' })).toMatchObject({
        schemaId: GROUP_SCHEMA_ID,
        isExtension: false,
        attribute: { name: 'displayName', required: true, caseExact: false, uniqueness: 'server' },
      });
    });

    it('resolves members.value as case-exact and immutable', () => {
      expect(resolveAttributePath('Group', { schema: GROUP_SCHEMA_ID, attribute: 'members', subAttribute: 'value' })).toMatchObject({
        attribute: { name: 'members', multiValued: true },
        subAttribute: { name: 'value', caseExact: true, mutability: 'immutable' },
      });
    });

    it('resolves the common attributes', () => {
      expect(resolveAttributePath('Group', { attribute: 'externalId' })?.attribute).toMatchObject({ caseExact: true });
      expect(resolveAttributePath('Group', { attribute: 'meta', subAttribute: 'created' })?.schemaId).toBe(GROUP_SCHEMA_ID);
    });

    it.each([
      ['a User attribute', { attribute: 'userName' }],
      ['the enterprise extension', { schema: ENTERPRISE_USER_SCHEMA_ID, attribute: 'employeeNumber' }],
      ['an attribute under the User schema', { schema: USER_SCHEMA_ID, attribute: 'displayName' }],
    ])('finds nothing for %s', (_case, path) => {
      expect(resolveAttributePath('Group', path)).toBeUndefined();
    });
  });
});

describe('the schema data', () => {
  it.each(SCHEMAS.map((schema) => [schema.id, schema] as const))('%s gives every attribute every characteristic', (_id, schema) => {
    for (const attribute of everyAttribute(schema.attributes)) {
      expect(Object.keys(attribute)).toEqual(
        expect.arrayContaining(['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness']),
      );
      expect(attribute.subAttributes !== undefined).toBe(attribute.type === 'complex');
      expect(attribute.description).not.toBe('');
    }
  });

  it('names attributes uniquely at each level, ignoring case', () => {
    const levels = [
      [...COMMON_ATTRIBUTES, ...USER_SCHEMA.attributes],
      [...COMMON_ATTRIBUTES, ...GROUP_SCHEMA.attributes],
      ...SCHEMAS.flatMap((schema) => everyAttribute(schema.attributes)).map((attribute) => attribute.subAttributes ?? []),
    ];
    for (const level of levels) {
      const names = level.map((attribute) => attribute.name.toLowerCase());
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it.each([
    ['User', 'id', undefined, { caseExact: true, mutability: 'readOnly', returned: 'always' }],
    ['User', 'externalId', undefined, { caseExact: true, mutability: 'readWrite', uniqueness: 'none' }],
    ['Group', 'externalId', undefined, { caseExact: true, mutability: 'readWrite', uniqueness: 'none' }],
    ['User', 'userName', undefined, { required: true, uniqueness: 'server' }],
    ['User', 'emails', undefined, { required: true, multiValued: true }],
    ['User', 'emails', 'value', { uniqueness: 'server' }],
    ['Group', 'displayName', undefined, { required: true, uniqueness: 'server' }],
    ['Group', 'members', '$ref', { referenceTypes: ['User'] }],
    ['User', 'meta', undefined, { type: 'complex', mutability: 'readOnly' }],
    ['User', 'active', undefined, { type: 'boolean' }],
    ['User', 'password', undefined, { mutability: 'writeOnly', returned: 'never' }],
    ['User', 'emails', 'value', { type: 'string', caseExact: false }],
    ['User', 'emails', 'primary', { type: 'boolean' }],
    ['User', 'addresses', 'postalCode', { type: 'string' }],
    ['User', 'groups', undefined, { multiValued: true, mutability: 'readOnly' }],
    ['User', 'groups', 'value', { caseExact: true, mutability: 'readOnly' }],
    ['User', 'groups', 'display', { caseExact: false }],
    ['User', 'x509Certificates', 'value', { type: 'binary' }],
    ['User', 'profileUrl', undefined, { type: 'reference', referenceTypes: ['external'] }],
    ['Group', 'members', 'type', { canonicalValues: ['User'] }],
    ['Group', 'members', 'display', { caseExact: false }],
  ] as const)('%s %s.%s is %j', (resourceType, attribute, subAttribute, expected) => {
    const resolved = resolveAttributePath(resourceType, { attribute, ...(subAttribute === undefined ? {} : { subAttribute }) });
    expect(resolved?.subAttribute ?? resolved?.attribute).toMatchObject(expected);
  });

  it('describes the User and Group resource types', () => {
    expect(RESOURCE_TYPES.User).toEqual({
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA_ID,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA_ID, required: false }],
    });
    expect(RESOURCE_TYPES.Group).toMatchObject({ id: 'Group', endpoint: '/Groups', schema: GROUP_SCHEMA_ID, schemaExtensions: [] });
  });

  it('finds schemas by id, ignoring case', () => {
    expect(findSchema(ENTERPRISE_USER_SCHEMA_ID.toUpperCase())?.id).toBe(ENTERPRISE_USER_SCHEMA_ID);
    expect(findSchema('urn:example')).toBeUndefined();
  });
});

function everyAttribute(attributes: readonly AttributeDefinition[]): AttributeDefinition[] {
  return attributes.flatMap((attribute) => [attribute, ...everyAttribute(attribute.subAttributes ?? [])]);
}
