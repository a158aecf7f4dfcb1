import { Writable } from 'node:stream';
import { startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** The request log's level says whose problem an answer is: errors are kept for the service's own faults. */
describe('the request log level', () => {
  let api: ScimApiUnderTest;
  const lines: { level: number; req?: { url?: string }; res?: { statusCode?: number } }[] = [];
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as (typeof lines)[number]);
        done();
      },
    });
    api = await startScimApi('request_log_levels', {}, { logDestination: destination, logLevel: 'info' });
  });
  afterAll(async () => {
    await api.close();
  });

  /** The request-log line of the answer to `url` (pino-http logs when the response finishes). */
  const logged = (url: string) => lines.find((line) => line.req?.url === url && line.res?.statusCode !== undefined);

  it.each([
    ['/scim/v2/Me', 501, 40],
    ['/scim/v2/Bulk', 501, 40],
    ['/scim/v2/Users/00000000-0000-4000-8000-000000000000', 404, 40],
    ['/scim/v2/ServiceProviderConfig', 200, 30],
  ])('GET %s → %i is logged at level %i (501 is an endpoint left out, not a fault)', async (url, status, level) => {
    const res = await api.scim('get', url.replace('/scim/v2', ''));
    expect(res.status).toBe(status);
    expect(logged(url)).toMatchObject({ level, res: { statusCode: status } });
  });
});
