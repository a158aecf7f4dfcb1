import { randomBytes } from 'node:crypto';
import { withDatabase } from '../../shared/db/connection-string';
import { dropDatabase } from '../../shared/db/create-database';
import { migrate } from '../../shared/db/migrate';
import { postgresServerUrl } from '../helpers/postgres';

describe('migrate', () => {
  it('lets several processes that start together migrate one fresh database: one applies, the others wait and find nothing to do', async () => {
    const url = withDatabase(postgresServerUrl(), `t_migrate_${randomBytes(4).toString('hex')}`);
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => migrate(url)));
      const applied = results.filter((names) => names.length > 0);
      expect(applied).toHaveLength(1);
      expect(results.filter((names) => names.length === 0)).toHaveLength(3);
      expect(applied[0]).toContain('1764332200000_event-store-functions');
    } finally {
      await dropDatabase(url);
    }
  });
});
