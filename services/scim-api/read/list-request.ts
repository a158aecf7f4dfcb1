import { scimErrors } from '../../../shared/scim/errors';
import { attributeNames } from '../scim/attribute-projection';

export interface ListRequest {
  readonly filter?: string;
  readonly startIndex: number;
  readonly count: number;
  readonly sortBy?: string;
  readonly sortOrder?: string;
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

export interface PagingRules {
  /** The platform's defaults: 100 per page unless asked, at most 200. */
  readonly defaultCount: number;
  readonly maxCount: number;
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (!/^-?\d{1,10}$/.test(text)) throw scimErrors.invalidValue(`${name} must be an integer`);
  return Number(text);
}


function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw scimErrors.invalidValue(`${name} must be a string`);
  return value;
}

/**
 * RFC 7644 §3.4.2: query parameters of a GET, or the body of a POST /.search (same names).
 * startIndex below 1 means 1; count below 0 means 0; count above the maximum is capped.
 */
export function parseListRequest(source: Record<string, unknown>, rules: PagingRules): ListRequest {
  const startIndex = Math.max(1, integer(source.startIndex, 'startIndex') ?? 1);
  const count = Math.min(rules.maxCount, Math.max(0, integer(source.count, 'count') ?? rules.defaultCount));
  const filter = optionalString(source.filter, 'filter');
  const sortBy = optionalString(source.sortBy, 'sortBy');
  const sortOrder = optionalString(source.sortOrder, 'sortOrder');
  const attributes = attributeNames(source.attributes, 'attributes');
  const excludedAttributes = attributeNames(source.excludedAttributes, 'excludedAttributes');
  return {
    startIndex,
    count,
    ...(filter !== undefined && filter.trim() !== '' ? { filter } : {}),
    ...(sortBy ? { sortBy } : {}),
    ...(sortOrder ? { sortOrder } : {}),
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  };
}
