import { Router, type Request } from 'express';
import { scimErrors } from '../../../shared/scim/errors';
import {
  COMMON_ATTRIBUTES,
  RESOURCE_TYPES,
  SCHEMAS,
  type AttributeDefinition,
  type ResourceTypeDefinition,
  type SchemaDefinition,
} from '../../../shared/scim/schemas';
import { scimBaseUrl } from './request';
import { sendScim } from './responses';
import { LIST_RESPONSE_SCHEMA } from './list-response';

export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

export interface DiscoveryOptions {
  /** The most resources one list response returns (`count` is capped at it). */
  readonly maxResults: number;
  /**
   * The PATCH operation and request body limits. RFC 7643 §5 has a field for neither (its
   * `maxOperations` and `maxPayloadSize` describe bulk, which this service does not support), so
   * they are accepted with the other limits and not advertised.
   */
  readonly maxOperations: number;
  readonly maxPayloadBytes: number;
}

/** RFC 7643 §7: an attribute as `/Schemas` publishes it, its characteristics in the RFC's order. */
export interface AttributeRepresentation {
  readonly name: string;
  readonly type: AttributeDefinition['type'];
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: AttributeDefinition['mutability'];
  readonly returned: AttributeDefinition['returned'];
  readonly uniqueness: AttributeDefinition['uniqueness'];
  readonly subAttributes?: readonly AttributeRepresentation[];
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
}

interface Meta {
  readonly resourceType: 'ServiceProviderConfig' | 'Schema' | 'ResourceType';
  readonly location: string;
}

export interface SchemaResource {
  readonly schemas: readonly [typeof SCHEMA_SCHEMA];
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeRepresentation[];
  readonly meta: Meta;
}

export interface ResourceTypeResource {
  readonly schemas: readonly [typeof RESOURCE_TYPE_SCHEMA];
  readonly id: ResourceTypeDefinition['id'];
  readonly name: string;
  readonly endpoint: ResourceTypeDefinition['endpoint'];
  readonly description: string;
  readonly schema: string;
  readonly schemaExtensions: readonly { readonly schema: string; readonly required: boolean }[];
  readonly meta: Meta;
}

export interface ListResponse<T> {
  readonly schemas: readonly [typeof LIST_RESPONSE_SCHEMA];
  readonly totalResults: number;
  readonly startIndex: 1;
  readonly itemsPerPage: number;
  readonly Resources: readonly T[];
}

/**
 * RFC 7643 §5: what this service supports, and nothing it does not. Bulk and password change are
 * not offered; PATCH, filters, sorting and ETags (weak, of the stream revision) are.
 */
export function serviceProviderConfig(baseUrl: string, options: Pick<DiscoveryOptions, 'maxResults'>) {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: options.maxResults },
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
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` } satisfies Meta,
  } as const;
}

export function attributeRepresentation(definition: AttributeDefinition): AttributeRepresentation {
  return {
    name: definition.name,
    type: definition.type,
    multiValued: definition.multiValued,
    description: definition.description,
    required: definition.required,
    caseExact: definition.caseExact,
    mutability: definition.mutability,
    returned: definition.returned,
    uniqueness: definition.uniqueness,
    ...(definition.subAttributes ? { subAttributes: definition.subAttributes.map(attributeRepresentation) } : {}),
    ...(definition.canonicalValues ? { canonicalValues: [...definition.canonicalValues] } : {}),
    ...(definition.referenceTypes ? { referenceTypes: [...definition.referenceTypes] } : {}),
  };
}

/**
 * RFC 7643 §3.1 keeps the common attributes out of every schema, but lets a schema list them.
 * `id` and `meta` behave exactly as §3.1 defines them and are left out, as §8.7.1 does.
 * `externalId` is listed in each core schema (never in an extension), so a client can read here
 * that it is case-exact and not unique (`uniqueness: "none"`).
 */
const PUBLISHED_COMMON_ATTRIBUTES = COMMON_ATTRIBUTES.filter((definition) => definition.name === 'externalId');

const CORE_SCHEMA_IDS: ReadonlySet<string> = new Set(Object.values(RESOURCE_TYPES).map((type) => type.schema));

export function schemaResource(baseUrl: string, schema: SchemaDefinition): SchemaResource {
  const common = CORE_SCHEMA_IDS.has(schema.id) ? PUBLISHED_COMMON_ATTRIBUTES : [];
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: [...common, ...schema.attributes].map(attributeRepresentation),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

/** RFC 7643 §7: every schema the service publishes (User, Group, the enterprise User extension). */
export function schemaResources(baseUrl: string): SchemaResource[] {
  return SCHEMAS.map((schema) => schemaResource(baseUrl, schema));
}

export function resourceTypeResource(baseUrl: string, resourceType: ResourceTypeDefinition): ResourceTypeResource {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: resourceType.id,
    name: resourceType.name,
    endpoint: resourceType.endpoint,
    description: resourceType.description,
    schema: resourceType.schema,
    schemaExtensions: resourceType.schemaExtensions.map(({ schema, required }) => ({ schema, required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${resourceType.id}` },
  };
}

/** RFC 7643 §6: User (with the enterprise extension) and Group. */
export function resourceTypeResources(baseUrl: string): ResourceTypeResource[] {
  return Object.values(RESOURCE_TYPES).map((resourceType) => resourceTypeResource(baseUrl, resourceType));
}

/** RFC 7644 §4: discovery lists are never paged; every resource is in the one response. */
export function listResponse<T>(resources: readonly T[]): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/**
 * RFC 7644 §4: filtering, sorting and paging are ignored here, but a filter is refused with 403 so
 * that a client cannot take the answer for a match of its conditions.
 */
function refuseFilter(req: Request): void {
  if (req.query.filter !== undefined) {
    throw scimErrors.forbidden(`${req.path} does not support filtering (RFC 7644 §4)`);
  }
}

/** GET /ServiceProviderConfig, /Schemas[/{id}], /ResourceTypes[/{id}], relative to /scim/v2. */
export function discoveryRoutes(options: DiscoveryOptions): Router {
  const router = Router();

  router.get('/ServiceProviderConfig', (req, res) => {
    refuseFilter(req);
    sendScim(res, 200, serviceProviderConfig(scimBaseUrl(req), options));
  });

  router.get('/Schemas', (req, res) => {
    refuseFilter(req);
    sendScim(res, 200, listResponse(schemaResources(scimBaseUrl(req))));
  });

  router.get('/Schemas/:id', (req, res) => {
    refuseFilter(req);
    const id = req.params.id;
    // Schema ids are matched exactly: the URN is the schema's name, as clients received it here.
    const schema = SCHEMAS.find((candidate) => candidate.id === id);
    if (schema === undefined) throw scimErrors.notFound(`no schema ${JSON.stringify(id)}`);
    sendScim(res, 200, schemaResource(scimBaseUrl(req), schema));
  });

  router.get('/ResourceTypes', (req, res) => {
    refuseFilter(req);
    sendScim(res, 200, listResponse(resourceTypeResources(scimBaseUrl(req))));
  });

  router.get('/ResourceTypes/:id', (req, res) => {
    refuseFilter(req);
    const id = req.params.id;
    const resourceType = Object.values(RESOURCE_TYPES).find((candidate) => candidate.id === id);
    if (resourceType === undefined) throw scimErrors.notFound(`no resource type ${JSON.stringify(id)}`);
    sendScim(res, 200, resourceTypeResource(scimBaseUrl(req), resourceType));
  });

  return router;
}
