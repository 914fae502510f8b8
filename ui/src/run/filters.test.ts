// Tests of filters.ts.
import { describe, expect, it } from "vitest";
import { dateRangeError, filterKey, filterVariables, readFilters, writeFilters } from "./filters";

describe("history filters", () => {
  it("reads valid filters from the URL and drops the rest", () => {
    const f = readFilters(new URLSearchParams("workflow=web&phase=Failed&trigger=Nope&from=2026-11-01&to=yesterday"));
    expect(f).toEqual({ workflow: "web", phase: "Failed", trigger: undefined, from: "2026-11-01", to: undefined });
    expect(readFilters(new URLSearchParams(""))).toEqual({});
  });

  it("writes only the filters that are set, in a stable order", () => {
    expect(writeFilters({ to: "2026-11-30", workflow: "web", phase: undefined, trigger: "Schedule" }).toString()).toBe(
      "workflow=web&trigger=Schedule&to=2026-11-30",
    );
    const round = readFilters(writeFilters({ workflow: "a b", phase: "Running", from: "2026-01-02" }));
    expect(round).toMatchObject({ workflow: "a b", phase: "Running", from: "2026-01-02" });
  });

  it("turns whole local days into an inclusive since and an exclusive until", () => {
    const vars = filterVariables({ workflow: "web", from: "2026-11-01", to: "2026-11-30" });
    expect(vars.workflow).toBe("web");
    expect(vars.since).toBe(new Date(2026, 10, 1).toISOString());
    expect(vars.until).toBe(new Date(2026, 11, 1).toISOString()); // the midnight after To
    expect(filterVariables({})).toEqual({});
  });

  it("flags a From after To", () => {
    expect(dateRangeError({ from: "2026-11-02", to: "2026-11-01" })).toBe("From must not be after To.");
    expect(dateRangeError({ from: "2026-11-01", to: "2026-11-01" })).toBeUndefined();
  });

  it("keys the variables so that any change is a new key", () => {
    const a = filterKey(filterVariables({ workflow: "web" }));
    expect(filterKey(filterVariables({ workflow: "web" }))).toBe(a);
    expect(filterKey(filterVariables({ workflow: "web", phase: "Failed" }))).not.toBe(a);
  });
});
