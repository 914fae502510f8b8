// Tests of session.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, current, expiresSoon, login, logout, onSessionChange, setSession, type Tokens } from "./session";

const user = { username: "ada", displayName: "Ada", email: "", role: "user" as const, disabled: false, projects: [] };

function tokens(accessToken: string, inSeconds: number, refreshToken = `r-${accessToken}`): Tokens {
  return { accessToken, refreshToken, expiresAt: Math.floor(Date.now() / 1000) + inSeconds, mustChangePassword: false, user };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A fetch that answers from `routes` in order and records each call's path and bearer token. */
function fakeFetch(answers: Response[]) {
  const calls: { path: string; token: string | null; body: string | null }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({
      path: String(input),
      token: headers.get("authorization")?.replace("Bearer ", "") ?? null,
      body: (init?.body as string) ?? null,
    });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call to ${String(input)}`);
    return next;
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("session", () => {
  it("stores the session at sign-in and tells subscribers", async () => {
    fakeFetch([json(200, tokens("a1", 900))]);
    const seen: (string | undefined)[] = [];
    const off = onSessionChange((t) => seen.push(t?.accessToken));
    await login("ada", "pw-123456");
    off();
    expect(current()?.accessToken).toBe("a1");
    expect(seen).toEqual(["a1"]);
  });

  it("shows the server's message when sign-in is refused", async () => {
    fakeFetch([json(401, { error: "wrong username or password" })]);
    await expect(login("ada", "nope")).rejects.toThrow("wrong username or password");
    expect(current()).toBeNull();
  });

  it("refreshes a token that is about to expire before using it", async () => {
    setSession(tokens("old", 10));
    const calls = fakeFetch([json(200, tokens("new", 900)), json(200, { ok: true })]);
    await api("GET", "/auth/me");
    expect(calls.map((c) => c.path)).toEqual(["/auth/refresh", "/auth/me"]);
    expect(JSON.parse(calls[0].body!)).toEqual({ refreshToken: "r-old" });
    expect(calls[1].token).toBe("new");
  });

  it("retries once with a fresh token after a 401", async () => {
    setSession(tokens("revoked", 900));
    const calls = fakeFetch([json(401, { error: "token revoked" }), json(200, tokens("fresh", 900)), json(200, [])]);
    await expect(api("GET", "/auth/users")).resolves.toEqual([]);
    expect(calls.map((c) => [c.path, c.token])).toEqual([
      ["/auth/users", "revoked"],
      ["/auth/refresh", null],
      ["/auth/users", "fresh"],
    ]);
  });

  it("ends the session as expired when the refresh token is refused", async () => {
    setSession(tokens("stale", 900));
    fakeFetch([json(401, { error: "expired" }), json(401, { error: "the refresh token is not valid" })]);
    const reasons: (string | undefined)[] = [];
    const off = onSessionChange((_, reason) => reasons.push(reason));
    await expect(api("GET", "/auth/me")).rejects.toBeInstanceOf(ApiError);
    off();
    expect(current()).toBeNull();
    expect(reasons).toEqual(["expired"]);
  });

  it("keeps the session when the server cannot be reached", async () => {
    setSession(tokens("soon", 5));
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api("GET", "/auth/me")).rejects.toThrow("Failed to fetch");
    expect(current()?.accessToken).toBe("soon");
  });

  it("signs out even when the server does not answer", async () => {
    setSession(tokens("a", 900));
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
