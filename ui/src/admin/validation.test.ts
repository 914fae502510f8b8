// Tests of validation.ts.
import { describe, expect, it } from "vitest";
import { isAdmin, roleLabel } from "./globalRole";
import { addableUsers, sameMembers, sortMembers } from "./members";
import {
  collectProblems,
  daysProblem,
  displayNameProblem,
  emailProblem,
  isClean,
  newPasswordProblem,
  tokenNameProblem,
  usernameProblem,
} from "./validation";

describe("usernameProblem", () => {
  it("accepts DNS labels", () => {
    expect(usernameProblem("alice")).toBeNull();
    expect(usernameProblem("a")).toBeNull();
    expect(usernameProblem("dev-team-2")).toBeNull();
    expect(usernameProblem("x".repeat(63))).toBeNull();
  });
  it("refuses empty, long and non-label names", () => {
    expect(usernameProblem("")).toBe("Enter a username.");
    expect(usernameProblem("x".repeat(64))).toMatch(/At most 63 characters \(this has 64\)/);
    for (const bad of ["Alice", "al_ice", "al.ice", "-alice", "alice-", "al ice", "élise"]) {
      expect(usernameProblem(bad), bad).toMatch(/lowercase letters, digits and '-'/);
    }
  });
});

describe("newPasswordProblem", () => {
  it("needs 8 to 128 characters", () => {
    expect(newPasswordProblem("1234567")).toBe("At least 8 characters.");
    expect(newPasswordProblem("12345678")).toBeNull();
    expect(newPasswordProblem("x".repeat(128))).toBeNull();
    expect(newPasswordProblem("x".repeat(129))).toBe("At most 128 characters.");
  });
  it("counts characters, not UTF-16 units", () => {
    expect(newPasswordProblem("🔑🔑🔑🔑")).toBe("At least 8 characters.");
    expect(newPasswordProblem("🔑".repeat(8))).toBeNull();
  });
  it("refuses the username as the password, in any case", () => {
    expect(newPasswordProblem("MargaretH", "margareth")).toBe("The password may not be the username.");
    expect(newPasswordProblem("margareth1", "margareth")).toBeNull();
  });
});

describe("daysProblem", () => {
  it("accepts whole numbers from 1 to 365", () => {
    expect(daysProblem("1")).toBeNull();
    expect(daysProblem(" 30 ")).toBeNull();
    expect(daysProblem("365")).toBeNull();
  });
  it("refuses the rest", () => {
    expect(daysProblem("0")).toBe("From 1 to 365 days.");
    expect(daysProblem("366")).toBe("From 1 to 365 days.");
    for (const bad of ["", "1.5", "-3", "ten", "1e2"]) {
      expect(daysProblem(bad), bad).toBe("A whole number of days from 1 to 365.");
    }
  });
});

describe("the other field checks", () => {
  it("checks emails like the server", () => {
    expect(emailProblem("")).toBeNull();
    expect(emailProblem("a@b")).toBeNull();
    for (const bad of ["ab", "@b", "a@", "a@b@c", "a b@c"]) expect(emailProblem(bad), bad).not.toBeNull();
  });
  it("limits display names and token names", () => {
    expect(displayNameProblem("x".repeat(128))).toBeNull();
    expect(displayNameProblem("x".repeat(129))).toBe("At most 128 characters.");
    expect(tokenNameProblem("  ")).toMatch(/Give the token a name/);
    expect(tokenNameProblem("ci")).toBeNull();
    expect(tokenNameProblem("x".repeat(65))).toBe("At most 64 characters.");
  });
  it("collects only the problems found", () => {
    const problems = collectProblems({ a: null, b: "wrong", c: null });
    expect(problems).toEqual({ b: "wrong" });
    expect(isClean(problems)).toBe(false);
    expect(isClean(collectProblems({ a: null }))).toBe(true);
  });
});

describe("global roles", () => {
  it("reads the server's spelling", () => {
    expect(isAdmin("admin")).toBe(true);
    expect(isAdmin("user")).toBe(false);
    expect(isAdmin(undefined)).toBe(false);
    expect(roleLabel("admin")).toBe("Admin");
    expect(roleLabel("user")).toBe("User");
  });
});

describe("member helpers", () => {
  const members = [
    { user: "vic", role: "Viewer" as const },
    { user: "olivia", role: "Owner" as const },
    { user: "ed", role: "Editor" as const },
    { user: "anna", role: "Owner" as const },
  ];
  it("compares member lists in any order", () => {
    expect(sameMembers(members, [...members].reverse())).toBe(true);
    expect(sameMembers(members, members.slice(1))).toBe(false);
    expect(sameMembers(members, members.map((m) => (m.user === "ed" ? { ...m, role: "Viewer" as const } : m)))).toBe(false);
  });
  it("orders Owners, Editors, Viewers, then by name", () => {
    expect(sortMembers(members).map((m) => m.user)).toEqual(["anna", "olivia", "ed", "vic"]);
  });
  it("suggests the users who are not members yet", () => {
    expect(addableUsers(["zoe", "ed", "bob", "olivia"], members)).toEqual(["bob", "zoe"]);
  });
});
