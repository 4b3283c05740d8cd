// Who may see and do what in a room: XEP-0045's privilege tables as one model.
//   §5.1.1 Privileges Associated With Roles        → ROLE_PRIVILEGES
//   §5.2.1 Privileges Associated With Affiliations → AFFILIATION_PRIVILEGES
//   §5.1.3 Role State Chart, §8.2–§8.4, §9.6–§9.7  → roleChangeRefusal
//   §5.2.2 Affiliation State Chart, §9.1–§9.4, §10.3–§10.7 → affiliationChangeRefusal
//   §8.5, §9.2, §9.5, §9.8, §10.5, §10.8 (reading lists)  → listRefusal
//   §6.5, §6.6, §7.2.3–§7.2.4, the whois setting (what is revealed) → seesRealJids, seesOccupantList, …
// Every reducer that decides a permission or a visibility asks here; none re-derives it.
// A refusal carries XEP-0045's condition: forbidden for a privilege the actor's role or
// affiliation does not have (the introductions of §8, §9, §10), not-allowed for acting on
// someone of a higher affiliation or on what nobody may change (§8.2, §8.4, §9.1, §9.7).
// Pure.
import type { Context } from "./context.ts";
import type { Refusal } from "./room-feature.ts";
import type { Occupant, Room } from "./room.ts";
import { atLeastAffiliation, type Affiliation, type Role } from "./roles.ts";

/** A cell of a privilege table: yes, no, or "config" (the XEP's "*": the room's configuration decides). */
type Cell = boolean | "config";

/** §5.1.1, row by row (None, Visitor, Participant, Moderator). */
export const ROLE_PRIVILEGES = {
  "present-in-room": { none: false, visitor: true, participant: true, moderator: true },
  "receive-messages": { none: false, visitor: true, participant: true, moderator: true },
  "receive-occupant-presence": { none: false, visitor: true, participant: true, moderator: true },
  "broadcast-presence": { none: false, visitor: "config", participant: true, moderator: true },
  "change-availability": { none: false, visitor: "config", participant: true, moderator: true },
  "change-nick": { none: false, visitor: "config", participant: true, moderator: true },
  "send-private-messages": { none: false, visitor: "config", participant: true, moderator: true },
  "invite-other-users": { none: false, visitor: "config", participant: "config", moderator: true },
  "send-messages-to-all": { none: false, visitor: false, participant: true, moderator: true },
  "modify-subject": { none: false, visitor: false, participant: "config", moderator: true },
  "kick-participants-and-visitors": { none: false, visitor: false, participant: false, moderator: true },
  "grant-voice": { none: false, visitor: false, participant: false, moderator: true },
  "revoke-voice": { none: false, visitor: false, participant: false, moderator: true },
} as const satisfies Record<string, Record<Role, Cell>>;
export type RolePrivilege = keyof typeof ROLE_PRIVILEGES;

/** §5.2.1, row by row (Outcast, None, Member, Admin, Owner). */
export const AFFILIATION_PRIVILEGES = {
  "enter-open-room": { outcast: false, none: true, member: true, admin: true, owner: true },
  "register-with-open-room": { outcast: false, none: "config", member: false, admin: false, owner: false },
  "retrieve-member-list": { outcast: false, none: false, member: "config", admin: true, owner: true },
  "enter-members-only-room": { outcast: false, none: false, member: true, admin: true, owner: true },
  "ban-members-and-unaffiliated-users": { outcast: false, none: false, member: false, admin: true, owner: true },
  "edit-member-list": { outcast: false, none: false, member: false, admin: true, owner: true },
  "assign-and-remove-moderator-role": { outcast: false, none: false, member: false, admin: true, owner: true },
  "edit-admin-list": { outcast: false, none: false, member: false, admin: false, owner: true },
  "edit-owner-list": { outcast: false, none: false, member: false, admin: false, owner: true },
  "change-room-configuration": { outcast: false, none: false, member: false, admin: false, owner: true },
  "destroy-room": { outcast: false, none: false, member: false, admin: false, owner: true },
} as const satisfies Record<string, Record<Affiliation, Cell>>;
export type AffiliationPrivilege = keyof typeof AFFILIATION_PRIVILEGES;

/** Whether a table's cell is a plain yes (a "config" cell is decided by the function that knows the setting). */
const yes = (cell: Cell): boolean => cell === true;

