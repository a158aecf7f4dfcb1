import {
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  listResponse,
  resourceTypeResources,
  schemaResources,
  serviceProviderConfig,
  type AttributeRepresentation,
} from '../../../services/scim-api/scim/discovery-routes';
import { LIST_RESPONSE_SCHEMA } from '../../../services/scim-api/scim/list-response';
import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA_ID,
  GROUP_SCHEMA,
  GROUP_SCHEMA_ID,
  USER_SCHEMA,
  USER_SCHEMA_ID,
  type AttributeDefinition,
  type SchemaDefinition,
} from '../../../shared/scim/schemas';

// Read while the suites are collected, so above them.
const BASE = 'https://scim.test/scim/v2';
const EXTERNAL_ID = COMMON_ATTRIBUTES.find((attribute) => attribute.name === 'externalId')!;

describe('serviceProviderConfig', () => {
  it('advertises exactly what the service supports (RFC 7643 §5)', () => {
    expect(serviceProviderConfig(BASE, { maxResults: 200 })).toEqual({
      schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'OAuth Bearer Token',
          description: 'Authentication with a SCIM token as a bearer token',
          specUri: 'https://www.rfc-editor.org/info/rfc6750',
          primary: true,
        },
      ],
      meta: { resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` },
    });
  });

  it('takes filter.maxResults from the configuration', () => {
    expect(serviceProviderConfig(BASE, { maxResults: 50 }).filter).toEqual({ supported: true, maxResults: 50 });
  });
});

describe('schemaResources', () => {
  const resources = schemaResources(BASE);
  const byId = (id: string) => resources.find((resource) => resource.id === id)!;

  it('publishes the User, Group and enterprise User schemas', () => {
    expect(resources.map((resource) => resource.id)).toEqual([USER_SCHEMA_ID, GROUP_SCHEMA_ID, ENTERPRISE_USER_SCHEMA_ID]);
  });

  it.each([
    ['User', USER_SCHEMA],
    ['Group', GROUP_SCHEMA],
    ['EnterpriseUser', ENTERPRISE_USER_SCHEMA],
  ])('renders %s as an RFC 7643 §7 schema resource with its meta', (name, schema) => {
    const resource = byId(schema.id);
    expect(resource).toMatchObject({
      schemas: [SCHEMA_SCHEMA],
      id: schema.id,
      name,
      description: schema.description,
      meta: { resourceType: 'Schema', location: `${BASE}/Schemas/${schema.id}` },
    });
  });

  it.each([
    ['User', USER_SCHEMA, [EXTERNAL_ID]],
    ['Group', GROUP_SCHEMA, [EXTERNAL_ID]],
    ['EnterpriseUser', ENTERPRISE_USER_SCHEMA, []],
  ])(
    'lists every attribute of %s, and nothing else, with the characteristics the schema data gives it',
    (_name: string, schema: SchemaDefinition, common: AttributeDefinition[]) => {
      const expected = [...common, ...schema.attributes];
      const attributes = byId(schema.id).attributes;
      expect(attributes.map((attribute) => attribute.name)).toEqual(expected.map((definition) => definition.name));
      expectRepresents(attributes, expected);
    },
  );

  it('gives each attribute only the RFC 7643 §7 characteristics, sub-attributes included', () => {
    for (const attribute of resources.flatMap((resource) => allAttributes(resource.attributes))) {
      expect(REQUIRED_KEYS.every((key) => key in attribute)).toBe(true);
      expect(Object.keys(attribute).every((key) => [...REQUIRED_KEYS, ...OPTIONAL_KEYS].includes(key))).toBe(true);
    }
  });

  it('is plain JSON: nothing undefined, nothing lost in serialisation', () => {
    expect(JSON.parse(JSON.stringify(resources))).toEqual(resources);
  });

  describe('the User schema', () => {
    const attributes = byId(USER_SCHEMA_ID).attributes;
    const find = (name: string) => attributes.find((attribute) => attribute.name === name);

    it('has userName required, case-insensitive and unique', () => {
      expect(find('userName')).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server', mutability: 'readWrite', returned: 'default' });
    });

    it('has password write-only and never returned', () => {
      expect(find('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    });

    it('has groups read-only, its value case-exact', () => {
      const groups = find('groups')!;
      expect(groups).toMatchObject({ type: 'complex', multiValued: true, mutability: 'readOnly' });
      expect(groups.subAttributes?.find((sub) => sub.name === 'value')).toMatchObject({ caseExact: true, mutability: 'readOnly' });
    });

    it('has canonical values for emails.type and reference types for profileUrl', () => {
      expect(find('emails')!.subAttributes?.find((sub) => sub.name === 'type')?.canonicalValues).toEqual(['work', 'home', 'other']);
      expect(find('profileUrl')).toMatchObject({ type: 'reference', referenceTypes: ['external'] });
    });
  });

  describe('the common attributes (RFC 7643 §3.1)', () => {
    it.each([[USER_SCHEMA_ID], [GROUP_SCHEMA_ID]])('lists externalId, case-exact and not unique, in core schema %s', (id) => {
      const listed = byId(id).attributes.filter((attribute) => attribute.name === 'externalId');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ caseExact: true, uniqueness: 'none', mutability: 'readWrite', required: false });
      expectRepresents(listed, [EXTERNAL_ID]);
    });

    it('leaves externalId out of the enterprise extension', () => {
      expect(byId(ENTERPRISE_USER_SCHEMA_ID).attributes.map((attribute) => attribute.name)).not.toContain('externalId');
    });

    it.each([[USER_SCHEMA_ID], [GROUP_SCHEMA_ID], [ENTERPRISE_USER_SCHEMA_ID]])('leaves id and meta out of %s', (id) => {
      const names = byId(id).attributes.map((attribute) => attribute.name);
      expect(names).not.toContain('id');
      expect(names).not.toContain('meta');
    });
  });

  it('builds meta.location on the base URL it is given', () => {
    expect(schemaResources('http://localhost:3000/scim/v2')[2]!.meta.location).toBe(
      `http://localhost:3000/scim/v2/Schemas/${ENTERPRISE_USER_SCHEMA_ID}`,
    );
  });
});

