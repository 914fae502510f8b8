// Tests of the NewProject page.
import { describe, expect, it } from "vitest";
import { parseNamespaces, projectNameProblem } from "./NewProject";

describe("new project", () => {
  it("accepts DNS-label names that leave room for the -chaos namespace", () => {
    expect(projectNameProblem("shop")).toBeNull();
    expect(projectNameProblem("team-a1")).toBeNull();
    expect(projectNameProblem("")).toMatch(/needs a name/);
    expect(projectNameProblem("Shop")).toMatch(/Lowercase/);
    expect(projectNameProblem("-shop")).toMatch(/Lowercase/);
    expect(projectNameProblem("shop_1")).toMatch(/Lowercase/);
    expect(projectNameProblem("a".repeat(57))).toBeNull();
    expect(projectNameProblem("a".repeat(58))).toMatch(/At most 57/);
  });
  it("reads target namespaces separated by commas or spaces, once each", () => {
    expect(parseNamespaces("shop, payments  shop\ncheckout,")).toEqual(["shop", "payments", "checkout"]);
    expect(parseNamespaces("  ")).toEqual([]);
  });
});
