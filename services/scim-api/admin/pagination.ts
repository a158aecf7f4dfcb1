import type { Request } from 'express';
import { requestRootUrl } from '../http/public-url';
import { AdminApiError, queryParameter } from './json-api';

/**
 * One page of a list as the platform's `meta.pagination` describes it (api-docs/admin/scim-groups;
 * go-tfe's `Pagination`): pages count from 1; `prevPage`/`nextPage` are null at the ends.
 */
export interface Page {
  readonly currentPage: number;
  readonly pageSize: number;
  readonly prevPage: number | null;
  readonly nextPage: number | null;
  /** At least 1: an empty list is one empty page, so `first` and `last` links still name a page. */
  readonly totalPages: number;
  readonly totalCount: number;
}

export interface PageRequest {
  readonly number: number;
  readonly size: number;
}

export interface PageRules {
  /** api-docs/admin/scim-groups: 20 when `page[size]` is omitted. */
  readonly defaultSize: number;
  /** The platform's API pages hold at most 100 items. */
  readonly maxSize: number;
}

export const DEFAULT_PAGE_RULES: PageRules = { defaultSize: 20, maxSize: 100 };

const WHOLE = /^[1-9][0-9]{0,8}$/;

/**
 * `page[number]` (default 1) and `page[size]` (default `rules.defaultSize`, at most `rules.maxSize`)
 * from the query. A page past the last one is simply empty, as on the platform.
 * @throws AdminApiError 400 naming the parameter when a value is not a whole number in range.
 */
export function pageRequestOf(req: Request, rules: PageRules = DEFAULT_PAGE_RULES): PageRequest {
  const read = (name: string, fallback: number, max: number): number => {
    const raw = queryParameter(req, name);
    if (raw === undefined) return fallback;
    const value = WHOLE.test(raw) ? Number(raw) : NaN;
    if (!(value >= 1 && value <= max)) throw new AdminApiError(400, `${name} must be a whole number from 1 to ${max}`, { parameter: name });
    return value;
  };
  return { number: read('page[number]', 1, 999_999_999), size: read('page[size]', rules.defaultSize, rules.maxSize) };
}

/** Where `request` falls in a list of `totalCount` items. */
export function pageOf(request: PageRequest, totalCount: number): Page {
  const totalPages = Math.max(1, Math.ceil(totalCount / request.size));
  return {
    currentPage: request.number,
    pageSize: request.size,
    prevPage: request.number > 1 ? request.number - 1 : null,
    nextPage: request.number < totalPages ? request.number + 1 : null,
    totalPages,
    totalCount,
  };
}

/**
 * The absolute URL of page `pageNumber` of this request's list, keeping its other parameters
 * (`q`): `https://host/api/v2/admin/scim-groups?page%5Bnumber%5D=2&page%5Bsize%5D=20`.
 */
export function pageLink(req: Request, request: PageRequest): (pageNumber: number) => string {
  const base = `${requestRootUrl(req)}${req.baseUrl}${req.path === '/' ? '' : req.path}`;
  return (pageNumber) => {
    const params = new URLSearchParams();
    params.set('page[number]', String(pageNumber));
    params.set('page[size]', String(request.size));
    for (const [name, value] of Object.entries(req.query)) {
      if (!name.startsWith('page[') && typeof value === 'string') params.set(name, value);
    }
    return `${base}?${params.toString()}`;
  };
}
