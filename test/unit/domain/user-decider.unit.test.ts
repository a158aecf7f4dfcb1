import { userDecider } from '../../../shared/domain/users/decider';
import type { UserCommand } from '../../../shared/domain/users/commands';
import type { UserEvent } from '../../../shared/domain/users/events';
import type { JsonValue } from '../../../shared/domain/json';
import type { PatchOperation } from '../../../shared/scim/patch/operation';
import { ENTERPRISE_USER_SCHEMA_ID as ENTERPRISE } from '../../../shared/scim/schemas';
import { context, metadata, specification } from '../../helpers/decider-spec';

const given = specification(userDecider);

describe('user decider', () => {
  describe('ProvisionUser', () => {
    it('provisions an active user with a new account', () => {
      given([]).when(provision()).then([provisioned()]);
    });

    it('provisions a suspended user when active is false', () => {
      given([]).when(provision({ active: false })).then([provisioned({ active: false })]);
    });

    it('records the link to an existing platform account', () => {
      given([])
        .when(provision({ account: { id: 'account-9', linkedExisting: true } }))
        .then([provisioned({ accountId: 'account-9', linkedExistingAccount: true })]);
    });

    it('rejects a user without a userName', () => {
      given([]).when(provision({ attributes: { userName: ' ', emails: [{ value: 'a@b.c' }] } })).thenThrows(400, 'invalidValue', /userName is required/);
    });

    it('rejects a user without an email', () => {
      given([]).when(provision({ attributes: { userName: 'jdoe' } })).thenThrows(400, 'invalidValue', /email is required/);
    });

    it('rejects provisioning an id that already exists', () => {
      given([provisioned()]).when(provision()).thenThrows(409, 'uniqueness', /already exists/);
    });
  });

  describe('ReplaceUser', () => {
    it('records only the attributes that changed', () => {
      given([provisioned()])
        .when(replace({ attributes: { ...attributes, displayName: 'Jane D' } }))
        .then([changed({ set: { displayName: 'Jane D' }, unset: [] })]);
    });

    it('records removed attributes as unset', () => {
      const { displayName: _gone, ...rest } = attributes;
      given([provisioned()]).when(replace({ attributes: rest })).then([changed({ set: {}, unset: ['displayName'] })]);
    });

    it('changes nothing when the resource is the same (no-op)', () => {
      given([provisioned()]).when(replace({ attributes })).thenNothing();
    });

    it('keeps the active state when active is omitted', () => {
      given([provisioned({ active: false })]).when(replace({ attributes })).thenNothing();
    });

    it('deactivates when active becomes false', () => {
      given([provisioned()]).when(replace({ attributes, active: false })).then([deactivated()]);
    });

    it('reactivates when active becomes true', () => {
      given([provisioned(), deactivated()]).when(replace({ attributes, active: true })).then([reactivated()]);
    });

    it('records a change of the userName letter case', () => {
      given([provisioned()])
        .when(replace({ attributes: { ...attributes, userName: 'JDoe@Example.com' } }))
        .then([changed({ set: { userName: 'JDoe@Example.com' }, unset: [] })]);
    });

    it('rejects an unknown user', () => {
      given([]).when(replace({ attributes })).thenThrows(404, undefined, /not found/);
    });

    it('rejects a deleted user', () => {
      given([provisioned(), deleted()]).when(replace({ attributes })).thenThrows(404, undefined, /not found/);
    });

    it('rejects removing the last email', () => {
      given([provisioned()]).when(replace({ attributes: { userName: 'jdoe@example.com' } })).thenThrows(400, 'invalidValue', /email is required/);
    });
  });

  describe('PatchUser', () => {
    it('deactivates on replace active false', () => {
      given([provisioned()]).when(patch([{ op: 'replace', path: 'active', value: false }])).then([deactivated()]);
    });

    it('changes nothing when active is already false (no-op)', () => {
      given([provisioned({ active: false })]).when(patch([{ op: 'replace', path: 'active', value: false }])).thenNothing();
    });

    it('reactivates on add active true', () => {
      given([provisioned({ active: false })]).when(patch([{ op: 'add', path: 'active', value: true }])).then([reactivated()]);
    });

    it('changes a sub-attribute and records the whole complex attribute', () => {
      given([provisioned()])
        .when(patch([{ op: 'replace', path: 'name.givenName', value: 'Janet' }]))
        .then([changed({ set: { name: { givenName: 'Janet', familyName: 'Doe' } }, unset: [] })]);
    });

    it('applies several operations as one change, attributes before activity', () => {
      given([provisioned()])
        .when(
          patch([
            { op: 'replace', path: 'displayName', value: 'Janet Doe' },
            { op: 'replace', path: 'active', value: false },
          ]),
        )
        .then([changed({ set: { displayName: 'Janet Doe' }, unset: [] }), deactivated()]);
    });

    describe('when it clears a required attribute (the platform: ignored, not rejected)', () => {
      it.each<[string, PatchOperation[]]>([
        ['remove userName', [{ op: 'remove', path: 'userName' }]],
        ['replace userName with null', [{ op: 'replace', path: 'userName', value: null }]],
        ['replace userName with an empty string', [{ op: 'replace', path: 'userName', value: '' }]],
        ['remove emails', [{ op: 'remove', path: 'emails' }]],
        ['replace emails with []', [{ op: 'replace', path: 'emails', value: [] }]],
        ['replace emails with null', [{ op: 'replace', value: { emails: null } }]],
        ["remove the work email's value (Entra, when the mail attribute is gone)", [{ op: 'remove', path: 'emails[type eq "work"].value' }]],
        ['remove active', [{ op: 'remove', path: 'active' }]],
        ['replace active with null', [{ op: 'replace', path: 'active', value: null }]],
      ])('%s changes nothing', (_name, operations) => {
        given([provisioned()]).when(patch(operations)).thenNothing();
      });

      it('applies the rest of the request', () => {
        given([provisioned()])
          .when(
            patch([
              { op: 'remove', path: 'emails' },
              { op: 'replace', path: 'displayName', value: 'Janet' },
              { op: 'remove', path: 'userName' },
              { op: 'remove', path: 'active' },
              { op: 'replace', path: 'title', value: 'CTO' },
            ]),
          )
          .then([changed({ set: { displayName: 'Janet', title: 'CTO' }, unset: [] })]);
      });

      it('keeps a deactivated user deactivated', () => {
        given([provisioned({ active: false })]).when(patch([{ op: 'remove', path: 'active' }])).thenNothing();
      });
    });

    describe('when a path-less replace repeats read-only values', () => {
      it('ignores its own id, meta and schemas', () => {
        given([provisioned()])
          .when(patch([{ op: 'replace', value: { id: userId, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], meta: { resourceType: 'User' }, displayName: 'New' } }]))
          .then([changed({ set: { displayName: 'New' }, unset: [] })]);
      });

      it('rejects another id with 400 mutability', () => {
        given([provisioned()])
          .when(patch([{ op: 'replace', value: { id: '6b1f3c7e-0000-4000-8000-0000000000ff', displayName: 'New' } }]))
          .thenThrows(400, 'mutability', /'id' is read-only/);
      });
    });

    describe('when an extension is replaced as an object (RFC 7644 §3.5.2.3)', () => {
      it.each<[string, PatchOperation]>([
        ['path-less', { op: 'replace', value: { [ENTERPRISE]: { department: 'Sales' } } }],
        ['with the URN as path', { op: 'replace', path: ENTERPRISE, value: { department: 'Sales' } }],
      ])('keeps the sub-attributes it does not name (%s)', (_name, operation) => {
        given([provisioned({ attributes: { ...attributes, [ENTERPRISE]: { employeeNumber: 'E-1', department: 'Ops' } } })])
          .when(patch([operation]))
          .then([changed({ set: { [ENTERPRISE]: { employeeNumber: 'E-1', department: 'Sales' } }, unset: [] })]);
      });
    });

    it('rejects a patch of an unknown user', () => {
      given([]).when(patch([{ op: 'replace', path: 'active', value: false }])).thenThrows(404, undefined, /not found/);
    });
  });

  describe('DeleteUser', () => {
    it('deletes the identity and names the account to suspend', () => {
      given([provisioned()]).when(remove()).then([deleted()]);
    });

    it('rejects deleting a deleted user', () => {
      given([provisioned(), deleted()]).when(remove()).thenThrows(404, undefined, /not found/);
    });

    it('rejects deleting an unknown user', () => {
      given([]).when(remove()).thenThrows(404, undefined, /not found/);
    });
  });

  describe('evolve', () => {
    it('ignores events it does not know', () => {
      const state = [provisioned(), { type: 'SomethingNew', data: {}, metadata } as unknown as UserEvent].reduce(
        userDecider.evolve,
        userDecider.initialState,
      );
      expect(state.status).toBe('Active');
    });
  });
});

