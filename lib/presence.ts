// XEP-0045 §7.2.3–§7.2.5 Occupant presence as the room broadcasts it: the
// client's own presence payload (show, status, caps, avatar hash, …), from the
// occupant JID, with a muc#user <x/> carrying the item and the status codes.
import { affiliationOf, occupantJid, primarySession, type Occupant, type Room, type Session } from "./room.ts";
import { isOccupantIdElement, occupantIdElement } from "./occupant-id.ts";
import { seesPresenceOf, seesRealJids } from "./permissions.ts";
import { clone, NS, readdressed, xml, type Element } from "./stanza.ts";

/** XEP-0045 §15.6 status codes this service sends. */
export type StatusCode = 100 | 110 | 170 | 201 | 210 | 301 | 303 | 307 | 321 | 322 | 332 | 333;

export interface PresenceOptions {
  type?: "unavailable";
  codes?: readonly StatusCode[];
  /** §7.6: the new nick, on the unavailable presence of a nick change (303). */
  newNick?: string;
  /** <reason/> inside the item (kicks). */
  reason?: string;
  /** <actor nick=/> inside the item (kicks, role and affiliation changes). */
  actor?: string;
  /** The actor's real JID, shown to those who may see real JIDs. */
  actorJid?: string;
  /** Add 110 on the occupant's own copy (default true; a probe answer has none). */
  selfStatus?: boolean;
  /** The session whose payload to use; the occupant's primary one otherwise. */
  session?: Session;
  /** A <status/> text of the room's own on an unavailable presence (why a session was removed, 333). */
  statusText?: string;
}

/** The presence of every session that passes nothing on; never changed, like every element here. */
const EMPTY_PRESENCE = xml("presence");
Object.freeze(EMPTY_PRESENCE.attrs);
Object.freeze(EMPTY_PRESENCE.children);
Object.freeze(EMPTY_PRESENCE);

/**
 * A session as the room keeps it: its presence with only what the room passes on. The join's
 * <x xmlns='…muc'/> (with a room password, history limits) is not kept in memory or storage.
 */
export function sessionOf(jid: string, presence: Element): Session {
  const kept = passedOnPayload(presence);
  if (kept.length === presence.children.length) return { jid, presence };
  // Copies: a received child still points at the received presence (its parent), which would
  // keep the whole of it, <x/> and password, alive with the session.
  // Nothing to pass on (a plain join): every such session shares one empty presence.
  if (kept.length === 0 && presence.attrs.type === undefined && presence.name === "presence") return { jid, presence: EMPTY_PRESENCE };
  // Of its attributes only the type is ever read again (a leave's farewell, presenceOf): the
  // addresses would be two more strings kept per session.
  const slim = xml(presence.name, { type: presence.attrs.type });
  for (const child of kept) {
    const copy = clone(child);
    copy.parent = slim;
    slim.children.push(copy);
  }
  return { jid, presence: slim };
}

/**
 * The client's presence children that the room passes on (not its MUC join element): the
 * received elements themselves, shared (never changed), not copies.
 */
function passedOnPayload(presence: Element): Element[] {
  const kept: Element[] = [];
  for (const child of presence.children)
    if (typeof child !== "string" && !(child.name === "x" && (child.attrs.xmlns === NS.muc || child.attrs.xmlns === NS.mucUser)) && !isOccupantIdElement(child))
      kept.push(child);
  return kept;
}

/**
 * The presence of `occupant` as recipient session `to` sees it. `viewer` is the
 * recipient's occupant (it decides whether the real JID is shown); `self` adds 110.
 * Status codes go as Prosody orders them: the others before <item/>, 110 after it.
 */
