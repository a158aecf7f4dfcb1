import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server could not listen: the port is taken, not ours to take, or the address is not this machine's. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    /** The system error code: EADDRINUSE, EACCES, EADDRNOTAVAIL, ... */
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ListenError';
  }
}

export interface ListenTarget {
  readonly port: number;
  readonly host: string;
  /** What listens, for the message: "the SCIM API", "team-sync". */
  readonly what: string;
  /** The variable that sets the port, for the message: PORT, TEAM_SYNC_PORT. */
  readonly portVariable: string;
}

function explain({ port, host, what, portVariable }: ListenTarget, code: string | undefined, cause: Error): string {
  const where = `${what} cannot listen on ${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${where}: the port is already in use (another instance of this service, or another program). Stop it, or set ${portVariable} to a free port.`;
    case 'EACCES':
      return `${where}: permission denied (ports below 1024 need privileges). Set ${portVariable} to a port above 1023.`;
    case 'EADDRNOTAVAIL':
      return `${where}: ${host} is not an address of this machine. Set HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for all).`;
    default:
      return `${where}: ${cause.message}`;
  }
}

/**
 * Starts `server` listening on host:port and resolves with the port it got (port 0 picks a free
 * one). A failure rejects with a ListenError whose message says what to do, and the server is
 * left closed: nothing else of the process should start after it (a second instance on a taken
 * port must not join consumer groups or take locks from the healthy one).
 */
export function listen(server: Server, target: ListenTarget): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new ListenError(explain(target, error.code, error), target.host, target.port, error.code, { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(target.port, target.host);
  });
}

/** Stops accepting connections and resolves once the open ones are closed (idle keep-alive ones at once). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
