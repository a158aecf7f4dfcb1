import { tokenStreamId } from '../domain/tokens/token';
import type { EventStore, JsonObject } from '../eventstore/port';

/** Who caused an event, as the audit trail shows it. */
export interface ActorDescription {
  /** `scim-token`, `admin`, `system`, `import`, or what a newer writer records. */
  readonly kind: string;
  /** The token id, administrator id, or system component; never a secret. */
  readonly id: string;
  /** A SCIM token's description, from its stream's ScimTokenCreated; undefined for other actors or an unknown token. */
  readonly tokenDescription?: string;
  /** One line for people: `SCIM token "Entra ID" (st-…)`, `administrator at-bootstrap`, `system (start-up)`. */
  readonly label: string;
}

/** Where the request came from and which one it was, from the event's metadata. */
export interface RequestOrigin {
  readonly requestId: string | null;
  readonly correlationId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function requestOrigin(metadata: JsonObject): RequestOrigin {
  const source = (typeof metadata.source === 'object' && metadata.source !== null ? metadata.source : {}) as Record<string, unknown>;
  return {
    requestId: text(metadata.requestId),
    correlationId: text(metadata.correlationId),
    ip: text(source.ip),
    userAgent: text(source.userAgent),
  };
}

/**
 * Names the actors of events from the log alone: a SCIM token by the description its stream
 * (`scim-token-<id>`) was created with, which stays in the log after the token is revoked or SCIM
 * is disabled. Each token stream is read once per directory.
 */
export class ActorDirectory {
  private readonly descriptions = new Map<string, Promise<string | undefined>>();

  constructor(private readonly store: EventStore) {}

  async describe(metadata: JsonObject): Promise<ActorDescription> {
    const actor = (typeof metadata.actor === 'object' && metadata.actor !== null ? metadata.actor : {}) as Record<string, unknown>;
    const kind = text(actor.kind) ?? 'unknown';
    const id = text(actor.id) ?? '';
    if (kind === 'scim-token') {
      const description = await this.tokenDescription(id);
      const named = description ? `SCIM token "${description}"` : 'SCIM token';
      return { kind, id, ...(description === undefined ? {} : { tokenDescription: description }), label: `${named} (${id})` };
    }
    const label =
      kind === 'admin' ? `administrator ${id}` : kind === 'system' ? `system (${id})` : kind === 'import' ? `import (${id})` : `${kind}${id ? ` ${id}` : ''}`;
    return { kind, id, label };
  }

  /** The description a token was created with; undefined when its stream holds no ScimTokenCreated. */
  tokenDescription(tokenId: string): Promise<string | undefined> {
    let known = this.descriptions.get(tokenId);
    if (!known) {
      known = tokenId
        ? this.store.readStream(tokenStreamId(tokenId), { maxCount: 1 }).then((events) => {
            const created = events.find((e) => e.type === 'ScimTokenCreated');
            return created ? (text(created.data.description) ?? undefined) : undefined;
          })
        : Promise.resolve(undefined);
      this.descriptions.set(tokenId, known);
    }
    return known;
  }
}
