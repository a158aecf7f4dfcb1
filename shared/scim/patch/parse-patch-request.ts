import { z } from 'zod';
import type { JsonValue } from '../../domain/json';
import { ScimError, scimErrors } from '../errors';
import { parsePatchPath } from '../patch-path';
import { findAttribute, type AttributeDefinition, type ResourceTypeId } from '../schemas';
import { resolvePatchTarget, resolveValueKey, type PatchTarget } from './apply-patch';
import { PATCH_OP_SCHEMA, type PatchOperation } from './operation';

/** The platform's documented limit: more operations in one PatchOp -> 400. */
export const DEFAULT_MAX_PATCH_OPERATIONS = 100;

export interface PatchRequestLimits {
  readonly maxOperations?: number;
}

const OPS = ['add', 'replace', 'remove'] as const;

const envelopeSchema = z.object({
  // Some clients leave `schemas` out; when it is there it must name the PatchOp message.
  schemas: z
    .array(z.string({ error: `schemas must be an array of schema URNs holding '${PATCH_OP_SCHEMA}'` }), {
      error: `schemas must be an array holding '${PATCH_OP_SCHEMA}'`,
    })
    .refine((schemas) => schemas.some((schema) => schema.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase()), {
      error: `schemas must hold '${PATCH_OP_SCHEMA}'`,
    })
    .nullish(),
  operations: z
    .array(z.unknown(), {
      error: (issue) => (issue.input === undefined ? 'Operations is required' : 'Operations must be an array of operations'),
    })
    .min(1, { error: 'Operations must hold at least one operation' }),
});

const operationSchema = z.object({
  op: z.string({ error: (issue) => (issue.input === undefined ? 'op is required' : 'op must be a string: add, replace or remove') }),
  path: z.string({ error: 'path must be a string' }).nullish(),
  value: z.unknown().optional(),
});

/**
 * RFC 7644 §3.5.2: validates a PatchOp body and normalises what Entra ID sends (scim-behaviour.md):
 * capitalised ops, `"True"`/`"False"` for booleans, the manager as a bare id, `"$ref": null` in
 * member values. Every path is parsed and resolved here, so a bad one is rejected before any state
 * is read; values are type-checked by applyPatch.
 * @throws ScimError 400 (`invalidSyntax`, `tooMany`, `invalidPath`, `invalidValue`, `noTarget`),
 *   naming `Operations[i]` when an operation is at fault.
 */
export function parsePatchRequest(body: unknown, resourceType: ResourceTypeId, limits: PatchRequestLimits = {}): PatchOperation[] {
  const maxOperations = limits.maxOperations ?? DEFAULT_MAX_PATCH_OPERATIONS;
  if (!isObject(body)) throw scimErrors.invalidSyntax('a PatchOp request body must be a JSON object');
  const { operations } = parseWith(envelopeSchema, lowerCaseKeys(body));
  if (operations.length > maxOperations) {
    throw scimErrors.tooMany(`a PatchOp holds at most ${maxOperations} operations; this one has ${operations.length}`);
  }
  return operations.map((operation, index) => {
    try {
      return parseOperation(operation, resourceType);
    } catch (error) {
      throw error instanceof ScimError ? error.inOperation(index) : error;
    }
  });
}

function parseOperation(input: unknown, resourceType: ResourceTypeId): PatchOperation {
  if (!isObject(input)) throw scimErrors.invalidSyntax('an operation must be an object with op, path and value');
  const fields = parseWith(operationSchema, lowerCaseKeys(input));
  const op = OPS.find((name) => name === fields.op.toLowerCase());
  if (op === undefined) throw scimErrors.invalidSyntax(`op must be add, replace or remove; got ${quote(fields.op)}`);
  const path = fields.path === undefined || fields.path === null || fields.path.trim() === '' ? undefined : fields.path.trim();
  const value = fields.value as JsonValue | undefined;

  // RFC 7644 §3.5.2.2
  if (op === 'remove' && path === undefined) throw scimErrors.noTarget('remove needs a path');
  if (op !== 'remove' && value === undefined) throw scimErrors.invalidValue(`${op} needs a value`);
  if (path !== undefined) {
    const target = resolvePatchTarget(parsePatchPath(path), resourceType);
    return value === undefined ? { op, path } : { op, path, value: normaliseFor(target, value) };
  }
  if (!isObject(value)) throw scimErrors.invalidValue(`a path-less ${op} needs an object value whose keys name attributes`);
  const entries = Object.entries(value).map(([key, item]): [string, JsonValue] => {
    const target = resolveValueKey(key, resourceType);
    return [key, target === undefined ? item : normaliseFor(target, item)];
  });
  return { op, value: Object.fromEntries(entries) };
}

/** The value as the target attribute's type wants it; what cannot be converted is left for applyPatch to reject. */
function normaliseFor(target: PatchTarget, value: JsonValue): JsonValue {
  if (target.subAttribute !== undefined) return normaliseValue(target.subAttribute, value);
  if (target.filter !== undefined) return normaliseElement(target.attribute, value);
  return normaliseValue(target.attribute, value);
}

function normaliseValue(definition: AttributeDefinition, value: JsonValue): JsonValue {
  if (!definition.multiValued) return normaliseSingle(definition, value);
  return Array.isArray(value) ? value.map((item) => normaliseElement(definition, item)) : normaliseElement(definition, value);
}

/** One value of a multi-valued attribute; a null sub-attribute (`"$ref": null`) is no sub-attribute. */
function normaliseElement(definition: AttributeDefinition, value: JsonValue): JsonValue {
  if (!isObject(value)) return normaliseSingle(definition, value);
  return normaliseSingle(definition, Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null)));
}

function normaliseSingle(definition: AttributeDefinition, value: JsonValue): JsonValue {
  const subAttributes = definition.subAttributes ?? [];
  switch (definition.type) {
    case 'boolean':
      // Entra: "True", "False".
      return typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
    case 'complex':
      // Entra sends the enterprise manager as its id alone.
      if (typeof value === 'string' && !definition.multiValued && findAttribute(subAttributes, 'value') !== undefined) return { value };
      if (!isObject(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const sub = findAttribute(subAttributes, key);
          return [key, sub === undefined || item === null ? item : normaliseValue(sub, item)];
        }),
      );
    default:
      return value;
  }
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw scimErrors.invalidSyntax(result.error.issues[0]?.message ?? 'malformed PatchOp request');
}

/** The object with its keys in lower case: RFC 7643 §2.1 makes attribute names case-insensitive. */
function lowerCaseKeys(input: { readonly [key: string]: unknown }): Record<string, unknown> {
  const entries = Object.entries(input).map(([key, item]): [string, unknown] => [key.toLowerCase(), item]);
  const seen = new Set<string>();
  for (const [key] of entries) {
    if (seen.has(key)) throw scimErrors.invalidSyntax(`${quote(key)} is given twice`);
    seen.add(key);
  }
  return Object.fromEntries(entries);
}

function isObject(value: unknown): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}
