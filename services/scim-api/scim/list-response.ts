import type { Request, Response } from 'express';
import { projectAttributes } from './attribute-projection';
import type { ListRequest } from '../read/list-request';
import type { ScimResource } from './render';
import { sendScim } from './responses';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';


/** RFC 7644 §3.4.2: totalResults counts every match; itemsPerPage what this page holds. */
export function sendListResponse(
  res: Response,
  list: ListRequest,
  totalResults: number,
  resources: readonly ScimResource[],
  resourceType: 'User' | 'Group',
): void {
  const projection = {
    ...(list.attributes ? { attributes: list.attributes } : {}),
    ...(list.excludedAttributes ? { excludedAttributes: list.excludedAttributes } : {}),
  };
  const body: Record<string, unknown> = {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex: list.startIndex,
    itemsPerPage: resources.length,
  };
  // count=0 asks for totalResults only (RFC 7644 §3.4.2.4).
  if (list.count > 0) body.Resources = resources.map((r) => projectAttributes(r, projection, resourceType));
  sendScim(res, 200, body);
}

/** Weak comparison (RFC 7232 §2.3.2): W/"3" matches "3" and W/"3"; `*` matches anything. */
export function ifNoneMatchHits(req: Request, etag: string): boolean {
  const header = req.get('if-none-match');
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}
