// Tests of who.ts: how authors and actors are shown.
import { describe, expect, it } from "vitest";
import { authorText, describeUser, serviceAccount } from "./who";

describe("authorText", () => {
  it("shows the author, or a dash when none was recorded", () => {
    expect(authorText("bob")).toBe("bob");
    expect(authorText("system:serviceaccount:argocd:argocd-application-controller")).toBe(
      "system:serviceaccount:argocd:argocd-application-controller",
    );
    expect(authorText(null)).toBe("—");
    expect(authorText(undefined)).toBe("—");
    expect(authorText(" ")).toBe("—");
  });
});

describe("describeUser", () => {
  it("says what kind of Kubernetes identity a prefixed name is", () => {
    expect(serviceAccount("system:serviceaccount:argocd:argocd-application-controller")).toEqual({
      namespace: "argocd",
      name: "argocd-application-controller",
    });
    expect(describeUser("system:serviceaccount:argocd:argocd-application-controller")).toBe(
      "Kubernetes ServiceAccount argocd-application-controller in namespace argocd",
    );
    expect(describeUser("system:admin")).toBe("Kubernetes system identity system:admin");
    expect(describeUser("oidc:alice@example.com")).toBe("Kubernetes user oidc:alice@example.com");
  });

  it("claims nothing for a plain name (a ChaosCenter user, or a Kubernetes user without a prefix)", () => {
    expect(serviceAccount("bob")).toBeUndefined();
    expect(describeUser("bob")).toBeUndefined();
    expect(describeUser("kubernetes-admin")).toBeUndefined();
  });
});
