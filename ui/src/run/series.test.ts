// Tests of series.ts.
import { describe, expect, it } from "vitest";
import { dailyScores, describeDays, describeSeries, inProgress, phaseBars, scoreSeries } from "./series";

describe("dailyScores", () => {
  it("covers the last N days up to today (UTC), with null on days without runs", () => {
    const now = Date.parse("2026-11-25T23:30:00Z");
    const days = dailyScores(
      [
        { day: "2026-11-25", averageScore: 80, runs: 2 },
        { day: "2026-11-23", averageScore: 50, runs: 1 },
        { day: "2026-10-01", averageScore: 10, runs: 1 }, // older than the window
      ],
      now,
      3,
    );
    expect(days).toEqual([
      { day: "2026-11-23", score: 50, runs: 1 },
      { day: "2026-11-24", score: null, runs: 0 },
      { day: "2026-11-25", score: 80, runs: 2 },
    ]);
    expect(dailyScores([], now)).toHaveLength(30);
  });

  it("describes the days for screen readers", () => {
    const now = Date.parse("2026-11-25T12:00:00Z");
    expect(describeDays(dailyScores([], now, 30))).toBe("No scored runs in the last 30 days.");
    const text = describeDays(
      dailyScores(
        [
          { day: "2026-11-24", averageScore: 40, runs: 1 },
          { day: "2026-11-25", averageScore: 90.04, runs: 1 },
        ],
        now,
        30,
      ),
    );
    expect(text).toContain("2 days with scored runs");
    expect(text).toContain("lowest 40, highest 90");
    expect(text).toContain("latest 90 on 2026-11-25");
  });
});

describe("scoreSeries", () => {
  it("makes one line per workflow of its scored runs, oldest first", () => {
    const series = scoreSeries([
      { name: "b-2", workflow: "b", score: 70, createdAt: "2026-11-25T10:00:00Z" },
      { name: "a-2", workflow: "a", score: 90, createdAt: "2026-11-25T09:00:00Z" },
      { name: "a-1", workflow: "a", score: 60, createdAt: "2026-11-24T09:00:00Z" },
      { name: "a-3", workflow: "a", score: null, createdAt: "2026-11-26T09:00:00Z" },
      { name: "c-1", workflow: "c", createdAt: "2026-11-26T09:00:00Z" },
    ]);
    expect(series.map((s) => s.workflow)).toEqual(["a", "b"]);
    expect(series[0].points.map((p) => [p.run, p.score])).toEqual([
      ["a-1", 60],
      ["a-2", 90],
    ]);
    expect(series[0].points[0].t).toBe(Date.parse("2026-11-24T09:00:00Z"));
    expect(describeSeries(series)).toBe("Scores over time: a, 2 scored runs, from 60 to 90; b, 1 scored run, from 70 to 70.");
    expect(describeSeries([])).toBe("No scored runs in the list.");
  });
});

describe("phaseBars", () => {
  it("orders phases, merges a missing phase into Pending and scales to the largest", () => {
    expect(
      phaseBars([
        { phase: "Failed", runs: 2 },
        { phase: "Succeeded", runs: 8 },
        { phase: null, runs: 1 },
        { phase: "Pending", runs: 1 },
        { phase: "Aborted", runs: 0 },
      ]),
    ).toEqual([
      { phase: "Pending", runs: 2, percent: 25 },
      { phase: "Succeeded", runs: 8, percent: 100 },
      { phase: "Failed", runs: 2, percent: 25 },
    ]);
    expect(phaseBars([])).toEqual([]);
  });
});

describe("inProgress", () => {
  it("merges the running and pending runs, newest first, each once", () => {
    const running = [{ uid: "1", createdAt: "2026-11-25T10:00:00Z", phase: "Running" }];
    const pending = [
      { uid: "2", createdAt: "2026-11-25T11:00:00Z", phase: "Pending" },
      { uid: "1", createdAt: "2026-11-25T10:00:00Z", phase: "Pending" },
    ];
    expect(inProgress(running, pending).map((r) => [r.uid, r.phase])).toEqual([
      ["2", "Pending"],
      ["1", "Running"],
    ]);
  });
});
