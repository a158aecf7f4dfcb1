/**
 * A client-side ledger of the SCIM writes a load sent: for every resource, what the last
 * acknowledged response (2xx) said about it, in acknowledgement order. Checks (checks.ts) then
 * require each acknowledged state to be visible through GET once the faults are over: an
 * acknowledged write that is not there was lost.
 *
 * A write whose outcome is unknown (the connection dropped, a 503, a timeout) is not required:
 * it may or may not have happened. It makes its resource's attributes uncertain until a later
 * acknowledgement for the same resource (whose body is the whole resource, RFC 7644 §3.5.2: so it
 * states everything again). An unknown create leaves no id to check at all.
 *
 * JavaScript runs the clients' callbacks one at a time, so recording is atomic; "acknowledgement
 * order" is the order the responses arrived in this process. For several clients writing to one
 * resource at once that need not be the order the service committed them in; the loads of this
 * suite give every resource one writer, and scenario 4 checks the concurrent case against a model.
 */
export type ResourceType = 'User' | 'Group';

/** The attributes an acknowledgement states and a GET must show again (undefined: not stated). */
export interface ExpectedAttributes {
  readonly userName?: string;
  readonly active?: boolean;
  readonly displayName?: string;
  /** Member ids, sorted. */
  readonly members?: readonly string[];
  /** meta.version (the ETag) of the acknowledged response. */
  readonly version?: string;
}

/** What the ledger holds for one resource. */
export interface LedgerEntry {
  readonly type: ResourceType;
  readonly id: string;
  /** True once a DELETE was acknowledged: a GET must answer 404. */
  readonly deleted: boolean;
  readonly expected: ExpectedAttributes;
  /** Writes acknowledged for this resource. */
  readonly acknowledgedWrites: number;
  /** Set when a write with an unknown outcome came after the last acknowledgement: attributes are not required. */
  readonly uncertain: boolean;
  /** Set when that write was a DELETE: the resource may be gone (404 is fine too). */
  readonly maybeDeleted: boolean;
  /** Sequence number of the last acknowledgement, in ledger order. */
  readonly lastAck: number;
}

/** A write that was neither acknowledged nor refused. */
export interface UnknownWrite {
  readonly type: ResourceType;
  /** Undefined for a create whose answer never came. */
  readonly id?: string;
  readonly operation: string;
  /** The HTTP status (503) or 0 for a connection that failed or timed out. */
  readonly status: number;
  readonly at: number;
}

/** The attributes of a SCIM User or Group response body the ledger keeps. */
export function expectedFromBody(type: ResourceType, body: Record<string, unknown>): ExpectedAttributes {
  const meta = body.meta as { version?: string } | undefined;
  const common = { ...(typeof meta?.version === 'string' ? { version: meta.version } : {}) };
  if (type === 'User') {
    return {
      ...common,
      ...(typeof body.userName === 'string' ? { userName: body.userName } : {}),
      ...(typeof body.active === 'boolean' ? { active: body.active } : {}),
      ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
    };
  }
  const members = Array.isArray(body.members) ? (body.members as { value: string }[]).map((m) => m.value).sort() : [];
  return { ...common, ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}), members };
}

export class WriteLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly unknowns: UnknownWrite[] = [];
  private sequence = 0;

  private static key(type: ResourceType, id: string): string {
    return `${type}/${id}`;
  }

  /** A 2xx to a create, replace or patch: `body` is the resource the response carried. */
  acknowledged(type: ResourceType, body: Record<string, unknown>): void {
    const id = body.id;
    if (typeof id !== 'string') throw new Error(`an acknowledged ${type} write without an id: ${JSON.stringify(body).slice(0, 200)}`);
    const previous = this.entries.get(WriteLedger.key(type, id));
    this.entries.set(WriteLedger.key(type, id), {
      type,
      id,
      deleted: false,
      expected: expectedFromBody(type, body),
      acknowledgedWrites: (previous?.acknowledgedWrites ?? 0) + 1,
      uncertain: false,
      maybeDeleted: false,
      lastAck: ++this.sequence,
    });
  }

  /** A 204 to a DELETE. */
  acknowledgedDelete(type: ResourceType, id: string): void {
    const previous = this.entries.get(WriteLedger.key(type, id));
    this.entries.set(WriteLedger.key(type, id), {
      type,
      id,
      deleted: true,
      expected: {},
      acknowledgedWrites: (previous?.acknowledgedWrites ?? 0) + 1,
      uncertain: false,
      maybeDeleted: false,
      lastAck: ++this.sequence,
    });
  }

  /** A write whose outcome is unknown: not required; it makes the resource's attributes uncertain (operation 'delete': its existence too). */
  unknown(write: Omit<UnknownWrite, 'at'>): void {
    this.unknowns.push({ ...write, at: Date.now() });
    if (write.id === undefined) return;
    const previous = this.entries.get(WriteLedger.key(write.type, write.id));
    if (previous) this.entries.set(WriteLedger.key(write.type, write.id), { ...previous, uncertain: true, maybeDeleted: previous.maybeDeleted || write.operation === 'delete' });
  }

  /** Every resource with at least one acknowledged write, in acknowledgement order of their last write. */
  resources(): LedgerEntry[] {
    return [...this.entries.values()].sort((a, b) => a.lastAck - b.lastAck);
  }

  /** The ledger's entry for a resource, if any write to it was acknowledged. */
  get(type: ResourceType, id: string): LedgerEntry | undefined {
    return this.entries.get(WriteLedger.key(type, id));
  }

  /** Acknowledged writes in all (creates, patches, deletes). */
  get acknowledgedWrites(): number {
    return this.sequence;
  }

  get unknownWrites(): readonly UnknownWrite[] {
    return this.unknowns;
  }
}
