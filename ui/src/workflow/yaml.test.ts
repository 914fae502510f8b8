// Tests of yaml.ts.
import { describe, expect, it } from "vitest";
import { checkWorkflowYaml, objectPath, parseWorkflowYaml, yamlToForm } from "./yaml";

const good = `apiVersion: chaoscenter.io/v1alpha1
kind: ChaosWorkflow
metadata:
  name: flow
  namespace: demo-chaos
  labels: {team: sre}
spec:
  steps:
    - name: kill
      fault:
        type: pod-delete
        target: {namespace: demo, selector: {matchLabels: {app: web}}}
`;

describe("parseWorkflowYaml", () => {
  it("reads a ChaosWorkflow", () => {
    const r = parseWorkflowYaml(good);
    expect(r.problems).toBeUndefined();
    expect(r.workflow?.metadata.name).toBe("flow");
    expect(r.workflow?.spec.steps[0].fault.type).toBe("pod-delete");
  });

  it("gives syntax errors with their line and column", () => {
    const r = parseWorkflowYaml("apiVersion: chaoscenter.io/v1alpha1\nkind: [ChaosWorkflow\nspec: {}\n");
    expect(r.problems?.length).toBeGreaterThan(0);
    expect(r.problems?.[0].line).toBeGreaterThanOrEqual(2);
    expect(r.problems?.[0].col).toBeGreaterThanOrEqual(1);
    expect(r.problems?.[0].message).not.toContain("\n");
  });

  it("flags duplicate keys", () => {
    const r = parseWorkflowYaml(good.replace("  name: flow\n", "  name: flow\n  name: other\n"));
    expect(r.problems?.[0].line).toBe(5);
  });

  it("says where the shape is wrong", () => {
    const bad = good.replace("type: pod-delete", "type: pod-kill").replace("- name: kill", "- name: kill\n      weight: heavy");
    const r = parseWorkflowYaml(bad);
    expect(r.problems?.map((p) => p.message)).toEqual([
      'spec.steps[0].weight: must be a number, not the text "heavy"',
      'spec.steps[0].fault.type: must be one of pod-delete, pod-autoscaler, node-cordon, node-taint, node-drain, network-partition, not the text "pod-kill"',
    ]);
    expect(r.problems?.[0].line).toBe(10);
    expect(r.problems?.[1].line).toBe(12);
    expect(r.problems?.[1].col).toBe(15);
  });

  it("names unknown fields, missing fields and unquoted strings", () => {
    const r = parseWorkflowYaml(good.replace("  steps:", "  retries: 3\n  steps:").replace("        type: pod-delete\n", ""));
    expect(r.problems?.map((p) => p.message)).toEqual([
      "spec.retries: not a field of a ChaosWorkflow",
      "spec.steps[0].fault.type: required",
    ]);
    const probe = parseWorkflowYaml(
      good +
        "      probes:\n        - name: p\n          type: prom\n          prom: {endpoint: 'http://p', query: up, comparator: {criteria: '<=', value: 0.5}}\n",
    );
    expect(probe.problems?.[0].message).toBe("spec.steps[0].probes[0].prom.comparator.value: must be text, not the number 0.5 (put it in quotes)");
  });

  it("wants the right kind and a name", () => {
    expect(parseWorkflowYaml(good.replace("kind: ChaosWorkflow", "kind: ChaosWorkflowRun")).problems?.[0].message).toBe("kind: must be ChaosWorkflow");
    expect(parseWorkflowYaml(good.replace("v1alpha1", "v1")).problems?.[0].message).toBe("apiVersion: must be chaoscenter.io/v1alpha1");
    expect(parseWorkflowYaml(good.replace("  name: flow\n", "")).problems?.[0].message).toBe("metadata.name: required");
    expect(parseWorkflowYaml("").problems?.[0].message).toBe("the document is empty");
    expect(parseWorkflowYaml("- a\n- b\n").problems?.[0].message).toBe(": must be a mapping, not a list");
  });
});

describe("yamlToForm", () => {
  it("gives the form, or the problems", () => {
    const r = yamlToForm(good);
    expect(r.form?.name).toBe("flow");
    expect(r.form?.steps[0].selector).toBe("app=web");
    expect(yamlToForm("spec: [").problems?.length).toBeGreaterThan(0);
  });
});

describe("checkWorkflowYaml", () => {
  it("is empty for a valid workflow", () => {
    expect(checkWorkflowYaml(good)).toEqual([]);
  });

  it("places validation errors at their line", () => {
    const problems = checkWorkflowYaml(good.replace("- name: kill", "- name: kill\n      weight: 5000").replace("  name: flow", "  name: Flow"));
    expect(problems).toEqual([
      { message: "metadata.name: lowercase letters, digits and '-', starting and ending with a letter or digit", line: 4, col: 9 },
      { message: "spec.steps[0].weight: from 0 to 1000", line: 10, col: 15 },
    ]);
  });

  it("places errors of missing fields at their parent", () => {
    const problems = checkWorkflowYaml(good.replace("target: {namespace: demo, selector: {matchLabels: {app: web}}}", "target: {namespace: demo}"));
    expect(problems).toEqual([{ message: "spec.steps[0].fault.target.selector: give a label selector or a target name", line: 12, col: 17 }]);
  });

  it("passes syntax errors through", () => {
    expect(checkWorkflowYaml("a: [")[0].line).toBeDefined();
  });
});

describe("objectPath", () => {
  it("writes list indexes in brackets", () => {
    expect(objectPath("steps.0.probes.12.http.url")).toBe("spec.steps[0].probes[12].http.url");
    expect(objectPath("name")).toBe("metadata.name");
    expect(objectPath("maxDuration")).toBe("spec.maxDuration");
  });
});