export function roleHas(role: Role, privilege: RolePrivilege): boolean {
  return yes(ROLE_PRIVILEGES[privilege][role]);
}

export function affiliationHas(affiliation: Affiliation, privilege: AffiliationPrivilege): boolean {
  return yes(AFFILIATION_PRIVILEGES[privilege][affiliation]);
}

function affiliationOf(room: Room, bareJid: string): Affiliation {
  return room.affiliations.get(bareJid) ?? "none";
}

const ranks: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
const outranks = (a: Affiliation, b: Affiliation) => ranks[a] > ranks[b];

// ---- Changing roles (§8, §9.6–§9.7) -------------------------------------------------------------

/** Who acts, as the tables see them: an affiliation, and a role (none: not in the room). */
export interface Standing {
  affiliation: Affiliation;
  role: Role;
}

export function standingOf(room: Room, occupant: Occupant | undefined, bareJid?: string): Standing {
  if (occupant) return { affiliation: affiliationOf(room, occupant.bareJid), role: occupant.role };
  return { affiliation: bareJid === undefined ? "none" : affiliationOf(room, bareJid), role: "none" };
}

/** The privilege of §5.1.1/§5.2.1 a role change needs: moderator status is granted and removed by admins and owners. */
function roleChangePrivilege(from: Role, to: Role): RolePrivilege | AffiliationPrivilege {
  if (to === "moderator" || from === "moderator") return "assign-and-remove-moderator-role";
  if (to === "none") return "kick-participants-and-visitors";
  return to === "visitor" ? "revoke-voice" : "grant-voice";
}

/**
 * May `actor` give `target` the role `role`? §8's introduction: only moderators (forbidden);
 * §8.2, §8.4, §9.7: nobody acts on a higher affiliation, and nobody takes voice or moderator
 * status from an admin or owner (not-allowed); §5.2.1: granting and revoking moderator status
 * (and so kicking a moderator, §5.1.3) is for admins and owners (forbidden).
 */
export function roleChangeRefusal(actor: Standing | undefined, target: Standing, role: Role): Refusal | undefined {
  if (!actor || actor.role === "none") return { condition: "forbidden", text: "Only occupants may change roles" };
  const refuse = (condition: "forbidden" | "not-allowed"): Refusal => ({ condition, text: "You may not change the role of that occupant" });
  if (actor.role !== "moderator") return refuse("forbidden");
  if (outranks(target.affiliation, actor.affiliation)) return refuse("not-allowed");
  if (atLeastAffiliation(target.affiliation, "admin") && role !== "moderator") return refuse("not-allowed");
  const needed = roleChangePrivilege(target.role, role);
  const has = needed in AFFILIATION_PRIVILEGES ? affiliationHas(actor.affiliation, needed as AffiliationPrivilege) : roleHas(actor.role, needed as RolePrivilege);
  return has ? undefined : refuse("forbidden");
}

// ---- Changing affiliations (§9, §10.3–§10.7) ----------------------------------------------------

/** The §5.2.1 privilege the §5.2.2 state chart's cell from → to names. */
export function affiliationChangePrivilege(from: Affiliation, to: Affiliation): AffiliationPrivilege {
  if (from === "owner" || to === "owner") return "edit-owner-list";
  if (from === "admin" || to === "admin") return "edit-admin-list";
  if (to === "outcast") return "ban-members-and-unaffiliated-users";
  return "edit-member-list";
}

/**
 * May someone of affiliation `actor` change an affiliation from `from` to `to`? Not an admin or
 * owner: forbidden (§9's introduction); an admin acting on an owner: not-allowed (§9.1); a
 * change the state chart gives owners only: forbidden (§10.3–§10.7: "only owners").
 */
export function affiliationChangeRefusal(actor: Affiliation, from: Affiliation, to: Affiliation): Refusal | undefined {
  const refuse = (condition: "forbidden" | "not-allowed"): Refusal => ({ condition, text: "You may not change that affiliation" });
  if (!affiliationHas(actor, "edit-member-list")) return refuse("forbidden");
  if (outranks(from, actor)) return refuse("not-allowed");
  return affiliationHas(actor, affiliationChangePrivilege(from, to)) ? undefined : refuse("forbidden");
}

