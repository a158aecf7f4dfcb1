import { decodeProblems, goTfeError, loadGoTfeCalls, substitute, type DecodeSpec } from '../contract/go-tfe/go-tfe-client';

const TOKEN: DecodeSpec = { model: 'AdminSCIMToken', kind: 'one', type: 'authentication-tokens', attributes: { 'created-at': 'time-iso8601', description: 'string', token: 'string' } };

describe('the go-tfe contract fixtures', () => {
  const calls = [...loadGoTfeCalls().values()];

  it('cover every go-tfe admin SCIM method', () => {
    const functions = new Set(calls.map((c) => c.source.function));
    for (const fn of [
      'adminSCIMSettings.Read',
      'adminSCIMSettings.Update',
      'adminSCIMSettings.Delete',
      'adminSCIMTokens.List',
      'adminSCIMTokens.CreateWithOptions',
      'adminSCIMTokens.Read',
      'adminSCIMTokens.Delete',
      'adminSCIMGroups.List',
      'adminSCIMGroupMappings.Create',
      'adminSCIMGroupMappings.Update',
      'adminSCIMGroupMappings.Delete',
    ]) {
      expect(functions).toContain(fn);
    }
  });

  it.each(calls.filter((c) => c.request.body !== null).map((c) => [c.name, c] as const))(
    '%s: a body as hashicorp/jsonapi encodes it (type first, attributes sorted, a newline after)',
    (_name, call) => {
      const body = substitute(call.request.body!, new Proxy({}, { get: () => 'x' }), Date.parse('2026-01-01T00:00:00Z'));
      expect(body.endsWith('}\n')).toBe(true);
      // json.Encoder writes no whitespace between tokens (strings aside).
      expect(body.slice(0, -1).replace(/"(?:[^"\\]|\\.)*"/g, '""')).not.toMatch(/\s/);
      const parsed = JSON.parse(body) as { data: { type: string; attributes?: Record<string, unknown> } };
      expect(Object.keys(parsed)).toEqual(['data']);
      expect(Object.keys(parsed.data)[0]).toBe('type');
      const names = Object.keys(parsed.data.attributes ?? {});
      expect(names).toEqual([...names].sort());
      expect(call.request.headers['Content-Type']).toBe('application/vnd.api+json');
    },
  );

  it('write times as go-tfe does: UTC, whole seconds, Z', () => {
    expect(substitute('{{expiredAt:29d10s}}', {}, Date.parse('2026-01-01T00:00:00.789Z'))).toBe('2026-01-30T00:00:10Z');
  });
});

describe('judging an answer as go-tfe would', () => {
  it('decodes a document of the right type with attributes of the right JSON types; nulls are skipped', () => {
    expect(decodeProblems(TOKEN, { data: { id: 'st-1', type: 'authentication-tokens', attributes: { 'created-at': '2026-01-15T10:30:00.123Z', description: null, token: null } } })).toEqual([]);
  });

  it('finds a wrong type, a missing id, a string where a time goes, and a time Go cannot parse', () => {
    expect(decodeProblems(TOKEN, { data: { type: 'tokens', attributes: { 'created-at': '2026-01-15T10:30:00+00:00', description: 5 } } })).toEqual([
      'data.type is "tokens", AdminSCIMToken needs "authentication-tokens"',
      'data.id is not a non-empty string',
      'data.attributes.created-at is not a time go-tfe parses (2006-01-02T15:04:05Z)',
      'data.attributes.description is not a JSON string',
    ]);
  });

  it('finds pagination that encoding/json cannot put in an int', () => {
    const spec: DecodeSpec = { model: 'AdminSCIMGroupList', kind: 'many', type: 'scim-groups', attributes: {}, pagination: true };
    expect(decodeProblems(spec, { data: [], meta: { pagination: { 'current-page': '1', 'total-count': 1.5 } } })).toEqual([
      'meta.pagination.current-page is not a whole number',
      'meta.pagination.total-count is not a whole number',
    ]);
  });

  it('turns error documents into go-tfe error strings', () => {
    expect(goTfeError(409, JSON.stringify({ errors: [{ status: '409', title: 'conflict', detail: 'Team is not linked to a SCIM group' }] }))).toBe(
      'conflict\n\nTeam is not linked to a SCIM group',
    );
    expect(goTfeError(404, '')).toBe('resource not found');
    expect(goTfeError(204, '')).toBeUndefined();
  });
});
