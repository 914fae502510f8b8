// Tests of format.ts.
import { describe, expect, it } from "vitest";
import { ago, duration, finished, score } from "./format";

describe("format", () => {
  it("formats durations by their largest unit", () => {
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T00:00:03Z")).toBe("3 s");
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T00:04:10Z")).toBe("4 min 10 s");
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T02:05:00Z")).toBe("2 h 5 min");
    expect(duration(null)).toBe("—");
    expect(duration("not a time", "2026-01-01T00:00:00Z")).toBe("—");
  });
  it("measures a running duration up to now", () => {
    const now = Date.parse("2026-01-01T00:01:00Z");
    expect(duration("2026-01-01T00:00:30Z", null, now)).toBe("30 s");
  });
  it("says how long ago", () => {
    const now = Date.parse("2026-01-02T00:00:00Z");
    expect(ago("2026-01-01T23:59:50Z", now)).toBe("just now");
    expect(ago("2026-01-01T23:55:00Z", now)).toBe("5 min ago");
    expect(ago("2026-01-01T21:00:00Z", now)).toBe("3 h ago");
    expect(ago("2025-12-31T00:00:00Z", now)).toBe("2 d ago");
  });
  it("rounds scores and shows none as a dash", () => {
    expect(score(87.345)).toBe("87.3");
    expect(score(100)).toBe("100");
    expect(score(0)).toBe("0");
    expect(score(null)).toBe("—");
  });
  it("knows the final phases", () => {
    expect(finished("Succeeded")).toBe(true);
    expect(finished("Aborted")).toBe(true);
    expect(finished("Running")).toBe(false);
    expect(finished(null)).toBe(false);
  });
});
