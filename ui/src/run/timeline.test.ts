// Tests of timeline.ts.
import { describe, expect, it } from "vitest";
import { timeline, warningCount } from "./timeline";

describe("timeline", () => {
  it("orders events oldest first, newest last, and flags warnings", () => {
    const out = timeline([
      { time: "2026-11-25T10:00:05Z", kind: "Warning", reason: "RevertFailed", message: "b" },
      { time: "2026-11-25T10:00:01Z", kind: "Normal", reason: "Started", message: "a" },
      { time: "2026-11-25T10:00:09Z", kind: "Normal", reason: "Finished", message: "c" },
    ]);
    expect(out.map((e) => e.reason)).toEqual(["Started", "RevertFailed", "Finished"]);
    expect(out.map((e) => e.warning)).toEqual([false, true, false]);
    expect(new Set(out.map((e) => e.key)).size).toBe(3);
  });

  it("keeps the server's order for equal times and events without a time", () => {
    const out = timeline([
      { time: "2026-11-25T10:00:01Z", kind: "Normal", reason: "one", message: "" },
      { time: null, kind: "Normal", reason: "untimed", message: "" },
      { time: "2026-11-25T10:00:01Z", kind: "Normal", reason: "two", message: "" },
      { time: "2026-11-25T10:00:00Z", kind: "Normal", reason: "zero", message: "" },
    ]);
    expect(out.map((e) => e.reason)).toEqual(["zero", "one", "untimed", "two"]);
  });

  it("counts warnings", () => {
    expect(warningCount([{ kind: "Warning", reason: "", message: "" }, { kind: "Normal", reason: "", message: "" }])).toBe(1);
  });
});