export function presenceOf(
  room: Room,
  occupant: Occupant,
  to: string,
  viewer: Occupant | undefined,
  options: PresenceOptions = {},
): Element {
  const self = viewer !== undefined && viewer === occupant;
  const session = options.session ?? primarySession(occupant);
  const unavailable = options.type === "unavailable";
  const presence = xml("presence", {
    from: occupantJid(room, occupant.nick),
    to,
    ...(unavailable ? { type: "unavailable" } : {}),
  });
  // The payload is shared with the session's stored presence: put in `children` as is (append
  // would re-parent it), with the elements built here appended after it.
  if (!unavailable) presence.children = passedOnPayload(session.presence);
  else {
    // Only a leave passes its own farewell on; kicks and bounces must not replay an old <status/>.
    const status = session.presence.attrs.type === "unavailable" ? session.presence.getChild("status") : undefined;
    if (status && options.codes?.includes(303) !== true) presence.append(clone(status));
    else if (options.statusText) presence.append(xml("status", {}, options.statusText));
  }

  const item = xml("item", {
    affiliation: affiliationOf(room, occupant.bareJid),
    role: unavailable && !options.newNick ? "none" : occupant.role,
    ...(self || seesRealJids(room, viewer) ? { jid: session.jid } : {}),
    ...(options.newNick ? { nick: options.newNick } : {}),
  });
  // The actor's real JID goes to those who may see real JIDs, but not on the target's own copy (as Prosody).
  const actorJid = options.actorJid && !self && seesRealJids(room, viewer) ? { jid: options.actorJid } : {};
  if (options.actor !== undefined || actorJid.jid) item.append(xml("actor", { ...(options.actor !== undefined ? { nick: options.actor } : {}), ...actorJid }));
  if (options.reason) item.append(xml("reason", {}, options.reason));

  const codes = options.codes ?? [];
  const x = xml("x", { xmlns: NS.mucUser });
  for (const code of codes) if (code !== 110) x.append(xml("status", { code: String(code) }));
  x.append(item);
  if (self && options.selfStatus !== false) x.append(xml("status", { code: "110" }));
  presence.append(x);
  presence.append(occupantIdElement(occupant.occupantId));
  return presence;
}

/**
 * What a newcomer `viewer` (another occupant) is told of `occupant` on entering: presenceOf
 * without options. When the viewer does not see real JIDs, it is the occupant's payload, an
 * <x/> that depends only on its affiliation and role, and its occupant-id: the <x/> is shared
 * by every such presence in the service, and the children array is memoised per occupant (an
 * immutable value), so a join into a room of N builds no new payload for the N others (the
 * shell renders a shared one once per batch). Same elements as presenceOf builds.
 */
export function presenceToNewcomer(room: Room, occupant: Occupant, to: string, viewer: Occupant): Element {
  if (seesRealJids(room, viewer)) return presenceOf(room, occupant, to, viewer);
  const x = sharedItem(affiliationOf(room, occupant.bareJid), occupant.role);
  let children = newcomerPayloads.get(occupant);
  if (children === undefined || children[children.length - 2] !== x) {
    children = [...passedOnPayload(primarySession(occupant).presence), x, occupantIdElement(occupant.occupantId)];
    newcomerPayloads.set(occupant, children);
  }
  const presence = xml("presence", { from: occupantJid(room, occupant.nick), to });
  presence.children = children;
  return presence;
}
const newcomerPayloads = new WeakMap<Occupant, Element["children"]>();
const sharedItems = new Map<string, Map<string, Element>>();
/** <x xmlns='…muc#user'><item affiliation role/></x>, one per (affiliation, role): never changed. */
function sharedItem(affiliation: string, role: string): Element {
  let byRole = sharedItems.get(affiliation);
  if (byRole === undefined) sharedItems.set(affiliation, (byRole = new Map()));
  let x = byRole.get(role);
  if (x === undefined) byRole.set(role, (x = xml("x", { xmlns: NS.mucUser }, xml("item", { affiliation, role }))));
  return x;
}

/**
 * One presence of `occupant` to every session in the room: O(occupants).
 * `selfCodes` are added on the copies the occupant's own sessions receive.
 */
export function broadcastPresence(
  room: Room,
  occupant: Occupant,
  options: PresenceOptions & { selfCodes?: readonly StatusCode[]; othersOnly?: boolean } = {},
): Element[] {
  const out: Element[] = [];
  // What a viewer sees depends only on whether it is the occupant itself and whether it sees
  // real JIDs: one presence per such kind, and every other copy shares its children.
  const seen: (Element | undefined)[] = [];
  for (const viewer of room.occupants.values()) {
    const self = viewer === occupant;
    if (self && options.othersOnly) continue;
    if (!seesPresenceOf(room, occupant, viewer)) continue;
    const kind = (self ? 2 : 0) + (seesRealJids(room, viewer) ? 1 : 0);
    for (const session of viewer.sessions) {
      const first = seen[kind];
      if (first) out.push(readdressed(first, session.jid));
      else {
        const codes = self ? [...(options.codes ?? []), ...(options.selfCodes ?? [])] : options.codes;
        out.push((seen[kind] = presenceOf(room, occupant, session.jid, viewer, { ...options, codes })));
      }
    }
  }
  return out;
}
