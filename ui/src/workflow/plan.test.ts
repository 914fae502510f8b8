// Tests of plan.ts.
import { describe, expect, it } from "vitest";
import { describeTargets, readPlan } from "./plan";

describe("readPlan", () => {
  it("lists what each step would hit, in the form's order", () => {
    const plan = {
      phase: "Succeeded",
      steps: [
        { name: "cordon", targets: [{ kind: "Node", name: "worker-1" }], message: "dry run: would inject NodeCordon into 1 target(s)" },
        {
          name: "kill",
          targets: [
            { kind: "Pod", namespace: "demo", name: "web-abc", round: 0 },
            { kind: "Pod", namespace: "demo", name: "web-def", round: 0 },
          ],
        },
        { name: "scale", targets: [], message: "dry run: no target matches" },
        { name: "cut", message: "dry run: every matching target is held by another run" },
      ],
      conditions: [{ type: "DryRun", status: "True", reason: "Planned", message: "dry run: 3 target(s) resolved" }],
    };
    expect(readPlan(plan, ["kill", "cordon", "scale", "cut", "new"])).toEqual({
      steps: [
        { name: "kill", targets: ["demo/web-abc", "demo/web-def"], summary: "Would hit 2 pods: demo/web-abc, demo/web-def" },
        { name: "cordon", targets: ["worker-1"], summary: "Would hit 1 node: worker-1" },
        { name: "scale", targets: [], summary: "no matching targets" },
        { name: "cut", targets: [], summary: "every matching target is held by another run" },
        { name: "new", targets: [], summary: "not planned" },
      ],
    });
  });

  it("says why a preview was refused", () => {
    const plan = {
      phase: "Failed",
      conditions: [
        {
          type: "Admitted",
          status: "False",
          reason: "NamespaceNotAllowed",
          message: "spec.steps[kill].fault.target.namespace: namespace kube-system is not in project demo's targetNamespaces",
        },
      ],
    };
    expect(readPlan(plan, ["kill"])).toEqual({
      refused: "spec.steps[kill].fault.target.namespace: namespace kube-system is not in project demo's targetNamespaces",
      steps: [],
    });
    expect(readPlan({ phase: "Error", conditions: [] }, ["kill"]).refused).toBe("the dry run ended Error");
  });

  it("copes with no plan", () => {
    expect(readPlan(null, ["kill"])).toEqual({ steps: [{ name: "kill", targets: [], summary: "not planned" }] });
  });
});

describe("describeTargets", () => {
  it("names the kind, or each object's kind when they differ", () => {
    expect(describeTargets([{ kind: "Deployment", namespace: "shop", name: "payments" }])).toBe("Would hit 1 Deployment: shop/payments");
    expect(
      describeTargets([
        { kind: "Pod", namespace: "a", name: "p" },
        { kind: "Node", name: "n" },
      ]),
    ).toBe("Would hit 2 objects: Pod a/p, Node n");
  });
});
