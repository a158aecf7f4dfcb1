import { createCrashRestart, TRANSIENT_CRASHES } from '../../../services/team-sync/crash-restart';
import { createLogger } from '../../../shared/logging/logger';

const log = createLogger({ level: 'silent' });

function namedError(name: string): Error {
  const error = new Error(`${name} happened`);
  error.name = name;
  return error;
}

describe('team-sync restarts a consumer that kafkajs gives up on after a transient crash', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('leaves a crash that kafkajs restarts to kafkajs', () => {
    const restart = jest.fn(() => Promise.resolve());
    const onFatal = jest.fn();
    const crashes = createCrashRestart({ log, backoffMs: 2_000, stopped: () => false, restart, onFatal });
    crashes.onCrash({ error: namedError('KafkaJSNumberOfRetriesExceeded'), restart: true });
    jest.advanceTimersByTime(10_000);
    expect(restart).not.toHaveBeenCalled();
    expect(onFatal).not.toHaveBeenCalled();
  });

  it('restarts after the backoff when kafkajs will not (group coordinator not found), and once for a burst of crashes', async () => {
    expect(TRANSIENT_CRASHES.has('KafkaJSGroupCoordinatorNotFound')).toBe(true);
    const restart = jest.fn(() => Promise.resolve());
    const onFatal = jest.fn();
    const crashes = createCrashRestart({ log, backoffMs: 2_000, stopped: () => false, restart, onFatal });
    crashes.onCrash({ error: namedError('KafkaJSGroupCoordinatorNotFound'), restart: false });
    crashes.onCrash({ error: namedError('KafkaJSGroupCoordinatorNotFound'), restart: false });
    jest.advanceTimersByTime(1_999);
    expect(restart).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(restart).toHaveBeenCalledTimes(1);
    expect(onFatal).not.toHaveBeenCalled();
  });

  it('tries again after each failed restart until one succeeds', async () => {
    let failures = 2;
    const restart = jest.fn(() => (failures-- > 0 ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve()));
    const crashes = createCrashRestart({ log, backoffMs: 1_000, stopped: () => false, restart });
    crashes.onCrash({ error: namedError('KafkaJSGroupCoordinatorNotFound'), restart: false });
    await jest.advanceTimersByTimeAsync(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(restart).toHaveBeenCalledTimes(3);
  });

  it('does not restart once team-sync stops, and cancel drops a pending restart', async () => {
    let stopped = false;
    const restart = jest.fn(() => Promise.resolve());
    const crashes = createCrashRestart({ log, backoffMs: 1_000, stopped: () => stopped, restart });
    crashes.onCrash({ error: namedError('KafkaJSGroupCoordinatorNotFound'), restart: false });
    crashes.cancel();
    await jest.advanceTimersByTimeAsync(5_000);
    crashes.onCrash({ error: namedError('KafkaJSGroupCoordinatorNotFound'), restart: false });
    stopped = true;
    await jest.advanceTimersByTimeAsync(5_000);
    crashes.onCrash({ error: namedError('KafkaJSGroupCoordinatorNotFound'), restart: false });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(restart).not.toHaveBeenCalled();
  });

  it('calls any other crash kafkajs will not restart fatal', () => {
    const restart = jest.fn(() => Promise.resolve());
    const onFatal = jest.fn();
    const crashes = createCrashRestart({ log, backoffMs: 1_000, stopped: () => false, restart, onFatal });
    const error = namedError('KafkaJSNonRetriableError');
    crashes.onCrash({ error, restart: false });
    jest.advanceTimersByTime(5_000);
    expect(onFatal).toHaveBeenCalledWith(error);
    expect(restart).not.toHaveBeenCalled();
  });
});
