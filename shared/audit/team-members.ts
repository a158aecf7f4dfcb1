import { comparePositions } from '../eventstore/position';
import type { RecordedEvent } from '../eventstore/port';
import { upcastRecordedEvent } from '../events/upcast';
import type { Instant } from './instant';
import type { StreamCache } from './stream-cache';

/** A member of a team: an account, a person (`user`) or a service account. */
export interface TeamMember {
  readonly accountId: string;
  readonly kind: 'user' | 'service-account';
  readonly username: string;
}

/** A team as the platform saw it at an instant. */
export interface TeamAsOf {
  readonly teamId: string;
  readonly name: string;
  readonly isOwners: boolean;
  /** The SCIM group it followed then (by its displayName then), or null. */
  readonly scimGroup: { readonly id: string; readonly displayName: string } | null;
  readonly linkPaused: boolean;
  /** Ordered by account id. */
  readonly members: readonly TeamMember[];
}

interface User {
  active: boolean;
  deleted: boolean;
  readonly accountId: string;
}

/**
 * The effective members of one team, folded from the log up to an instant with the rules of the
 * platform read model (projections/platform/projection.ts and followers.ts), which decide them in
 * log order across streams: linking makes the human members the group's active members; while
 * linked and not paused the team follows the group's joins and leaves and its members'
 * deactivation, reactivation and deletion; a pause freezes the members, resuming catches up; an
 * unlink or the group's deletion leaves the members as they are. Usernames are the accounts'
 * (set when the account was created or registered).
 *
 * Only the streams that can matter are read: the team's, the groups it was ever linked to, their
 * members' user streams and the registered accounts those users linked to. Their events are
 * merged in log order (by position) and applied one at a time.
 */
export class TeamMembersFold {
  private readonly users = new Map<string, User>();
  private readonly usernames = new Map<string, string>();
  private readonly rosters = new Map<string, Set<string>>();
  private team: { name: string; isOwners: boolean; group: string | null; paused: boolean } | undefined;
  private readonly members = new Map<string, TeamMember>();

  constructor(private readonly teamId: string) {}

