import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The go-tfe contract: what each admin SCIM call of hashicorp/go-tfe sends, byte for byte, and
 * what it needs back to decode (fixtures/*.json, read from go-tfe's and hashicorp/jsonapi's
 * source at the commits each fixture names). This file replays a fixture over HTTP and judges the
 * answer the way go-tfe would: its status check, its error strings, and hashicorp/jsonapi's
 * decoding of `data`.
 */

/** How go-tfe's struct field decodes: hashicorp/jsonapi skips a null attribute, and fails on a value of another JSON type. */
export type FieldType = 'bool' | 'string' | 'int' | 'time-iso8601' | 'object';

export interface DecodeSpec {
  /** The go-tfe struct (`AdminSCIMSetting`, `AdminSCIMTokenList`, ...). */
  readonly model: string;
  readonly kind: 'one' | 'many';
  /** The primary tag's type: `data.type` must be exactly this. */
  readonly type: string;
  readonly attributes: Readonly<Record<string, FieldType>>;
  /** The list embeds `*Pagination`: `meta.pagination` is decoded with encoding/json into ints. */
  readonly pagination?: boolean;
}

export interface GoTfeCall {
  readonly name: string;
  /** The go-tfe call as Go code. */
  readonly call: string;
  readonly source: { readonly repository: string; readonly commit: string; readonly file: string; readonly splitFile: string; readonly function: string; readonly note?: string };
  readonly request: { readonly method: string; readonly path: string; readonly headers: Readonly<Record<string, string>>; readonly body: string | null };
  readonly expect: {
    readonly status: number;
    readonly decode?: DecodeSpec | null;
    /** go-tfe's error string: compared whole (require.EqualError) or as a substring (require.ErrorContains). */
    readonly error?: { readonly equals?: string; readonly contains?: string };
  };
  /** Values to keep from the response for later calls: placeholder name -> dotted path. */
  readonly capture?: Readonly<Record<string, string>>;
}

interface FixtureFile {
  readonly calls: readonly GoTfeCall[];
}

const FIXTURES = path.join(__dirname, 'fixtures');

/** Every fixture call by name, from every file. */
export function loadGoTfeCalls(): Map<string, GoTfeCall & { readonly file: string }> {
  const calls = new Map<string, GoTfeCall & { file: string }>();
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()) {
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as FixtureFile;
    for (const call of fixture.calls) {
      if (calls.has(call.name)) throw new Error(`fixture call ${call.name} appears twice`);
      calls.set(call.name, { ...call, file });
    }
  }
  return calls;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `{{name}}` from `vars`; `{{expiredAt:60d}}` / `{{expiredAt:29d10s}}` as go-tfe writes a
 * `time.Now().Add(...)` with the iso8601 tag: UTC, whole seconds, `Z`.
 */
export function substitute(template: string, vars: Readonly<Record<string, string>>, now = Date.now()): string {
  return template.replace(/\{\{([\w-]+)(?::(\d+)d(?:(\d+)s)?)?\}\}/g, (_match, name: string, days?: string, seconds?: string) => {
    if (days !== undefined) return new Date(now + Number(days) * DAY_MS + Number(seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const value = vars[name];
    if (value === undefined) throw new Error(`no value for {{${name}}}`);
    return value;
  });
}

/** go-tfe's checkResponseCode and decodeErrorPayload: the error a failed call returns, as its string. */
export function goTfeError(status: number, text: string): string | undefined {
  if (status >= 200 && status <= 399) return undefined;
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'resource not found';
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(body.errors) && body.errors.length > 0 && body.errors.every((e) => typeof e === 'object' && e !== null)) {
      return (body.errors as { title?: string; detail?: string }[]).map((e) => (e.detail ? `${e.title ?? ''}\n\n${e.detail}` : (e.title ?? ''))).join('\n');
    }
  } catch {
    // go-tfe then falls back to the status line
  }
  return `HTTP ${status}`;
}

/** Go's time.Parse with layout "2006-01-02T15:04:05Z" (a literal Z; a fraction after the seconds is accepted). */
const GO_ISO8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function fieldProblem(type: FieldType, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'is not a JSON boolean';
    case 'string':
      return typeof value === 'string' ? undefined : 'is not a JSON string';
    case 'int':
      return Number.isInteger(value) ? undefined : 'is not a whole JSON number';
    case 'time-iso8601':
      return typeof value === 'string' && GO_ISO8601.test(value) ? undefined : 'is not a time go-tfe parses (2006-01-02T15:04:05Z)';
    case 'object':
      return typeof value === 'object' && !Array.isArray(value) ? undefined : 'is not a JSON object';
  }
}

/**
 * Why hashicorp/jsonapi (and go-tfe's pagination decoding) would fail on `body`, or [] when it
 * decodes: `data` of the right shape, each resource of the primary type with a string id, every
 * attribute the model has of a JSON type its field takes, and `meta.pagination` of whole numbers.
 */
export function decodeProblems(spec: DecodeSpec, body: unknown): string[] {
  const problems: string[] = [];
  const data = (body as { data?: unknown } | null)?.data;
  const resources = spec.kind === 'many' ? data : [data];
  if (!Array.isArray(resources)) return [`data is not ${spec.kind === 'many' ? 'an array' : 'an object'}`];
  resources.forEach((resource, i) => {
    const at = spec.kind === 'many' ? `data[${i}]` : 'data';
    if (typeof resource !== 'object' || resource === null) return void problems.push(`${at} is not an object`);
    const { type, id, attributes } = resource as { type?: unknown; id?: unknown; attributes?: unknown };
    if (type !== spec.type) problems.push(`${at}.type is ${JSON.stringify(type)}, ${spec.model} needs ${JSON.stringify(spec.type)}`);
    if (typeof id !== 'string' || id === '') problems.push(`${at}.id is not a non-empty string`);
    if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null)) return void problems.push(`${at}.attributes is not an object`);
    for (const [name, fieldType] of Object.entries(spec.attributes)) {
      const problem = fieldProblem(fieldType, (attributes as Record<string, unknown> | undefined)?.[name]);
      if (problem) problems.push(`${at}.attributes.${name} ${problem}`);
    }
  });
  if (spec.pagination) {
    const pagination = (body as { meta?: { pagination?: Record<string, unknown> } }).meta?.pagination;
    if (typeof pagination !== 'object' || pagination === null) problems.push('meta.pagination is missing');
    else {
      for (const field of ['current-page', 'prev-page', 'next-page', 'total-count', 'total-pages']) {
        const value = pagination[field];
        if (value !== null && value !== undefined && !Number.isInteger(value)) problems.push(`meta.pagination.${field} is not a whole number`);
      }
    }
  }
  return problems;
}

/** go-tfe's `Pagination` as encoding/json fills it (a null leaves 0). */
export function goTfePagination(body: unknown): { CurrentPage: number; PreviousPage: number; NextPage: number; TotalCount: number; TotalPages: number } {
  const p = ((body as { meta?: { pagination?: Record<string, number | null> } }).meta?.pagination ?? {}) as Record<string, number | null>;
  return {
    CurrentPage: p['current-page'] ?? 0,
    PreviousPage: p['prev-page'] ?? 0,
    NextPage: p['next-page'] ?? 0,
    TotalCount: p['total-count'] ?? 0,
    TotalPages: p['total-pages'] ?? 0,
  };
}

/** A dotted path (`data.attributes.token`) into a parsed body. */
export function valueAt(body: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], body);
}
