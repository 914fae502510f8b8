// Tests of the log lines' parsing and of when a log is followed.
import { describe, expect, it } from "vitest";
import { following, LOG_SETTLE_MS, parseLogLine, timeOfDay } from "./logs";

describe("parseLogLine", () => {
  it("splits the operator's lines and a probe's output into time, level and text", () => {
    expect(parseLogLine("2026-11-25T21:59:16.275Z INFO  run started; deadline in 5m reason=Started")).toEqual({
      time: "2026-11-25T21:59:16.275Z",
      level: "INFO",
      text: "run started; deadline in 5m reason=Started",
    });
    expect(parseLogLine("2026-11-25T21:59:17.002Z WARN  probe up failed: status 503")).toMatchObject({ level: "WARN" });
    expect(parseLogLine("2026-11-25T21:59:18Z OUTPUT [cart-up] checkout is down")).toEqual({
      time: "2026-11-25T21:59:18Z",
      level: "OUTPUT",
      text: "[cart-up] checkout is down",
    });
  });

  it("keeps a line in no known shape whole: the marker, an unknown level", () => {
    const marker = "… 12 earlier lines dropped (a run's log keeps its newest 2000 lines and 256 KiB)";
    expect(parseLogLine(marker)).toEqual({ text: marker });
    expect(parseLogLine("2026-11-25T21:59:18Z NOTICE hello")).toEqual({ text: "2026-11-25T21:59:18Z NOTICE hello" });
    expect(parseLogLine("")).toEqual({ text: "" });
  });
});

describe("timeOfDay", () => {
  it("shows the local time with milliseconds, or the text when it is not a time", () => {
    const iso = "2026-11-25T21:59:16.275Z";
    const d = new Date(iso);
    expect(timeOfDay(iso)).toBe(
      `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}:16.275`,
    );
    expect(timeOfDay("soon")).toBe("soon");
  });
});

describe("following", () => {
  const end = "2026-11-25T22:00:00Z";
  const at = Date.parse(end);
  it("follows a run in progress, and one just finished until its last lines are in", () => {
    expect(following(true, null, at)).toBe(true);
    expect(following(false, end, at + 1000)).toBe(true);
    expect(following(false, end, at + LOG_SETTLE_MS + 1)).toBe(false);
    expect(following(false, null, at)).toBe(false);
    expect(following(false, "not a time", at)).toBe(false);
  });
});
