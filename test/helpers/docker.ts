import { getContainerRuntimeClient } from 'testcontainers';

let probe: Promise<string | null> | undefined;

/**
 * null when testcontainers finds a Docker engine, else why not. Asked once per process:
 * the answer does not change during a run and the probe costs a few seconds without an engine.
 */
export function dockerUnavailableReason(timeoutMs = 5000): Promise<string | null> {
  probe ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        getContainerRuntimeClient(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return null;
    } catch (error) {
      return `no Docker engine for testcontainers (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    } finally {
      clearTimeout(timer);
    }
  })();
  return probe;
}
