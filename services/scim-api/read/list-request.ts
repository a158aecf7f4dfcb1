import { z } from 'zod';
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

/** A JSON integer, or its decimal text (a query string carries only text); any size, clamped by the caller; `""` is absent. */
const integer = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.union([z.number().refine(Number.isInteger, { error: 'must be an integer' }), z.string().trim().regex(/^[+-]?\d+$/).transform(Number)], { error: 'must be an integer' }).nullish(),
);

/** One string: a query parameter given twice arrives as an array, and is refused. */
const text = z.string({ error: 'must be one string' });

/**
 * `attributes=a,b` in a query (repeatable); `"attributes": ["a", "b"]` or `"a,b"` in a SearchRequest
 * body. Split and read by attribute-projection.ts (`emails[type eq "work"]` names `emails`).
 */
const names = z
  .union([z.string(), z.array(z.string())], { error: 'must be a comma-separated list of attribute names, or an array of them' })
  .transform((value) => attributeNames(value, '') ?? []);

/**
 * RFC 7644 §3.4.2 query parameters, and the SearchRequest body of §3.4.3 with the same names.
 * Other members (`schemas`) are not checked; `null` counts as absent.
 */
const listParameters = z.object({
  startIndex: integer,
  count: integer,
  filter: text.nullish(),
  sortBy: text.nullish(),
  sortOrder: text.nullish(),
  attributes: names.nullish(),
  excludedAttributes: names.nullish(),
});

/**
 * RFC 7644 §3.4.2: the query parameters of a GET, or the body of a POST /.search (same names).
 * startIndex below 1 means 1; count below 0 means 0; count above the maximum is capped; numbers of
 * any size are accepted and clamped (a startIndex past the last match answers an empty page).
 * @throws ScimError 400 `invalidSyntax` when a SearchRequest body is not a JSON object, 400
 * `invalidValue` naming the parameter when one has the wrong type (`{"count":{}}`, `count=1&count=2`).
 */
export function parseListRequest(source: unknown, rules: PagingRules): ListRequest {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw scimErrors.invalidSyntax('a SearchRequest body must be a JSON object (RFC 7644 §3.4.3)');
  }
  const parsed = listParameters.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw scimErrors.invalidValue(`${issue.path.join('.')} ${issue.message}`);
  }
  const { filter, sortBy, sortOrder, attributes, excludedAttributes } = parsed.data;
  const startIndex = clamp(parsed.data.startIndex ?? 1, 1, Number.MAX_SAFE_INTEGER);
  const count = clamp(parsed.data.count ?? rules.defaultCount, 0, rules.maxCount);
  return {
    startIndex,
    count,
    ...(filter != null && filter.trim() !== '' ? { filter } : {}),
    ...(sortBy ? { sortBy } : {}),
    ...(sortOrder ? { sortOrder } : {}),
    ...(attributes && attributes.length > 0 ? { attributes } : {}),
    ...(excludedAttributes && excludedAttributes.length > 0 ? { excludedAttributes } : {}),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
