// What a role may do in the UI; it mirrors the Kubernetes RBAC the apiserver enforces (config/rbac).
import type { GlobalRole, ProjectRole } from "../api/session";

export interface Permissions {
  /** Create, edit, delete and run workflows, abort runs, suspend schedules. */
  canEdit: boolean;
  /** Add and remove members, change roles. */
  canManageMembers: boolean;
}

/** Whether a user with this global role is an administrator. */
export function isAdmin(role: GlobalRole | null | undefined): boolean {
  return role === "admin";
}

/** The caller's permissions in a project: admins may act in every project. */
export function permissions(role: ProjectRole | null | undefined, globalRole: GlobalRole | undefined): Permissions {
  const admin = isAdmin(globalRole);
  return {
    canEdit: admin || role === "Owner" || role === "Editor",
    canManageMembers: admin || role === "Owner",
  };
}