  apply(recorded: RecordedEvent): void {
    const event = upcastRecordedEvent(recorded);
    const d = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'AccountRegistered':
        if (!this.usernames.has(String(d.accountId))) this.usernames.set(String(d.accountId), String(d.username));
        return;
      case 'UserProvisioned': {
        const userId = String(d.userId);
        if (this.users.has(userId)) return;
        const accountId = String(d.accountId);
        this.users.set(userId, { active: d.active === true, deleted: false, accountId });
        const attributes = d.attributes as { userName?: unknown };
        if (d.linkedExistingAccount !== true && !this.usernames.has(accountId)) this.usernames.set(accountId, String(attributes.userName));
        return;
      }
      case 'UserDeactivated':
      case 'UserReactivated': {
        const user = this.users.get(String(d.userId));
        if (!user) return;
        user.active = event.type === 'UserReactivated';
        if (user.active) this.userWentActive(String(d.userId));
        else this.userWentInactive(String(d.userId));
        return;
      }
      case 'UserDeleted': {
        const userId = String(d.userId);
        const user = this.users.get(userId);
        if (!user) return;
        user.deleted = true;
        user.active = false;
        // Disabling SCIM keeps accounts in their teams; deleting one identity takes it out.
        if (d.reason !== 'scim-disabled') this.userWentInactive(userId);
        for (const roster of this.rosters.values()) roster.delete(userId);
        return;
      }
      case 'GroupCreated':
        if (!this.rosters.has(String(d.groupId))) this.rosters.set(String(d.groupId), new Set(d.memberIds as string[]));
        return;
      case 'GroupMembersAdded': {
        const roster = this.rosters.get(String(d.groupId));
        if (!roster) return;
        const joined = (d.memberIds as string[]).filter((id) => !roster.has(id));
        joined.forEach((id) => roster.add(id));
        this.membersJoined(String(d.groupId), joined);
        return;
      }
      case 'GroupMembersRemoved': {
        const roster = this.rosters.get(String(d.groupId));
        if (!roster) return;
        const left = (d.memberIds as string[]).filter((id) => roster.has(id));
        left.forEach((id) => roster.delete(id));
        this.membersLeft(String(d.groupId), left);
        return;
      }
      case 'GroupMembersReplaced': {
        const roster = this.rosters.get(String(d.groupId));
        if (!roster) return;
        const next = new Set(d.memberIds as string[]);
        const left = [...roster].filter((id) => !next.has(id));
        left.forEach((id) => roster.delete(id));
        this.membersLeft(String(d.groupId), left);
        const joined = [...next].filter((id) => !roster.has(id));
        joined.forEach((id) => roster.add(id));
        this.membersJoined(String(d.groupId), joined);
        return;
      }
      case 'GroupDeleted':
        // Linked teams keep their members; the write side unlinks them.
        this.rosters.get(String(d.groupId))?.clear();
        return;
      case 'TeamCreated': {
        if (event.streamId !== this.teamId || this.team) return;
        this.team = { name: String(d.name), isOwners: d.isOwners === true, group: null, paused: false };
        for (const account of d.serviceAccounts as { id: string; name: string }[]) {
          if (!this.members.has(account.id)) this.members.set(account.id, { accountId: account.id, kind: 'service-account', username: account.name });
        }
        return;
      }
      case 'TeamLinkedToScimGroup':
        if (!this.ours(event)) return;
        this.team!.group = String(d.groupId);
        this.team!.paused = false;
        this.reconcile(String(d.groupId));
        return;
      case 'TeamUnlinkedFromScimGroup':
        if (!this.ours(event)) return;
        this.team!.group = null;
        this.team!.paused = false;
        return;
      case 'TeamLinkPaused':
        if (this.ours(event)) this.team!.paused = true;
        return;
      case 'TeamLinkResumed':
        if (!this.ours(event)) return;
        this.team!.paused = false;
        this.reconcile(String(d.groupId));
        return;
      default:
        return;
    }
  }

  /** The team now; undefined before it was created. */
  result(groupName: (groupId: string) => string): TeamAsOf | undefined {
    if (!this.team) return undefined;
    const { name, isOwners, group, paused } = this.team;
    return {
      teamId: this.teamId,
      name,
      isOwners,
      scimGroup: group === null ? null : { id: group, displayName: groupName(group) },
      linkPaused: paused,
      members: [...this.members.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0)),
    };
  }

  private ours(event: RecordedEvent): boolean {
    return event.streamId === this.teamId && this.team !== undefined;
  }

  /** Whether the team follows the group now (linked to it, not paused). */
  private follows(groupId: string): boolean {
    return this.team !== undefined && this.team.group === groupId && !this.team.paused;
  }

  private isActive(userId: string): User | undefined {
    const user = this.users.get(userId);
    return user && user.active && !user.deleted ? user : undefined;
  }

  private join(user: User): void {
    const username = this.usernames.get(user.accountId);
    if (username === undefined || this.members.has(user.accountId)) return;
    this.members.set(user.accountId, { accountId: user.accountId, kind: 'user', username });
  }

  private leave(accountId: string): void {
    if (this.members.get(accountId)?.kind === 'user') this.members.delete(accountId);
  }

  /** Linking and resuming: the human members are exactly the group's active members' accounts. */
  private reconcile(groupId: string): void {
    const active = [...(this.rosters.get(groupId) ?? [])].flatMap((id) => this.isActive(id) ?? []);
    const accounts = new Set(active.map((u) => u.accountId));
    for (const member of [...this.members.values()]) if (member.kind === 'user' && !accounts.has(member.accountId)) this.members.delete(member.accountId);
    active.forEach((user) => this.join(user));
  }

  private membersJoined(groupId: string, userIds: readonly string[]): void {
    if (!this.follows(groupId)) return;
    for (const id of userIds) {
      const user = this.isActive(id);
      if (user) this.join(user);
    }
  }

  private membersLeft(groupId: string, userIds: readonly string[]): void {
    if (!this.follows(groupId)) return;
    for (const id of userIds) {
      const user = this.users.get(id);
      if (user) this.leave(user.accountId);
    }
  }

  /** Call while the user is still in its groups' rosters. */
  private userWentInactive(userId: string): void {
    const user = this.users.get(userId);
    if (!user) return;
    for (const [groupId, roster] of this.rosters) if (roster.has(userId) && this.follows(groupId)) this.leave(user.accountId);
  }

  private userWentActive(userId: string): void {
    const user = this.isActive(userId);
    if (!user) return;
    for (const [groupId, roster] of this.rosters) if (roster.has(userId) && this.follows(groupId)) this.join(user);
  }
}

/**
 * The team's effective members at the instant, folded from the streams that can matter (see
 * TeamMembersFold); undefined when the team did not exist yet.
 */
export async function teamMembersAt(streams: StreamCache, teamId: string, instant: Instant): Promise<TeamAsOf | undefined> {
  const teamEvents = await streams.eventsUpTo(teamId, instant);
  const groupIds = new Set(teamEvents.filter((e) => e.type === 'TeamLinkedToScimGroup').map((e) => String(e.data.groupId)));
  const groupEvents = (await Promise.all([...groupIds].map((id) => streams.eventsUpTo(`group-${id}`, instant)))).flat();
  const userIds = new Set(groupEvents.flatMap((e) => (Array.isArray(e.data.memberIds) ? (e.data.memberIds as string[]) : [])));
  const userEvents = (await Promise.all([...userIds].map((id) => streams.eventsUpTo(`user-${id}`, instant)))).flat();
  const linkedAccounts = new Set(
    userEvents.filter((e) => e.type === 'UserProvisioned' && e.data.linkedExistingAccount === true).map((e) => String(e.data.accountId)),
  );
  const accountEvents = (await Promise.all([...linkedAccounts].map((id) => streams.eventsUpTo(`account-${id}`, instant)))).flat();

  const fold = new TeamMembersFold(teamId);
  const events = [...teamEvents, ...groupEvents, ...userEvents, ...accountEvents].sort((a, b) => comparePositions(a.position, b.position));
  for (const event of events) fold.apply(event);
  const names = new Map<string, string>();
  for (const groupId of groupIds) {
    const { state } = await streams.groupAt(groupId, instant);
    if (state.status !== 'Absent') names.set(groupId, state.displayName);
  }
  return fold.result((groupId) => names.get(groupId) ?? groupId);
}
