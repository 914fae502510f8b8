// The signed-in session: the access token kept in memory only (never localStorage or sessionStorage); the
// refresh token lives in an HttpOnly cookie this script cannot read, which only /auth/session/... receives.
// A page load or a 401 asks /auth/session/refresh (with the CSRF header) for a new access token.

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

/** What /auth/login, /auth/session/refresh and /auth/password answer (the refresh token is in the cookie). */
export interface Tokens {
  accessToken: string;
  /** When the access token expires, Unix seconds. */
  expiresAt: number;
  /** When the session ends however often it is refreshed, Unix seconds. */
  sessionEndsAt: number;
  mustChangePassword: boolean;
  user: UserView;
}

/** Why the session ended, shown on the sign-in page. */
export type EndReason = "expired" | "signed-out";

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;
/** The header every request that uses the session cookie carries (the apiserver refuses it without). */
export const CSRF_HEADER = "x-chaoscenter-csrf";

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
let session: Tokens | null = null;
let refreshing: Promise<Tokens | null> | null = null;

/** The session in memory, if any. */
export function current(): Tokens | null {
  return session;
}

/** Sets a new session (or clears it) and tells every subscriber. */
export function setSession(tokens: Tokens | null, reason?: EndReason): void {
  session = tokens;
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

async function post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const all: Record<string, string> = { ...headers };
  if (body !== undefined) all["content-type"] = "application/json";
  const resp = await fetch(path, {
    method: "POST",
    headers: all,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!resp.ok) throw await errorOf(resp);
  return (await resp.json()) as T;
}

/** Signs in; the session is kept (it may still require a password change). */
export async function login(username: string, password: string): Promise<Tokens> {
  const tokens = await post<Tokens>("/auth/login", { username, password });
  setSession(tokens);
  return tokens;
}

/**
 * Runs `exchange` alone among this origin's tabs where the browser can (Web Locks): tabs share the cookie,
 * and a refresh token sent twice ends the session, so two tabs must not exchange the same one at once.
 */
async function alone<T>(exchange: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? await locks.request("chaoscenter-refresh", exchange) : await exchange();
}

/**
 * Trades the session cookie for a new access token (once at a time); null when refused. A refusal ends a
 * session that was in use as "expired"; at a page load without a session nothing is said.
 */
export function refresh(): Promise<Tokens | null> {
  refreshing ??= alone(() => post<Tokens>("/auth/session/refresh", undefined, { [CSRF_HEADER]: "1" }))
    .then((tokens) => {
      setSession(tokens);
      return tokens;
    })
    .catch((e: unknown) => {
      // a network failure keeps the session (the next call retries); a refusal ends it
      if (e instanceof ApiError) {
        if (session) setSession(null, "expired");
        return null;
      }
      throw e;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** At a page load: the session the cookie still holds, if any (null, quietly, when there is none). */
export async function resume(): Promise<Tokens | null> {
  try {
    return await refresh();
  } catch {
    // the server cannot be reached: show the sign-in page
    return null;
  }
}

/** True when the token expires within the margin (or has). */
export function expiresSoon(tokens: Tokens, now = Date.now()): boolean {
  return tokens.expiresAt * 1000 - now < REFRESH_MARGIN_MS;
}

/** A valid access token, refreshed first if it is about to expire; null when signed out. */
export async function accessToken(): Promise<string | null> {
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

/** Changes the caller's password; the new session replaces this one (it no longer must change). */
export async function changePassword(currentPassword: string, newPassword: string): Promise<Tokens> {
  const tokens = await api<Tokens>("POST", "/auth/password", { currentPassword, newPassword });
  setSession(tokens);
  return tokens;
}

/**
 * Signs out: the server ends the session (every token of it) and clears the cookie; the session here is
 * cleared even if the server cannot be reached.
 */
export async function logout(): Promise<void> {
  const headers: Record<string, string> = { [CSRF_HEADER]: "1" };
  if (session) headers.authorization = `Bearer ${session.accessToken}`;
  try {
    await fetch("/auth/session/logout", { method: "POST", headers, credentials: "same-origin" });
  } catch {
    // unreachable server: the access token expires by itself within minutes; sign out here anyway
  }
  setSession(null, "signed-out");
}
