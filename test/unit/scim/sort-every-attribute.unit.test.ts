import { SCIM_READ_MODEL } from '../../../projections/scim/read-model-mapping';
import { ScimError } from '../../../shared/scim/errors';
import { compileSort } from '../../../shared/scim/filter/sql';
import type { ResourceTypeId } from '../../../shared/scim/schemas';
import { everySchemaPath } from '../../helpers/schema-paths';

/**
 * The whole kind behind `sortBy=meta.resourceType` answering 500: every attribute path of both
 * resource types, in every sortOrder, either is refused with 400 invalidValue or compiles to an
 * ORDER BY whose parameters are its own (numbered after the caller's), so the page query can be
 * sent them and the count query, which has no ORDER BY, never is.
 */
describe('compileSort over every attribute path the schemas publish', () => {
  const cases = (['User', 'Group'] as const).flatMap((on: ResourceTypeId) =>
    everySchemaPath(on).flatMap(({ path }) => [undefined, 'ascending', 'descending'].map((sortOrder) => [on, path, sortOrder] as const)),
  );

  it('covers every path of both resource types', () => {
    expect(cases.length).toBe(3 * (everySchemaPath('User').length + everySchemaPath('Group').length));
    expect(cases.map(([, path]) => path)).toEqual(expect.arrayContaining(['meta.resourceType', 'groups.type', 'members.type', 'meta.location', 'password']));
  });

  it.each(cases)('on %s sortBy %s sortOrder %s: 400 invalidValue or an ORDER BY using only its own parameters', (on, sortBy, sortOrder) => {
    const callers = ['a filter value', 'another'];
    const params: unknown[] = [...callers];
    let orderBy: string;
    try {
      orderBy = compileSort(sortBy, sortOrder, on, { readModel: SCIM_READ_MODEL, schema: 'scim_read', alias: on === 'User' ? 'u' : 'g', params });
    } catch (error) {
      expect(error).toBeInstanceOf(ScimError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
      expect((error as ScimError).detail).toContain(sortBy);
      expect(params).toEqual(callers);
      return;
    }
    expect(params.slice(0, callers.length)).toEqual(callers);
    const placeholders = [...orderBy.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]));
    for (const placeholder of placeholders) {
      expect(placeholder).toBeGreaterThan(callers.length);
      expect(placeholder).toBeLessThanOrEqual(params.length);
    }
    expect(new Set(placeholders).size).toBe(params.length - callers.length);
    expect(orderBy).toMatch(new RegExp(`${on === 'User' ? 'u' : 'g'}\\.id ${sortOrder === 'descending' ? 'DESC' : 'ASC'}$`));
  });
});
