import type { JsonDocument } from '../json';

/**
 * The client-owned SCIM attributes of a user as stored in events: everything a client may write,
 * except `active` (a state of the aggregate) and server attributes (id, meta, groups, schemas).
 * `userName` is always present; the enterprise extension lives under its URN key.
 */
export type UserAttributes = JsonDocument & { readonly userName: string };

export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The email that identifies the account: the one marked primary, else the first. */
export function primaryEmail(attributes: JsonDocument): string | undefined {
  const emails = attributes.emails;
  if (!Array.isArray(emails)) return undefined;
  const entries = emails.filter((e): e is { value: string; primary?: boolean } =>
    typeof e === 'object' && e !== null && typeof (e as { value?: unknown }).value === 'string',
  );
  return (entries.find((e) => e.primary === true) ?? entries[0])?.value;
}