describe('resourceTypeResources', () => {
  it('publishes User with the optional enterprise extension, and Group (RFC 7643 §6)', () => {
    expect(resourceTypeResources(BASE)).toEqual([
      {
        schemas: [RESOURCE_TYPE_SCHEMA],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: USER_SCHEMA_ID,
        schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA_ID, required: false }],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
      },
      {
        schemas: [RESOURCE_TYPE_SCHEMA],
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Group',
        schema: GROUP_SCHEMA_ID,
        schemaExtensions: [],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/Group` },
      },
    ]);
  });

  it('names only schemas that /Schemas publishes', () => {
    const published = schemaResources(BASE).map((resource) => resource.id);
    for (const resourceType of resourceTypeResources(BASE)) {
      expect(published).toContain(resourceType.schema);
      for (const extension of resourceType.schemaExtensions) expect(published).toContain(extension.schema);
    }
  });
});

describe('listResponse', () => {
  it('returns every resource in one page', () => {
    expect(listResponse(['a', 'b'])).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 2,
      startIndex: 1,
      itemsPerPage: 2,
      Resources: ['a', 'b'],
    });
  });
});

// Test data and assertions


const REQUIRED_KEYS = ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness'];
const OPTIONAL_KEYS = ['subAttributes', 'canonicalValues', 'referenceTypes'];

function allAttributes(attributes: readonly AttributeRepresentation[]): AttributeRepresentation[] {
  return attributes.flatMap((attribute) => [attribute, ...allAttributes(attribute.subAttributes ?? [])]);
}

/** Each definition appears once, with every characteristic as the data states it, recursively. */
function expectRepresents(representations: readonly AttributeRepresentation[], definitions: readonly AttributeDefinition[]): void {
  for (const definition of definitions) {
    const matching = representations.filter((representation) => representation.name === definition.name);
    expect(matching).toHaveLength(1);
    const representation = matching[0]!;
    expect({ ...representation, subAttributes: undefined }).toEqual({
      name: definition.name,
      type: definition.type,
      multiValued: definition.multiValued,
      description: definition.description,
      required: definition.required,
      caseExact: definition.caseExact,
      mutability: definition.mutability,
      returned: definition.returned,
      uniqueness: definition.uniqueness,
      subAttributes: undefined,
      ...(definition.canonicalValues ? { canonicalValues: definition.canonicalValues } : {}),
      ...(definition.referenceTypes ? { referenceTypes: definition.referenceTypes } : {}),
    });
    expect(representation.subAttributes === undefined).toBe(definition.subAttributes === undefined);
    if (definition.subAttributes) {
      expect(representation.subAttributes).toHaveLength(definition.subAttributes.length);
      expectRepresents(representation.subAttributes ?? [], definition.subAttributes);
    }
  }
}