// ---- Reading the lists (§8.5, §9.2, §9.5, §9.8, §10.5, §10.8) ----------------------------------

/**
 * May `viewer` read the list of `wanted` (an affiliation)? Owners read every list. The ban list
 * is for admins and owners in every room (§9.2). The member list: admins, owners; members of a
 * non-anonymous room (§5.2.1 "***", §9.5's note); the roles muc#roomconfig_getmemberlist names.
 * The admin and owner lists show owners' real JIDs: owners only in semi-anonymous rooms; in
 * non-anonymous rooms, where every occupant sees real JIDs anyway, admins and members too (§10.5,
 * §10.8: "MAY").
 */
export function listRefusal(room: Room, viewer: Standing, wanted: Affiliation): Refusal | undefined {
  const refused: Refusal = { condition: "forbidden", text: "You may not see that list" };
  const nonAnonymous = room.config.whois === "anyone";
  switch (wanted) {
    case "outcast":
      return affiliationHas(viewer.affiliation, "ban-members-and-unaffiliated-users") ? undefined : refused;
    case "member":
    case "none":
      if (affiliationHas(viewer.affiliation, "edit-member-list")) return undefined;
      if (viewer.affiliation === "member" && nonAnonymous) return undefined;
      return wanted === "member" && viewer.role !== "none" && room.config.getMemberList.includes(viewer.role) ? undefined : refused;
    case "admin":
    case "owner":
      if (viewer.affiliation === "owner") return undefined;
      return nonAnonymous && atLeastAffiliation(viewer.affiliation, "member") ? undefined : refused;
  }
}

/** §8.5, §9.8: the lists of a role (voice list, moderator list) are for moderators. */
export function roleListRefusal(viewer: Standing): Refusal | undefined {
  return viewer.role === "moderator" ? undefined : { condition: "forbidden", text: "Only moderators may see that list" };
}

// ---- What is revealed (§6.5, §6.6, §7.2.3–§7.2.4, whois) ----------------------------------------

/** Whether `viewer` (an occupant, or undefined for someone outside the room) may see real JIDs: whois anyone, or a moderator. */
export function seesRealJids(room: Room, viewer: Occupant | undefined): boolean {
  if (!viewer) return false;
  return realJidsPublic(room) || viewer.role === "moderator";
}

/**
 * §6.5: whether disco#items on the room lists its occupants to someone of affiliation `viewer`:
 * only where anyone may see who is there anyway (a public non-anonymous room), and never to
 * an outsider of a members-only room (someone not a member, admin or owner).
 */
export function seesOccupantList(room: Room, viewer: Affiliation): boolean {
  if (!room.config.public || room.config.whois !== "anyone") return false;
  return !room.config.membersOnly || affiliationHas(viewer, "enter-members-only-room");
}

/** §7.2.4 (status 100): whether every occupant sees every real JID (a non-anonymous room). */
export function realJidsPublic(room: Room): boolean {
  return room.config.whois === "anyone";
}

/** Whose presence `viewer` receives (§5.1.1 "Broadcast Presence", muc#roomconfig_presencebroadcast): its own, and the roles the room broadcasts. */
export function seesPresenceOf(room: Room, occupant: Occupant, viewer: Occupant | undefined): boolean {
  return viewer === occupant || room.config.presenceBroadcast.includes(occupant.role);
}

/**
 * An IQ get or set to an occupant JID from someone not in the room: §6.6, bad-request; but a
 * XEP-0410 self-ping gets not-acceptable, which clients read as "not joined" (and rejoin).
 */
export function occupantIqRefusal(sender: Occupant | undefined, ping: boolean): Refusal | undefined {
  if (sender) return undefined;
  return { condition: ping ? "not-acceptable" : "bad-request", text: "Only occupants may send to occupants" };
}

/** How an invitation names the inviter to the invitee (an outsider): by real JID unless the operator keeps it from outsiders of semi-anonymous rooms. */
export function invitationShowsInviterJid(room: Room, ctx: Context): boolean {
  return ctx.config.inviteFrom !== "occupant" || room.config.whois === "anyone";
}

// ---- What occupants may do (§5.1.1, resolved with the room's configuration) --------------------

/** §7.4: only those with voice send to everyone (a visitor of a moderated room: forbidden). */
export function maySendToAll(occupant: Occupant): boolean {
  return roleHas(occupant.role, "send-messages-to-all");
}