const userId = '6b1f3c7e-0000-4000-8000-000000000001';
const attributes = {
  userName: 'jdoe@example.com',
  displayName: 'Jane Doe',
  name: { givenName: 'Jane', familyName: 'Doe' },
  emails: [{ value: 'jdoe@example.com', type: 'work', primary: true }],
};

function provision(overrides: Partial<Extract<UserCommand, { type: 'ProvisionUser' }>['data']> = {}): UserCommand {
  return {
    type: 'ProvisionUser',
    data: { userId, attributes, active: true, account: { id: 'account-1', linkedExisting: false }, ...overrides },
    context,
  };
}
function replace(data: { attributes: Record<string, unknown>; active?: boolean }): UserCommand {
  return { type: 'ReplaceUser', data: { userId, ...data } as Extract<UserCommand, { type: 'ReplaceUser' }>['data'], context };
}
function patch(operations: PatchOperation[]): UserCommand {
  return { type: 'PatchUser', data: { userId, operations }, context };
}
function remove(): UserCommand {
  return { type: 'DeleteUser', data: { userId }, context };
}
function provisioned(overrides: Partial<Extract<UserEvent, { type: 'UserProvisioned' }>['data']> = {}): UserEvent {
  return {
    type: 'UserProvisioned',
    data: { userId, attributes, active: true, accountId: 'account-1', linkedExistingAccount: false, ...overrides },
    metadata,
  };
}
function changed(data: { set: Record<string, JsonValue>; unset: string[] }): UserEvent {
  return { type: 'UserAttributesChanged', data: { userId, ...data }, metadata };
}
function deactivated(): UserEvent {
  return { type: 'UserDeactivated', data: { userId }, metadata };
}
function reactivated(): UserEvent {
  return { type: 'UserReactivated', data: { userId }, metadata };
}
function deleted(): UserEvent {
  return { type: 'UserDeleted', data: { userId, accountId: 'account-1', reason: 'deleted' }, metadata: { ...metadata, schemaVersion: 2 } };
}
