import { attribute, complexAttribute, type AttributeDefinition, type SchemaDefinition } from './definitions';

export const USER_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** RFC 7643 §2.4: the `value`/`display`/`type`/`primary` shape most multi-valued attributes share. */
function multiValued(
  name: string,
  description: string,
  options: { value?: Partial<AttributeDefinition>; types?: readonly string[]; required?: boolean } = {},
): AttributeDefinition {
  return complexAttribute(
    name,
    description,
    [
      attribute('value', `The value of the ${name} entry.`, options.value ?? {}),
      attribute('display', 'A human-readable name, primarily used for display purposes.'),
      attribute('type', `A label indicating the ${name} entry's function.`, {
        ...(options.types ? { canonicalValues: options.types } : {}),
      }),
      attribute('primary', `Whether this is the primary ${name} entry; at most one entry may be primary.`, {
        type: 'boolean',
      }),
    ],
    { multiValued: true, ...(options.required ? { required: true } : {}) },
  );
}

/**
 * RFC 7643 §4.1 and §8.7.1 as this service enforces it (RFC 7643 §7: the schema describes the
 * service): `userName` and `emails` are required; `userName` and the primary email's value are
 * unique (case-insensitive); caseExact as the attribute table of the SCIM behaviour doc states it.
 */
export const USER_SCHEMA: SchemaDefinition = {
  id: USER_SCHEMA_ID,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute('userName', 'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.', {
      required: true,
      uniqueness: 'server',
    }),
    complexAttribute('name', "The components of the user's real name.", [
      attribute('formatted', "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
      attribute('familyName', 'The family name of the User, or last name in most Western languages.'),
      attribute('givenName', 'The given name of the User, or first name in most Western languages.'),
      attribute('middleName', 'The middle name(s) of the User.'),
      attribute('honorificPrefix', "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.')."),
      attribute('honorificSuffix', "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III')."),
    ]),
    attribute('displayName', 'The name of the User, suitable for display to end-users.'),
    attribute('nickName', 'The casual way to address the user in real life.'),
    attribute('profileUrl', "A fully qualified URL pointing to a page representing the User's online profile.", {
      type: 'reference',
      referenceTypes: ['external'],
    }),
    attribute('title', "The user's title, such as 'Vice President'."),
    attribute('userType', 'Used to identify the relationship between the organization and the user.'),
    attribute('preferredLanguage', "Indicates the User's preferred written or spoken language (e.g., 'en-US')."),
    attribute('locale', "Used to indicate the User's default location for localizing items such as currency and dates (e.g., 'en-US')."),
    attribute('timezone', "The User's time zone in the 'Olson' time zone database format (e.g., 'America/Los_Angeles')."),
    attribute('active', "A Boolean value indicating the User's administrative status.", { type: 'boolean' }),
    attribute('password', "The User's cleartext password, used to set or replace it; never returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued('emails', 'Email addresses for the user; at least one. The primary one (else the first) is the account email, unique across the service.', {
      types: ['work', 'home', 'other'],
      required: true,
      value: { uniqueness: 'server' },
    }),
    multiValued('phoneNumbers', 'Phone numbers for the User.', {
      types: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
    }),
    multiValued('ims', 'Instant messaging addresses for the User.', {
      types: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
    }),
    multiValued('photos', 'URLs of photos of the User.', {
      value: { type: 'reference', referenceTypes: ['external'] },
      types: ['photo', 'thumbnail'],
    }),
    complexAttribute(
      'addresses',
      "A physical mailing address for this User.",
      [
        attribute('formatted', 'The full mailing address, formatted for display or use with a mailing label.'),
        attribute('streetAddress', 'The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information.'),
        attribute('locality', 'The city or locality component.'),
        attribute('region', 'The state or region component.'),
        attribute('postalCode', 'The zip code or postal code component.'),
        attribute('country', 'The country name component.'),
        attribute('type', "A label indicating the address's function.", { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'Whether this is the primary address; at most one address may be primary.', {
          type: 'boolean',
        }),
      ],
      { multiValued: true },
    ),
    complexAttribute(
      'groups',
      "A list of groups to which the user belongs, either through direct membership or through nested groups; derived from group membership.",
      [
        attribute('value', "The identifier of the User's group.", { caseExact: true, mutability: 'readOnly' }),
        attribute('$ref', "The URI of the corresponding 'Group' resource to which the user belongs.", {
          type: 'reference',
          referenceTypes: ['User', 'Group'],
          caseExact: true,
          mutability: 'readOnly',
        }),
        attribute('display', "A human-readable name, primarily used for display purposes.", { mutability: 'readOnly' }),
        attribute('type', "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.", {
          canonicalValues: ['direct', 'indirect'],
          mutability: 'readOnly',
        }),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    multiValued('entitlements', 'A list of entitlements for the User that represent a thing the User has.'),
    multiValued('roles', "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'."),
    multiValued('x509Certificates', 'A list of certificates issued to the User.', { value: { type: 'binary' } }),
  ],
};
