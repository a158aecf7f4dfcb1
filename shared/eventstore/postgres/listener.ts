import { Client, escapeIdentifier, type ClientConfig } from 'pg';
import type { Logger } from '../../logging/logger';

const MIN_RECONNECT_DELAY_MS = 100;
const MAX_RECONNECT_DELAY_MS = 5_000;
/** A connection that lived this long was healthy: the next loss starts the backoff afresh. */
const HEALTHY_AFTER_MS = 10_000;

/**
 * One LISTEN connection per store, shared by its subscriptions. A notification only says "the log
 * may have grown": subscribers re-read and poll anyway, so a lost notification (or a lost
 * connection) delays delivery and never loses an event.
 */
export interface NotificationObserver {
  /** A notification's payload, in the order the server sent them. */
  notified(payload: string): void;
  /** The connection was (re)established: notifications sent while it was down are lost. */
  connected(): void;
  /** The connection is gone: notifications are lost until connected() is called again. */
  lost(): void;
}

export class NotificationListener {
  /** Bumped on every notification and every (re)connection. */
  private version = 0;
  private readonly waiters = new Set<() => void>();
  private readonly observers = new Set<NotificationObserver>();
  private client: Client | undefined;
  private connectedAt = 0;
  private reconnectDelayMs = MIN_RECONNECT_DELAY_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly log: Logger | undefined,
  ) {}

  /** Connects on first use; a store that only appends never opens the connection. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  /** Tells `observer` every payload from now on, and every loss and return of the connection. */
  observe(observer: NotificationObserver): () => void {
    this.observers.add(observer);
    if (!this.client) observer.lost();
    this.start();
    return () => this.observers.delete(observer);
  }

  /** Whether LISTEN is in effect now. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** The current version, to hand back to wait() after reading the log. */
  get seen(): number {
    return this.version;
  }

  /**
   * Resolves once a notification arrived after `seen` was taken (at once if one already did),
   * after `timeoutMs`, or when `signal` aborts.
   */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.version !== seen || signal.aborted || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.wake();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private wake(): void {
    this.version++;
    for (const waiter of [...this.waiters]) waiter();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client(this.config);
    client.on('notification', (message) => {
      for (const observer of this.observers) observer.notified(message.payload ?? '');
      this.wake();
    });
    // Errors while connecting reject connect() below; later ones mean the connection is gone.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN ${escapeIdentifier(this.channel)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (this.closed) return;
      this.log?.warn({ err, retryInMs: this.reconnectDelayMs }, 'listener connect failed');
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connectedAt = Date.now();
    for (const observer of this.observers) observer.connected();
    if (this.version > 0) this.log?.info({ channel: this.channel }, 'listener reconnected');
    // Whatever was notified while nobody listened: let every subscriber look.
    this.wake();
  }

  private lost(client: Client, err: Error | undefined): void {
    if (this.client !== client) return;
    this.client = undefined;
    for (const observer of this.observers) observer.lost();
    void client.end().catch(() => undefined);
    if (this.closed) return;
    if (Date.now() - this.connectedAt >= HEALTHY_AFTER_MS) this.reconnectDelayMs = MIN_RECONNECT_DELAY_MS;
    this.log?.warn({ err, retryInMs: this.reconnectDelayMs }, 'listener lost');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }
}
