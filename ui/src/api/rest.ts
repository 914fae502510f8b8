// The apiserver's REST endpoints under /auth: users, own account, API tokens, projects and members.
import { api, type GlobalRole, type ProjectRole, type UserView } from "./session";

export interface Me extends UserView {
  mustChangePassword: boolean;
}

export interface ProjectInfo {
  name: string;
  displayName: string;
  description: string;
  /** The caller's role; null for an admin who is not a member. */
  myRole: ProjectRole | null;
  members: { user: string; role: ProjectRole }[];
  targetNamespaces: string[];
  namespace: string | null;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string;
}

const enc = encodeURIComponent;

export const rest = {
  me: () => api<Me>("GET", "/auth/me"),
  updateMe: (details: { displayName?: string; email?: string }) => api<UserView>("PATCH", "/auth/me", details),

  users: () => api<UserView[]>("GET", "/auth/users"),
  createUser: (user: { username: string; password: string; displayName?: string; email?: string; role?: GlobalRole }) =>
    api<UserView>("POST", "/auth/users", user),
  resetPassword: (username: string, newPassword: string) =>
    api<void>("POST", `/auth/users/${enc(username)}/password`, { newPassword }),
  disableUser: (username: string) => api<void>("POST", `/auth/users/${enc(username)}/disable`),
  enableUser: (username: string) => api<void>("POST", `/auth/users/${enc(username)}/enable`),

  tokens: () => api<ApiTokenInfo[]>("GET", "/auth/tokens"),
  createToken: (name: string, daysUntilExpiry: number, currentPassword: string) =>
    api<ApiTokenInfo & { token: string }>("POST", "/auth/tokens", { name, daysUntilExpiry, currentPassword }),
  revokeToken: (id: string) => api<void>("DELETE", `/auth/tokens/${enc(id)}`),

  projects: () => api<ProjectInfo[]>("GET", "/auth/projects"),
  createProject: (p: { name: string; displayName?: string; description?: string; targetNamespaces?: string[] }) =>
    api<ProjectInfo>("POST", "/auth/projects", p),
  addMember: (project: string, user: string, role: ProjectRole) =>
    api<ProjectInfo>("POST", `/auth/projects/${enc(project)}/members`, { user, role }),
  changeRole: (project: string, user: string, role: ProjectRole) =>
    api<ProjectInfo>("PUT", `/auth/projects/${enc(project)}/members/${enc(user)}`, { role }),
  removeMember: (project: string, user: string) =>
    api<ProjectInfo>("DELETE", `/auth/projects/${enc(project)}/members/${enc(user)}`),
  leave: (project: string) => api<void>("POST", `/auth/projects/${enc(project)}/leave`, {}),
};
