// Tests of a hub's state in words.
import { describe, expect, it } from "vitest";
import { hubState, shortRevision } from "./status";

const c = (type: string, status: string, reason = "", message = "") => ({ type, status, reason, message });

describe("hubState", () => {
  it("is Synced when the last sync worked", () => {
    expect(hubState([c("Synced", "True"), c("Ready", "True")])).toEqual({ label: "Synced", tone: "good", problem: null });
  });

  it("says a failed sync still serves the last catalogue, with why", () => {
    const state = hubState([c("Synced", "False", "FetchFailed", "could not reach git.example"), c("Ready", "True")]);
    expect(state).toEqual({ label: "Sync failed", tone: "warn", problem: "FetchFailed: could not reach git.example" });
  });

  it("is Failing when nothing is served", () => {
    expect(hubState([c("Synced", "False", "AuthFailed", "wrong credentials")]).label).toBe("Failing");
    expect(hubState([c("Ready", "False", "NoCatalogue", "")]).problem).toBe("NoCatalogue");
  });

  it("is Pending before the first sync", () => {
    expect(hubState([])).toEqual({ label: "Pending", tone: "none", problem: null });
  });

  it("shortens a revision", () => {
    expect(shortRevision("0123456789abcdef0123")).toBe("0123456789ab");
    expect(shortRevision(null)).toBeNull();
  });
});
