// Tests of session.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, current, expiresSoon, login, logout, onSessionChange, resume, setSession, type Tokens } from "./session";

const user = { username: "ada", displayName: "Ada", email: "", role: "user" as const, disabled: false, projects: [] };

function tokens(accessToken: string, inSeconds: number): Tokens {
  const now = Math.floor(Date.now() / 1000);
  return { accessToken, expiresAt: now + inSeconds, sessionEndsAt: now + 86400, mustChangePassword: false, user };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

interface Call {
  path: string;
  token: string | null;
  csrf: string | null;
  body: string | null;
  credentials?: RequestCredentials;
}

/** A fetch that answers from `answers` in order and records each call's path, bearer token and CSRF header. */
function fakeFetch(answers: Response[]) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({
      path: String(input),
      token: headers.get("authorization")?.replace("Bearer ", "") ?? null,
      csrf: headers.get("x-chaoscenter-csrf"),
      body: (init?.body as string) ?? null,
      credentials: init?.credentials,
    });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call to ${String(input)}`);
    return next;
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}

/** Every value kept in the browser's storage. */
function stored(): string {
  const all = (s: Storage) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i)!)}`);
  return [...all(localStorage), ...all(sessionStorage)].join("\n");
}

afterEach(() => vi.unstubAllGlobals());

describe("session", () => {
  it("keeps the session in memory only at sign-in and tells subscribers", async () => {
    fakeFetch([json(200, tokens("a1", 900))]);
    const seen: (string | undefined)[] = [];
    const off = onSessionChange((t) => seen.push(t?.accessToken));
    await login("ada", "pw-123456");
    off();
    expect(current()?.accessToken).toBe("a1");
    expect(seen).toEqual(["a1"]);
    expect(stored()).not.toContain("a1");
  });

  it("shows the server's message when sign-in is refused", async () => {
    fakeFetch([json(401, { error: "wrong username or password" })]);
    await expect(login("ada", "nope")).rejects.toThrow("wrong username or password");
    expect(current()).toBeNull();
  });

  it("resumes the session from the cookie at a page load", async () => {
    const calls = fakeFetch([json(200, tokens("resumed", 900))]);
    await expect(resume()).resolves.toMatchObject({ accessToken: "resumed" });
    expect(calls).toEqual([{ path: "/auth/session/refresh", token: null, csrf: "1", body: null, credentials: "same-origin" }]);
    expect(current()?.accessToken).toBe("resumed");
  });

  it("starts signed out, and says nothing of an expiry, when there is no session to resume", async () => {
    fakeFetch([json(401, { error: "no session cookie; sign in" })]);
    const reasons: (string | undefined)[] = [];
    const off = onSessionChange((_, reason) => reasons.push(reason));
    await expect(resume()).resolves.toBeNull();
    off();
    expect(current()).toBeNull();
    expect(reasons).toEqual([]);
  });

  it("refreshes a token that is about to expire before using it, with the cookie and the CSRF header", async () => {
    setSession(tokens("old", 10));
    const calls = fakeFetch([json(200, tokens("new", 900)), json(200, { ok: true })]);
    await api("GET", "/auth/me");
    expect(calls.map((c) => c.path)).toEqual(["/auth/session/refresh", "/auth/me"]);
    expect(calls[0]).toMatchObject({ token: null, csrf: "1", body: null });
    expect(calls[1].token).toBe("new");
  });

  it("retries once with a fresh token after a 401", async () => {
    setSession(tokens("revoked", 900));
    const calls = fakeFetch([json(401, { error: "the session has ended" }), json(200, tokens("fresh", 900)), json(200, [])]);
    await expect(api("GET", "/auth/users")).resolves.toEqual([]);
    expect(calls.map((c) => [c.path, c.token])).toEqual([
      ["/auth/users", "revoked"],
      ["/auth/session/refresh", null],
      ["/auth/users", "fresh"],
    ]);
  });

  it("ends the session as expired when the refresh is refused", async () => {
    setSession(tokens("stale", 900));
    fakeFetch([json(401, { error: "expired" }), json(401, { error: "the session has ended; sign in again" })]);
    const reasons: (string | undefined)[] = [];
    const off = onSessionChange((_, reason) => reasons.push(reason));
    await expect(api("GET", "/auth/me")).rejects.toBeInstanceOf(ApiError);
    off();
    expect(current()).toBeNull();
    expect(reasons).toEqual(["expired"]);
  });

  it("refreshes once for many calls at the same time", async () => {
    setSession(tokens("soon", 5));
    const calls = fakeFetch([json(200, tokens("new", 900)), json(200, 1), json(200, 2)]);
    await Promise.all([api("GET", "/a"), api("GET", "/b")]);
    expect(calls.filter((c) => c.path === "/auth/session/refresh")).toHaveLength(1);
  });

  it("keeps the session when the server cannot be reached", async () => {
    setSession(tokens("soon", 5));
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api("GET", "/auth/me")).rejects.toThrow("Failed to fetch");
    expect(current()?.accessToken).toBe("soon");
  });

  it("signs out with the token and the cookie, even when the server does not answer", async () => {
    setSession(tokens("a", 900));
    const calls = fakeFetch([new Response(null, { status: 204 })]);
    await logout();
    expect(calls).toEqual([{ path: "/auth/session/logout", token: "a", csrf: "1", body: null, credentials: "same-origin" }]);
    expect(current()).toBeNull();
    setSession(tokens("b", 900));
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("offline"))));
    await expect(logout()).resolves.toBeUndefined();
    expect(current()).toBeNull();
  });

  it("knows when a token expires soon", () => {
    const now = Date.now();
    expect(expiresSoon(tokens("a", 10), now)).toBe(true);
    expect(expiresSoon(tokens("a", 900), now)).toBe(false);
  });
});
