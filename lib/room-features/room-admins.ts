// The room's admins and owners as form fields (muc#roomconfig_roomadmins, _roomowners,
// §10.2, §15.5.3): the owner sees them and may change them in the form as with muc#admin
// (§10.3–§10.7); a room keeps at least one owner. Occupants whose affiliation changes see their
// presence change, as room-config.ts does for every configuration change.
import { canonicalBare, parseJid } from "../jid.ts";
import type { RoomFeature } from "../room-feature.ts";
import { formField, refuse } from "../room-feature.ts";
import type { Affiliation } from "../roles.ts";
import type { Room } from "../room.ts";

function listed(room: Room, affiliation: Affiliation): string[] {
  return [...room.affiliations].filter(([, a]) => a === affiliation).map(([jid]) => jid).sort();
}

export const roomAdmins: RoomFeature = {
  form: (room) => [
    formField("muc#roomconfig_roomadmins", "jid-multi", "Room admins", listed(room, "admin")),
    formField("muc#roomconfig_roomowners", "jid-multi", "Room owners", listed(room, "owner")),
  ],
  applyRoom(room, form) {
    const admins = form.get("muc#roomconfig_roomadmins");
    const owners = form.get("muc#roomconfig_roomowners");
    if (admins === undefined && owners === undefined) return room;
    const given = [...(admins ?? []), ...(owners ?? [])].map((v) => v.trim()).filter((v) => v !== "");
    const bad = given.find((jid) => parseJid(jid)?.resource !== undefined || !parseJid(jid));
    if (bad !== undefined) return { condition: "jid-malformed", text: `Not a bare JID: ${bad}` };
    // Compared, and stored, in canonical form (jid.ts).
    const wanted = (values: readonly string[] | undefined) => (values ?? []).map((v) => v.trim()).filter((v) => v !== "").map((v) => canonicalBare(v)!);
    const [newAdmins, newOwners] = [wanted(admins), wanted(owners)];
    if (owners !== undefined && newOwners.length === 0) return refuse("A room needs at least one owner");
    const affiliations = new Map(room.affiliations);
    const set = (values: readonly string[] | undefined, list: string[], affiliation: Affiliation) => {
      if (values === undefined) return;
      for (const [jid, a] of room.affiliations) if (a === affiliation && !list.includes(jid)) affiliations.delete(jid);
      for (const jid of list) affiliations.set(jid, affiliation);
    };
    // An owner listed as an admin only (the owners' field left out) stays an owner: a rank is taken
    // away by leaving someone out of its own list, never by the other one.
    const currentOwners = listed(room, "owner");
    const keptOwners = owners === undefined ? currentOwners : newOwners;
    set(admins, newAdmins.filter((jid) => !keptOwners.includes(jid)), "admin");
    set(owners, newOwners, "owner");
    if (![...affiliations.values()].includes("owner")) return refuse("A room needs at least one owner");
    return { ...room, affiliations };
  },
};
