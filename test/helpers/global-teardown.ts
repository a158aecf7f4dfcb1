import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_LOG_DIR, TOKEN_PATTERN } from './service-logs';

type Stop = () => Promise<unknown>;

/** No token value in any log line of the whole run (issue: token secrecy). */
function assertNoTokenInLogs(): void {
  if (!existsSync(SERVICE_LOG_DIR)) return;
  let lines = 0;
  for (const file of readdirSync(SERVICE_LOG_DIR)) {
    const text = readFileSync(path.join(SERVICE_LOG_DIR, file), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines++;
      if (TOKEN_PATTERN.test(line)) throw new Error(`a token value appears in the service logs (${file}): ${line.slice(0, 300)}`);
    }
  }
  console.log(`[test] ${lines} service log lines checked: no token value in any`);
}

export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __testServiceStops?: Stop[] }).__testServiceStops ?? [];
  await Promise.all(stops.map((stop) => stop()));
  assertNoTokenInLogs();
}
