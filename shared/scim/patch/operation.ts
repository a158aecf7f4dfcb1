import type { JsonValue } from '../../domain/json';

/** One PatchOp operation after the boundary normalised it (lower-case op, real booleans). */
export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path?: string;
  readonly value?: JsonValue;
}

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
