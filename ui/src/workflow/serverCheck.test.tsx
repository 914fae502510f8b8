// Tests of serverCheck.ts.
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { Provider } from "urql";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newProbe, newStep, newWorkflowForm } from "./form";
import { CHECK_DEBOUNCE_MS, placeProblems, useServerCheck, type CheckInput } from "./serverCheck";
import { fakeClient, type Answers } from "./test-utils";
import type { ChaosWorkflowSpec } from "./types";

const input = (duration: string): CheckInput => ({
  project: "demo",
  name: "flow",
  spec: { steps: [{ name: "a", fault: { type: "pod-delete", target: {}, duration } }] } as ChaosWorkflowSpec,
});

const durationOf = (v: Record<string, unknown>) => (v.spec as ChaosWorkflowSpec).steps[0].fault.duration;

function setup(answers: Answers, first: CheckInput | null) {
  const fake = fakeClient(answers);
  const wrapper = ({ children }: { children: ReactNode }) => <Provider value={fake.client}>{children}</Provider>;
  const hook = renderHook(({ input }: { input: CheckInput | null }) => useServerCheck(input), { wrapper, initialProps: { input: first } });
  return { fake, hook };
}

const wait = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

describe("useServerCheck", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const echo: Answers = {
    ValidateWorkflow: (v) => ({ data: { validateWorkflow: [{ field: "spec.steps[0].fault.duration", message: `${durationOf(v)} is too long` }] } }),
  };

  it("asks once the definition has been still for the debounce time, about the newest version", async () => {
    const { fake, hook } = setup(echo, input("1s"));
    await wait(100);
    hook.rerender({ input: input("2s") });
    await wait(100);
    hook.rerender({ input: input("3s") });
    await wait(CHECK_DEBOUNCE_MS - 1);
    expect(fake.calls("ValidateWorkflow")).toEqual([]);
    expect(hook.result.current).toMatchObject({ problems: [], current: false });
    await wait(1);
    expect(fake.calls("ValidateWorkflow")).toEqual([input("3s")]);
    expect(hook.result.current).toMatchObject({
      problems: [{ field: "spec.steps[0].fault.duration", message: "3s is too long" }],
      current: true,
      failure: null,
    });
    // a change makes the answer one about an earlier version until the next arrives
    hook.rerender({ input: input("4s") });
    expect(hook.result.current).toMatchObject({ problems: [{ message: "3s is too long" }], current: false });
    await wait(CHECK_DEBOUNCE_MS);
    expect(hook.result.current).toMatchObject({ problems: [{ message: "4s is too long" }], current: true });
  });

  it("asks nothing and shows nothing without an input", async () => {
    const { fake, hook } = setup(echo, input("1s"));
    await wait(CHECK_DEBOUNCE_MS);
    hook.rerender({ input: null });
    await wait(CHECK_DEBOUNCE_MS * 3);
    expect(fake.calls("ValidateWorkflow")).toHaveLength(1);
    expect(hook.result.current).toMatchObject({ problems: [], current: false });
  });

  it("drops an answer to an earlier question that arrives after the newer one's", async () => {
    let answerFirst: (duration: string) => void = () => {};
    const { fake, hook } = setup(
      {
        ValidateWorkflow: (v) =>
          durationOf(v) === "1s"
            ? new Promise((resolve) => (answerFirst = (d) => resolve({ data: { validateWorkflow: [{ field: "spec", message: d }] } })))
            : { data: { validateWorkflow: [] } },
      },
      input("1s"),
    );
    await wait(CHECK_DEBOUNCE_MS);
    hook.rerender({ input: input("2s") });
    await wait(CHECK_DEBOUNCE_MS);
    expect(fake.calls("ValidateWorkflow")).toHaveLength(2);
    expect(hook.result.current).toMatchObject({ problems: [], current: true });
    answerFirst("stale");
    await wait(10);
    expect(hook.result.current).toMatchObject({ problems: [], current: true });
  });

  it("takes a refused save's problems as the answer, and does not ask about them again", async () => {
    const { fake, hook } = setup(echo, input("1s"));
    const refused = [{ field: "spec.maxDuration", message: "too short" }];
    act(() => hook.result.current.accept(refused));
    expect(hook.result.current).toMatchObject({ problems: refused, current: true });
    await wait(CHECK_DEBOUNCE_MS * 3);
    expect(fake.calls("ValidateWorkflow")).toEqual([]);
    expect(hook.result.current.problems).toEqual(refused);
  });

  it("says why the server could not read the definition, but not that it could not be reached", async () => {
    const bad = setup({ ValidateWorkflow: { error: "yaml: invalid type: string, expected u32", code: "BAD_INPUT" } }, input("1s"));
    await wait(CHECK_DEBOUNCE_MS);
    expect(bad.hook.result.current).toMatchObject({ problems: [], current: true, failure: "yaml: invalid type: string, expected u32" });
    const down = setup({ ValidateWorkflow: { error: "the apiserver is restarting", code: "UNAVAILABLE" } }, input("1s"));
    await wait(CHECK_DEBOUNCE_MS);
    expect(down.hook.result.current).toMatchObject({ problems: [], current: true, failure: null });
  });
});

describe("placeProblems", () => {
  const form = newWorkflowForm(["demo"]);
  form.steps[0].probes = [newProbe("up")];
  form.steps.push(newStep("second", "demo"));

  it("puts each problem at its field, or at the field it is part of, naming the rest of its path", () => {
    const placed = placeProblems(
      [
        { field: "spec.steps[0].fault.duration", message: '"2h" is more than the run\'s maxDuration (30m)' },
        { field: "spec.steps[0].probes[0].runProperties.timeout", message: "more than the interval" },
        { field: "spec.steps[1].fault.target.selector.matchExpressions[0].operator", message: '"Has" is not In, NotIn, Exists or DoesNotExist' },
        { field: "spec.steps[1].dependsOn[0]", message: 'unknown step "ghost"' },
        { field: "spec.steps[1].dependsOn[1]", message: '"a" is listed twice' },
      ],
      form,
    );
    expect(placed).toEqual({
      atField: {
        "steps.0.fault.duration": '"2h" is more than the run\'s maxDuration (30m)',
        "steps.0.probes.0.runProperties.timeout": "more than the interval",
        "steps.1.fault.target.selector": 'matchExpressions[0].operator: "Has" is not In, NotIn, Exists or DoesNotExist',
        "steps.1.dependsOn": 'unknown step "ghost"; "a" is listed twice',
      },
      elsewhere: [],
    });
  });

  it("keeps apart what no field shows", () => {
    const hidden = [
      { field: "spec.steps[0].fault.target.value", message: "not used by mode all; remove it" },
      { field: "spec.steps[2].name", message: "no such step" },
      { field: "spec", message: "is not valid" },
    ];
    expect(placeProblems(hidden, form)).toEqual({ atField: {}, elsewhere: hidden });
  });
});
