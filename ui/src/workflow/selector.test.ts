// Tests of selector.ts.
import { describe, expect, it } from "vitest";
import { labelKeyError, labelValueError, parseSelector, printSelector } from "./selector";

describe("parseSelector", () => {
  it("reads equality into matchLabels and != into NotIn", () => {
    expect(parseSelector("app=web,tier!=cache")).toEqual({
      selector: {
        matchLabels: { app: "web" },
        matchExpressions: [{ key: "tier", operator: "NotIn", values: ["cache"] }],
      },
    });
    expect(parseSelector("app==web").selector).toEqual({ matchLabels: { app: "web" } });
  });

  it("reads in, notin, key and !key", () => {
    expect(parseSelector("env in (prod, staging),zone notin (a),canary,!legacy").selector).toEqual({
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "staging"] },
        { key: "zone", operator: "NotIn", values: ["a"] },
        { key: "canary", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    });
  });

  it("allows spaces, prefixed keys and empty values", () => {
    expect(parseSelector("  app.kubernetes.io/name = web , ! old ,team=").selector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "web", team: "" },
      matchExpressions: [{ key: "old", operator: "DoesNotExist" }],
    });
  });

  it("treats empty text as no selector", () => {
    expect(parseSelector("")).toEqual({ selector: undefined });
    expect(parseSelector("   ")).toEqual({ selector: undefined });
  });

  it("says what is wrong", () => {
    expect(parseSelector("app=web,").error).toMatch(/empty requirement/);
    expect(parseSelector("env in (a,b").error).toMatch(/parentheses/);
    expect(parseSelector("env in ()").error).toMatch(/at least one value/);
    expect(parseSelector("replicas>3").error).toMatch(/< or >/);
    expect(parseSelector("app=we b").error).toMatch(/not a requirement/);
    expect(parseSelector("-app=web").error).toMatch(/label key "-app"/);
    expect(parseSelector("app=-web").error).toMatch(/label value "-web"/);
    expect(parseSelector("app=a,app=b").error).toMatch(/two different values/);
    expect(parseSelector("env in (ok,-bad)").error).toMatch(/label value "-bad"/);
  });
});

describe("printSelector", () => {
  it("prints every operator", () => {
    expect(
      printSelector({
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "NotIn", values: ["cache"] },
          { key: "zone", operator: "NotIn", values: ["a", "b"] },
          { key: "env", operator: "In", values: ["prod"] },
          { key: "canary", operator: "Exists" },
          { key: "legacy", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=web,tier!=cache,zone notin (a,b),env in (prod),canary,!legacy");
    expect(printSelector(undefined)).toBe("");
  });

  it("round-trips through parseSelector", () => {
    for (const text of ["app=web,tier!=cache", "env in (a,b),!legacy,canary", "a=b,c notin (d,e)"]) {
      const parsed = parseSelector(text).selector;
      expect(printSelector(parsed)).toBe(text);
      expect(parseSelector(printSelector(parsed)).selector).toEqual(parsed);
    }
  });
});

describe("label keys and values", () => {
  it("accepts valid ones and rejects others", () => {
    expect(labelKeyError("app")).toBeNull();
    expect(labelKeyError("example.com/app_name")).toBeNull();
    expect(labelKeyError("Example.com/app")).not.toBeNull();
    expect(labelKeyError("a".repeat(64))).not.toBeNull();
    expect(labelValueError("")).toBeNull();
    expect(labelValueError("v1.2_x")).toBeNull();
    expect(labelValueError("x_")).not.toBeNull();
  });
});
