// The Form tab of the workflow editor: the workflow's settings, then its steps (add, remove, reorder).
import { useContext } from "react";
import { moveStep, newStep, otherStepNames, removeStep, renameStep, uniqueName, type WorkflowForm } from "./form";
import { CheckField, FieldErrorsContext, FieldNotes, fieldId, NumberField, SelectField, TextField, type Option } from "./fields";
import { StepFields } from "./StepFields";
import { DEFAULTS, type ConcurrencyPolicy } from "./types";

const POLICY_OPTIONS: Option<ConcurrencyPolicy>[] = [
  { value: "Forbid", label: "Forbid — skip the new run" },
  { value: "Allow", label: "Allow — run both" },
  { value: "Replace", label: "Replace — abort the old run first" },
];

interface Props {
  form: WorkflowForm;
  onChange(form: WorkflowForm): void;
  /** The name can be chosen (only when creating). */
  creating: boolean;
  readOnly: boolean;
  targetNamespaces: readonly string[];
}

export function WorkflowFormView({ form, onChange, creating, readOnly, targetNamespaces }: Props) {
  const set = (patch: Partial<WorkflowForm>) => onChange({ ...form, ...patch });
  const stepsError = useContext(FieldErrorsContext).errorOf("steps");

  function addStep() {
    const names = form.steps.map((s) => s.name.trim());
    const step = newStep(uniqueName(`step-${form.steps.length + 1}`, names), targetNamespaces[0] ?? "");
    onChange({ ...form, steps: [...form.steps, step] });
    // take the keyboard to the new step's name
    window.setTimeout(() => document.getElementById(fieldId(`steps.${form.steps.length}.name`))?.focus(), 0);
  }

  return (
    // a disabled fieldset disables every control in it: the read-only view for Viewers
    <fieldset className="plain" disabled={readOnly}>
      <section className="card stack" aria-labelledby="wf-settings">
        <h2 id="wf-settings">Settings</h2>
        <div className="grid-2">
          {creating && (
            <TextField
              label="Name"
              path="name"
              value={form.name}
              required
              hint="A DNS label: lowercase letters, digits and '-', e.g. checkout-resilience."
              onChange={(name) => set({ name })}
            />
          )}
          <TextField label="Description" path="description" value={form.description} rows={2} onChange={(description) => set({ description })} />
          <TextField
            label="Schedule"
            path="schedule"
            value={form.schedule}
            placeholder="*/30 8-18 * * 1-5"
            hint={
              "Cron, five fields: minute hour day-of-month month day-of-week; or @hourly, @daily, @weekly, " +
              "@monthly, @yearly. Empty: runs only on demand."
            }
            onChange={(schedule) => set({ schedule })}
          />
          <TextField
            label="Time zone"
            path="timeZone"
            value={form.timeZone}
            placeholder={DEFAULTS.timeZone}
            hint="The IANA zone the schedule is read in, e.g. Europe/Berlin."
            onChange={(timeZone) => set({ timeZone })}
          />
          <SelectField<ConcurrencyPolicy>
            label="Concurrency policy"
            path="concurrencyPolicy"
            value={form.concurrencyPolicy ?? DEFAULTS.concurrencyPolicy}
            options={POLICY_OPTIONS}
            hint="When a scheduled run is due while an earlier one still runs."
            onChange={(concurrencyPolicy) => set({ concurrencyPolicy })}
          />
          <TextField
            label="Max duration"
            path="maxDuration"
            value={form.maxDuration}
            placeholder={DEFAULTS.maxDuration}
            hint="The run's hard deadline, e.g. 15m: then every fault is reverted."
            onChange={(maxDuration) => set({ maxDuration })}
          />
          <NumberField
            label="Run history limit"
            path="runHistoryLimit"
            value={form.runHistoryLimit}
            placeholder={String(DEFAULTS.runHistoryLimit)}
            hint="Finished runs kept in the cluster, 0–1000 (the history keeps them all)."
            onChange={(runHistoryLimit) => set({ runHistoryLimit })}
          />
          <NumberField
            label="Starting deadline (seconds)"
            path="startingDeadlineSeconds"
            value={form.startingDeadlineSeconds}
            placeholder="none"
            hint="A scheduled run that cannot start this late is skipped."
            onChange={(startingDeadlineSeconds) => set({ startingDeadlineSeconds })}
          />
          <CheckField
            label="Run on change"
            path="runOnChange"
            checked={form.runOnChange === true}
            hint="Runs once each time its steps or deadline change (e.g. a GitOps sync of a new version)."
            onChange={(runOnChange) => set({ runOnChange })}
          />
          {form.schedule.trim() !== "" && (
            <CheckField
              label="Suspended"
              path="suspend"
              checked={form.suspend === true}
              hint="No scheduled run starts while suspended."
              onChange={(suspend) => set({ suspend })}
            />
          )}
        </div>
      </section>

      <section className="stack" aria-labelledby="wf-steps">
        <h2 id="wf-steps">Steps</h2>
        <p className="hint">Steps without dependencies start at once; a step starts when every step it depends on has finished.</p>
        <FieldNotes id={fieldId("steps")} error={stepsError} />
        {form.steps.map((step, i) => (
          <StepFields
            key={step.key}
            step={step}
            index={i}
            count={form.steps.length}
            otherSteps={otherStepNames(form, i)}
            targetNamespaces={targetNamespaces}
            readOnly={readOnly}
            onChange={(s) => set({ steps: form.steps.map((o, j) => (j === i ? s : o)) })}
            onRename={(name) => onChange(renameStep(form, i, name))}
            onMove={(by) => onChange(moveStep(form, i, by))}
            onRemove={() => onChange(removeStep(form, i))}
          />
        ))}
        {!readOnly && (
          <div>
            <button type="button" onClick={addStep} disabled={form.steps.length >= 100}>
              Add step
            </button>
          </div>
        )}
      </section>
    </fieldset>
  );
}
