// Pure helpers of the Members page: the roles, comparing member lists, whom to suggest for adding.
import type { ProjectRole } from "../api/session";

export const PROJECT_ROLES: readonly ProjectRole[] = ["Owner", "Editor", "Viewer"];

/** What each role may do, as the Members page explains it. */
export const ROLE_HINTS: Record<ProjectRole, string> = {
  Owner: "everything, including members",
  Editor: "workflows and runs",
  Viewer: "read only",
};

export interface MemberLike {
  user: string;
  role: ProjectRole;
}

/** True when both lists hold the same users with the same roles (in any order). */
export function sameMembers(a: readonly MemberLike[], b: readonly MemberLike[]): boolean {
  if (a.length !== b.length) return false;
  const roles = new Map(a.map((m) => [m.user, m.role]));
  return b.every((m) => roles.get(m.user) === m.role);
}

/** The known usernames that are not members yet, sorted. */
export function addableUsers(known: readonly string[], members: readonly MemberLike[]): string[] {
  const taken = new Set(members.map((m) => m.user));
  return known.filter((u) => !taken.has(u)).sort((x, y) => x.localeCompare(y));
}

/** Members ordered Owners first, then Editors, then Viewers; by name within a role. */
export function sortMembers<M extends MemberLike>(members: readonly M[]): M[] {
  const rank = (r: ProjectRole) => PROJECT_ROLES.indexOf(r);
  return [...members].sort((x, y) => rank(x.role) - rank(y.role) || x.user.localeCompare(y.user));
}
