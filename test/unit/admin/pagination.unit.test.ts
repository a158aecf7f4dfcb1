import type { Request } from 'express';
import { AdminApiError, jsonPathToPointer } from '../../../services/scim-api/admin/json-api';
import { pageLink, pageOf, pageRequestOf } from '../../../services/scim-api/admin/pagination';

const requestWith = (query: Record<string, unknown>) =>
  ({ query, protocol: 'https', host: 'tfe.example.com', baseUrl: '/api/v2/admin/scim-groups', path: '/' }) as unknown as Request;

describe('admin list pagination (api-docs/admin/scim-groups)', () => {
  it('defaults to page 1 of 20', () => {
    expect(pageRequestOf(requestWith({}))).toEqual({ number: 1, size: 20 });
  });

  it.each([
    [{ 'page[number]': '0' }, 'page[number]'],
    [{ 'page[number]': '1.5' }, 'page[number]'],
    [{ 'page[size]': '101' }, 'page[size]'],
    [{ 'page[size]': '' }, 'page[size]'],
    [{ 'page[size]': ['1', '2'] }, 'page[size]'],
  ])('rejects %j with 400 naming the parameter', (query, parameter) => {
    let thrown: unknown;
    try {
      pageRequestOf(requestWith(query));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AdminApiError);
    expect((thrown as AdminApiError).status).toBe(400);
    expect((thrown as AdminApiError).source).toEqual({ parameter });
  });

  it.each([
    [{ number: 1, size: 20 }, 0, { currentPage: 1, pageSize: 20, prevPage: null, nextPage: null, totalPages: 1, totalCount: 0 }],
    [{ number: 1, size: 20 }, 30, { currentPage: 1, pageSize: 20, prevPage: null, nextPage: 2, totalPages: 2, totalCount: 30 }],
    [{ number: 2, size: 20 }, 30, { currentPage: 2, pageSize: 20, prevPage: 1, nextPage: null, totalPages: 2, totalCount: 30 }],
    [{ number: 3, size: 3 }, 6, { currentPage: 3, pageSize: 3, prevPage: 2, nextPage: null, totalPages: 2, totalCount: 6 }],
    [{ number: 2, size: 3 }, 9, { currentPage: 2, pageSize: 3, prevPage: 1, nextPage: 3, totalPages: 3, totalCount: 9 }],
  ])('places %j in %d items', (request, total, page) => {
    expect(pageOf(request, total)).toEqual(page);
  });

  it('links to a page with the same size and filter, brackets percent-encoded as in the platform sample', () => {
    const link = pageLink(requestWith({ q: 'eng team', 'page[number]': '1' }), { number: 1, size: 20 });
    expect(link(2)).toBe('https://tfe.example.com/api/v2/admin/scim-groups?page%5Bnumber%5D=2&page%5Bsize%5D=20&q=eng+team');
  });
});

describe('jsonPathToPointer', () => {
  it.each([
    ['$.data.attributes.name', '/data/attributes/name'],
    ['$.data.attributes["expired-at"]', '/data/attributes/expired-at'],
    ['$.data.attributes["service-accounts"][0].name', '/data/attributes/service-accounts/0/name'],
    ['$["a/b"]', '/a~1b'],
  ])('%s -> %s', (path, pointer) => {
    expect(jsonPathToPointer(path)).toBe(pointer);
  });
});
