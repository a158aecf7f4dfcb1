import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { discoveryRoutes } from '../../services/scim-api/scim/discovery-routes';
import { scimErrorMiddleware } from '../../services/scim-api/scim/error-middleware';
import { scimErrors } from '../../shared/scim/errors';
import { createLogger } from '../../shared/logging/logger';
import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA_ID,
  GROUP_SCHEMA,
  GROUP_SCHEMA_ID,
  USER_SCHEMA,
  USER_SCHEMA_ID,
  type AttributeDefinition,
} from '../../shared/scim/schemas';

describe('SCIM discovery (RFC 7644 §4)', () => {
  const app = discoveryApp();
  const get = (path: string) => request(app).get(`/scim/v2${path}`);

  describe('GET /ServiceProviderConfig', () => {
    it('answers 200 application/scim+json with exactly the supported features', async () => {
      const res = await get('/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
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

    it('rejects a filter with 403 in the error schema', async () => {
      const res = await get('/ServiceProviderConfig?filter=patch.supported%20eq%20true');
      expectError(res, 403, /filter/);
    });
  });

  describe('GET /Schemas', () => {
    it('answers a ListResponse of the User, Group and enterprise User schemas', async () => {
      const res = await get('/Schemas');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 3, startIndex: 1, itemsPerPage: 3 });
      expect(res.body.Resources.map((schema: { id: string }) => schema.id)).toEqual([USER_SCHEMA_ID, GROUP_SCHEMA_ID, ENTERPRISE_USER_SCHEMA_ID]);
      for (const schema of res.body.Resources) {
        expect(schema).toMatchObject({
          schemas: [SCHEMA_SCHEMA],
          id: expect.any(String),
          name: expect.any(String),
          description: expect.any(String),
          attributes: expect.any(Array),
          meta: { resourceType: 'Schema', location: `${BASE}/Schemas/${schema.id}` },
        });
      }
    });

    it('lists every attribute of USER_SCHEMA with its caseExact, mutability and returned', async () => {
      const res = await get('/Schemas');
      const user = res.body.Resources.find((schema: { id: string }) => schema.id === USER_SCHEMA_ID);
      expectCharacteristics(user.attributes, USER_SCHEMA.attributes);
    });

    it('ignores count and startIndex: discovery lists are never paged', async () => {
      const res = await get('/Schemas?count=1&startIndex=2');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ totalResults: 3, startIndex: 1, itemsPerPage: 3 });
      expect(res.body.Resources).toHaveLength(3);
    });

    it('rejects a filter with 403 in the error schema', async () => {
      const res = await get(`/Schemas?filter=${encodeURIComponent(`id eq "${USER_SCHEMA_ID}"`)}`);
      expectError(res, 403, /filter/);
    });
  });

  describe('GET /Schemas/{id}', () => {
    it.each([
      ['User', USER_SCHEMA],
      ['Group', GROUP_SCHEMA],
      ['EnterpriseUser', ENTERPRISE_USER_SCHEMA],
    ])('answers the %s schema with every attribute', async (name, schema) => {
      const res = await get(`/Schemas/${schema.id}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toMatchObject({
        schemas: [SCHEMA_SCHEMA],
        id: schema.id,
        name,
        description: schema.description,
        meta: { resourceType: 'Schema', location: `${BASE}/Schemas/${schema.id}` },
      });
      expectCharacteristics(res.body.attributes, schema.attributes);
    });

    it('answers the same resource the list holds', async () => {
      const list = await get('/Schemas');
      const one = await get(`/Schemas/${GROUP_SCHEMA_ID}`);
      expect(one.body).toEqual(list.body.Resources[1]);
    });

    it('decodes a percent-encoded URN', async () => {
      const res = await get(`/Schemas/${encodeURIComponent(ENTERPRISE_USER_SCHEMA_ID)}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(ENTERPRISE_USER_SCHEMA_ID);
    });

    it('lists externalId (case-exact, unique) in the core schemas, and never id or meta', async () => {
      const externalId = COMMON_ATTRIBUTES.find((attribute) => attribute.name === 'externalId')!;
      for (const id of [USER_SCHEMA_ID, GROUP_SCHEMA_ID]) {
        const names = (await get(`/Schemas/${id}`)).body.attributes.map((attribute: { name: string }) => attribute.name);
        expect(names).toContain('externalId');
        expect(names).not.toContain('id');
        expect(names).not.toContain('meta');
        expectCharacteristics((await get(`/Schemas/${id}`)).body.attributes, [externalId]);
      }
      const enterprise = (await get(`/Schemas/${ENTERPRISE_USER_SCHEMA_ID}`)).body.attributes.map((attribute: { name: string }) => attribute.name);
      expect(enterprise).not.toContain('externalId');
    });

    it.each([
      ['an unknown URN', 'urn:ietf:params:scim:schemas:core:2.0:Device'],
      ['a URN in another case (ids match exactly)', USER_SCHEMA_ID.toUpperCase()],
      ['a schema name instead of its id', 'User'],
    ])('answers %s with 404 in the error schema', async (_case, id) => {
      const res = await get(`/Schemas/${encodeURIComponent(id)}`);
      expectError(res, 404, new RegExp(escapeRegExp(id)));
    });
  });

  describe('GET /ResourceTypes', () => {
    it('answers a ListResponse of User and Group', async () => {
      const res = await get('/ResourceTypes');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toEqual({
        schemas: [LIST_RESPONSE],
        totalResults: 2,
        startIndex: 1,
        itemsPerPage: 2,
        Resources: [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE],
      });
    });

    it('rejects a filter with 403 in the error schema', async () => {
      const res = await get(`/ResourceTypes?filter=${encodeURIComponent('name eq "User"')}`);
      expectError(res, 403, /filter/);
    });
  });

  describe('GET /ResourceTypes/{id}', () => {
    it('answers User with the enterprise extension listed, not required', async () => {
      const res = await get('/ResourceTypes/User');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(SCIM_JSON);
      expect(res.body).toEqual(USER_RESOURCE_TYPE);
    });

    it('answers Group', async () => {
      const res = await get('/ResourceTypes/Group');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(GROUP_RESOURCE_TYPE);
    });

    it.each([['Device'], ['user'], ['Users']])('answers %s with 404 in the error schema', async (id) => {
      const res = await get(`/ResourceTypes/${id}`);
      expectError(res, 404, new RegExp(id));
    });
  });

  describe('what the router leaves to the routers after it', () => {
    it.each([
      ['get', '/Users'],
      ['post', '/Schemas'],
      ['put', '/ServiceProviderConfig'],
      ['delete', '/ResourceTypes/User'],
    ] as const)('passes %s %s on', async (method, path) => {
      const res = await request(app)[method](`/scim/v2${path}`);
      expectError(res, 404, /no SCIM endpoint/);
    });
  });
});

