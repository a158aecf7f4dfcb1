import type { Request } from 'express';
import { scimErrors } from '../../../shared/scim/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isResourceId = (id: unknown): id is string => typeof id === 'string' && UUID.test(id);

/** Ids are server-assigned UUIDs; anything else cannot name a resource. */
export function resourceId(req: Request, resourceType: 'User' | 'Group'): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !UUID.test(id)) throw scimErrors.notFound(`${resourceType} ${String(id)} not found`);
  return id.toLowerCase();
}

/** The `/scim/v2` URL meta.location, Location and member $ref are built on (http/public-url.ts). */
export { scimBaseUrl } from '../http/public-url';
