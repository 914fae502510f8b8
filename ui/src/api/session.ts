// The signed-in session: tokens kept in localStorage, refreshed before they expire, and every REST call.

/** As the apiserver spells it. */
export type GlobalRole = "admin" | "user";
export type ProjectRole = "Owner" | "Editor" | "Viewer";

export interface Membership {
  project: string;
  role: ProjectRole;
}

export interface UserView {
  username: string;
  displayName: string;
  email: string;
  role: GlobalRole;
  disabled: boolean;
  projects: Membership[];
}

/** What /auth/login, /auth/refresh and /auth/password answer. */
export interface Tokens {
  accessToken: string;
  /** Unix seconds. */
  expiresAt: number;
  refreshToken: string;
  mustChangePassword: boolean;
  user: UserView;
}

/** Why the session ended, shown on the sign-in page. */
export type EndReason = "expired" | "signed-out";

const KEY = "chaoscenter.session";
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;

/** An API answer that is not a success: the status and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Listener = (tokens: Tokens | null, reason?: EndReason) => void;
const listeners = new Set<Listener>();
let refreshing: Promise<Tokens | null> | null = null;

/** The stored session, if any. */
export function current(): Tokens | null {
  const raw = localStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Tokens;
  } catch {
    localStorage.removeItem(KEY);
    return null;
  }
}

/** Stores a new session (or clears it) and tells every subscriber. */
export function setSession(tokens: Tokens | null, reason?: EndReason): void {
  if (tokens) localStorage.setItem(KEY, JSON.stringify(tokens));
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l(tokens, reason));
}

/** Calls `listener` whenever the session changes; returns the unsubscribe function. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The server's message from an error body (`{"error": "..."}`), or the status text. */
async function errorOf(resp: Response): Promise<ApiError> {
  let message = `${resp.status} ${resp.statusText}`;
  try {
    const body = (await resp.json()) as { error?: string };
    if (body?.error) message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(resp.status, message);
}

async function post<T>(path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
  if (!resp.ok) throw await errorOf(resp);
  return (await resp.json()) as T;
}

/** Signs in; the session is stored (it may still require a password change). */
export async function login(username: string, password: string): Promise<Tokens> {
  const tokens = await post<Tokens>("/auth/login", { username, password });
  setSession(tokens);
  return tokens;
}

/** Trades the refresh token for a new pair (once at a time); null, and the session ends, when refused. */
export function refresh(): Promise<Tokens | null> {
  const session = current();
  if (!session) return Promise.resolve(null);
  refreshing ??= post<Tokens>("/auth/refresh", { refreshToken: session.refreshToken })
    .then((tokens) => {
      setSession(tokens);
      return tokens;
    })
    .catch((e: unknown) => {
      // a network failure keeps the session (the next call retries); a refusal ends it
      if (e instanceof ApiError) {
        setSession(null, "expired");
        return null;
      }
      throw e;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** True when the token expires within the margin (or has). */
export function expiresSoon(tokens: Tokens, now = Date.now()): boolean {
  return tokens.expiresAt * 1000 - now < REFRESH_MARGIN_MS;
}

/** A valid access token, refreshed first if it is about to expire; null when signed out. */
export async function accessToken(): Promise<string | null> {
  const session = current();
  if (!session) return null;
  if (!expiresSoon(session)) return session.accessToken;
  const fresh = await refresh();
  return fresh?.accessToken ?? null;
}

/**
 * fetch as the signed-in user (REST and GraphQL alike): the bearer token, refreshed first when it is about
 * to expire; on a 401 the token is refreshed once and the request retried, and if that fails too the
 * session ends ("expired"). The answer is returned as it is.
 */
export async function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const send = (token: string | null) => {
    const headers = new Headers(init?.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  let resp = await send(await accessToken());
  if (resp.status === 401 && current()) {
    const fresh = await refresh();
    if (!fresh) return resp;
    resp = await send(fresh.accessToken);
    if (resp.status === 401) setSession(null, "expired");
  }
  return resp;
}

/**
 * A REST call to the apiserver as the signed-in user (see authFetch). Errors are thrown as ApiError with
 * the server's message; a refused refresh as "Your session expired". Answers 204 as undefined.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const signedIn = current() !== null;
  const resp = await authFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 401 && signedIn && !current()) throw new ApiError(401, "Your session expired; sign in again.");
  if (!resp.ok) throw await errorOf(resp);
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Changes the caller's password; the new token pair replaces the session (it no longer must change). */
export async function changePassword(currentPassword: string, newPassword: string): Promise<Tokens> {
  const tokens = await api<Tokens>("POST", "/auth/password", { currentPassword, newPassword });
  setSession(tokens);
  return tokens;
}

/** Signs out: the server revokes the token; the session is cleared even if the server cannot be reached. */
export async function logout(): Promise<void> {
  const session = current();
  try {
    if (session) {
      await fetch("/auth/logout", { method: "POST", headers: { authorization: `Bearer ${session.accessToken}` } });
    }
  } catch {
    // unreachable server: the token expires by itself within minutes; sign out here anyway
  }
  setSession(null, "signed-out");
}
