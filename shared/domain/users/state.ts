import type { UserAttributes } from './attributes';
import type { UserEvent } from './events';

interface Existing {
  readonly userId: string;
  readonly attributes: UserAttributes;
  readonly accountId: string;
  readonly created: string;
  readonly lastModified: string;
}

export type UserState =
  | { readonly status: 'Absent' }
  | ({ readonly status: 'Active' } & Existing)
  | ({ readonly status: 'Deactivated' } & Existing)
  /** The last attributes stay: the read model keeps a tombstone row, and the audit trail can show them. */
  | ({ readonly status: 'Deleted' } & Existing);

export const initialUserState: UserState = { status: 'Absent' };

export function evolveUser(state: UserState, event: UserEvent): UserState {
  const at = event.metadata.occurredAt;
  switch (event.type) {
    case 'UserProvisioned':
      return {
        status: event.data.active ? 'Active' : 'Deactivated',
        userId: event.data.userId,
        attributes: event.data.attributes,
        accountId: event.data.accountId,
        created: at,
        lastModified: at,
      };
    case 'UserAttributesChanged': {
      if (state.status !== 'Active' && state.status !== 'Deactivated') return state;
      const attributes: Record<string, unknown> = { ...state.attributes, ...event.data.set };
      for (const name of event.data.unset) delete attributes[name];
      return { ...state, attributes: attributes as UserAttributes, lastModified: at };
    }
    case 'UserDeactivated':
      return state.status === 'Active' ? { ...state, status: 'Deactivated', lastModified: at } : state;
    case 'UserReactivated':
      return state.status === 'Deactivated' ? { ...state, status: 'Active', lastModified: at } : state;
    case 'UserDeleted':
      return state.status === 'Active' || state.status === 'Deactivated' ? { ...state, status: 'Deleted', lastModified: at } : state;
    default:
      // Events of newer versions or other aggregates: ignored, never fatal.
      return state;
  }
}
