// XEP-0045 §5 Roles and Affiliations: the two orderings and what each allows.

export type Affiliation = "owner" | "admin" | "member" | "none" | "outcast";
export type Role = "moderator" | "participant" | "visitor" | "none";

const affiliationRank: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };
const roleRank: Record<Role, number> = { moderator: 3, participant: 2, visitor: 1, none: 0 };

export function atLeastAffiliation(a: Affiliation, than: Affiliation): boolean {
  return affiliationRank[a] >= affiliationRank[than];
}

export function atLeastRole(r: Role, than: Role): boolean {
  return roleRank[r] >= roleRank[than];
}

/** §5.1.2 the role an occupant gets on entering, from its affiliation. */
export function defaultRole(affiliation: Affiliation, moderated: boolean): Role {
  if (affiliation === "owner" || affiliation === "admin") return "moderator";
  if (affiliation === "outcast") return "none";
  return moderated && affiliation === "none" ? "visitor" : "participant";
}

export function isAffiliation(s: string | undefined): s is Affiliation {
  return s !== undefined && Object.hasOwn(affiliationRank, s); // not `in`: "constructor" is no affiliation
}

export function isRole(s: string | undefined): s is Role {
  return s !== undefined && Object.hasOwn(roleRank, s);
}