/** §8.1: moderators; participants too when the room lets occupants change the subject (muc#roomconfig_changesubject). */
export function mayModifySubject(room: Room, occupant: Occupant): boolean {
  return roleHas(occupant.role, "modify-subject") || (ROLE_PRIVILEGES["modify-subject"][occupant.role] === "config" && room.config.changeSubject);
}

/**
 * §7.8.2: moderators invite; participants unless the room keeps invitations to moderators
 * (muc#roomconfig_allowinvites); visitors never (their "*" is not configurable here, as Prosody).
 */
export function invitationRefusal(room: Room, sender: Occupant): Refusal | undefined {
  if (roleHas(sender.role, "invite-other-users")) return undefined;
  if (sender.role === "visitor" || sender.role === "none") return { condition: "forbidden", text: "Visitors may not invite" };
  return room.config.allowInvites ? undefined : { condition: "forbidden", text: "Only moderators may invite to this room" };
}

/** §7.5 with muc#roomconfig_allowpm: who may send private messages (anyone, participants, moderators, nobody). */
export function privateMessagesAllowed(room: Room, sender: Occupant): boolean {
  switch (room.config.allowPm) {
    case "anyone":
      return true;
    case "participants":
      return roleHas(sender.role, "send-messages-to-all");
    case "moderators":
      return sender.role === "moderator";
    case "none":
      return false;
  }
}

/** §8.6: moderators receive voice requests and approve them (they may grant voice). XEP-0425: moderators retract messages. */
export function mayGrantVoice(occupant: Occupant | undefined): boolean {
  return occupant !== undefined && roleHas(occupant.role, "grant-voice");
}

export function mayRetractMessages(occupant: Occupant | undefined): boolean {
  return occupant !== undefined && occupant.role === "moderator";
}

// ---- What affiliations allow (§5.2.1) -----------------------------------------------------------

/** §7.2.9 banned: forbidden; §10.1.1 a locked room: for its owner only. (Members-only: mayEnterMembersOnly, in its feature.) */
export function entryRefusal(room: Room, affiliation: Affiliation): Refusal | undefined {
  if (!affiliationHas(affiliation, "enter-open-room")) return { condition: "forbidden", text: "You are banned from this room" };
  if (room.locked && affiliation !== "owner") return { condition: "item-not-found", text: "This room is locked until its owner configures it" };
  return undefined;
}

export function mayEnterMembersOnly(affiliation: Affiliation): boolean {
  return affiliationHas(affiliation, "enter-members-only-room");
}

/** Admins and owners enter a full room (muc#roomconfig_maxusers), as Prosody. */
export function exemptFromOccupantLimit(affiliation: Affiliation): boolean {
  return atLeastAffiliation(affiliation, "admin");
}

/** §10: configuring and destroying the room, its avatar: owners, and the service's admins (MUC_ADMINS). */
export function isOwner(room: Room, bareJid: string, ctx: Context): boolean {
  return affiliationHas(affiliationOf(room, bareJid), "change-room-configuration") || ctx.config.admins.includes(bareJid);
}

/**
 * §7.10: who may register. Outcasts never; someone with no affiliation only where the service
 * opens registration (MUC_OPEN_REGISTRATION, the "config" cell) and the room is open; the
 * affiliated may (re)register their nick.
 */
export function registrationRefusal(room: Room, affiliation: Affiliation, ctx: Context): Refusal | undefined {
  if (affiliation === "outcast") return { condition: "forbidden", text: "You are banned from this room" };
  if (affiliation === "none" && (!ctx.config.openRegistration || room.config.membersOnly))
    return { condition: "registration-required", text: "Only members may register a nickname in this room" };
  return undefined;
}

/** XEP-0313 on a room: outcasts never; in a members-only room, those who may enter it; the service's admins always. */
export function archiveRefusal(room: Room, bareJid: string, ctx: Context): Refusal | undefined {
  if (ctx.config.admins.includes(bareJid)) return undefined;
  const affiliation = affiliationOf(room, bareJid);
  if (affiliation === "outcast") return { condition: "forbidden", text: "You are banned from this room" };
  if (room.config.membersOnly && !mayEnterMembersOnly(affiliation)) return { condition: "forbidden", text: "Only members may read this room's archive" };
  return undefined;
}
