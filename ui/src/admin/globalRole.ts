// How the UI shows a global role ("admin" or "user", as the apiserver spells it).
import type { GlobalRole } from "../api/session";
import { isAdmin } from "../lib/roles";

export { isAdmin };

/** "Admin" or "User". */
export function roleLabel(role: GlobalRole | null | undefined): "Admin" | "User" {
  return isAdmin(role) ? "Admin" : "User";
}
