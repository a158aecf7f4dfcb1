import { attribute, complexAttribute, type AttributeDefinition } from './definitions';

/**
 * RFC 7643 §3.1: the attributes every resource has, outside any schema's attribute list.
 * `externalId` is not unique (RFC 7643 §3.1 sets no uniqueness; IdPs reuse one), hence `none`.
 */
export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  attribute('id', 'A unique identifier for the resource, assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  attribute('externalId', 'An identifier for the resource as defined by the provisioning client; not unique.', {
    caseExact: true,
  }),
  complexAttribute(
    'meta',
    'A complex attribute containing resource metadata.',
    [
      attribute('resourceType', 'The name of the resource type of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      attribute('created', 'The date and time the resource was added to the service provider.', {
        type: 'dateTime',
        mutability: 'readOnly',
      }),
      attribute('lastModified', 'The most recent date and time the resource was modified.', {
        type: 'dateTime',
        mutability: 'readOnly',
      }),
      attribute('location', 'The URI of the resource being returned.', {
        type: 'reference',
        referenceTypes: ['uri'],
        caseExact: true,
        mutability: 'readOnly',
      }),
      attribute('version', 'The version (weak ETag) of the resource being returned.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
    { mutability: 'readOnly' },
  ),
];