// Test data and assertions

const BASE = 'https://scim.test/scim/v2';
const SCIM_JSON = /^application\/scim\+json/;
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const USER_RESOURCE_TYPE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: USER_SCHEMA_ID,
  schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA_ID, required: false }],
  meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
};

const GROUP_RESOURCE_TYPE = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: GROUP_SCHEMA_ID,
  schemaExtensions: [],
  meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/Group` },
};

/** The discovery router as scim-router.ts mounts it: under /scim/v2, a 404 after it, SCIM errors. */
function discoveryApp(): Express {
  const app = express();
  app.set('scimBaseUrl', 'https://scim.test/scim/v2');
  app.use(pinoHttp({ logger: createLogger({ level: 'silent' }) }));
  const scim = express.Router();
  scim.use(discoveryRoutes({ maxResults: 200, maxOperations: 100, maxPayloadBytes: 1024 * 1024 }));
  scim.use((req) => {
    throw scimErrors.notFound(`no SCIM endpoint at ${req.originalUrl.split('?')[0]}`);
  });
  scim.use(scimErrorMiddleware);
  app.use('/scim/v2', scim);
  return app;
}

function expectError(res: request.Response, status: number, detail: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(SCIM_JSON);
  expect(res.body).toEqual({ schemas: [ERROR], status: String(status), detail: expect.stringMatching(detail) });
}

interface PublishedAttribute {
  name: string;
  caseExact: boolean;
  mutability: string;
  returned: string;
  uniqueness: string;
  required: boolean;
  type: string;
  multiValued: boolean;
  subAttributes?: PublishedAttribute[];
}

/** Each definition is published once, its characteristics as the schema data states them, recursively. */
function expectCharacteristics(published: PublishedAttribute[], definitions: readonly AttributeDefinition[]): void {
  for (const definition of definitions) {
    const matching = published.filter((attribute) => attribute.name === definition.name);
    expect(matching).toHaveLength(1);
    const attribute = matching[0]!;
    expect(attribute).toMatchObject({
      type: definition.type,
      multiValued: definition.multiValued,
      required: definition.required,
      caseExact: definition.caseExact,
      mutability: definition.mutability,
      returned: definition.returned,
      uniqueness: definition.uniqueness,
    });
    expect(attribute.subAttributes?.length).toBe(definition.subAttributes?.length);
    if (definition.subAttributes) expectCharacteristics(attribute.subAttributes ?? [], definition.subAttributes);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
