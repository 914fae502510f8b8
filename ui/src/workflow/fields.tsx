// Labelled controls of the workflow editor, each with its error next to it (aria-invalid, .field-error).
import { createContext, useContext, type ReactNode } from "react";

export interface FieldErrorsState {
  /** The error to show for a field now, if any. */
  errorOf(path: string): string | undefined;
  /** A warning to show for a field (does not block saving). */
  warningOf?(path: string): string | undefined;
  /** The field was left: its errors show from now on. */
  touch(path: string): void;
}

export const FieldErrorsContext = createContext<FieldErrorsState>({ errorOf: () => undefined, touch: () => {} });

/** The DOM id of a field's control. */
export function fieldId(path: string): string {
  return `wf-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** What a control needs to be linked to its error and hint. */
export function useField(path: string, hint?: ReactNode) {
  const { errorOf, warningOf, touch } = useContext(FieldErrorsContext);
  const id = fieldId(path);
  const error = errorOf(path);
  const warning = error ? undefined : warningOf?.(path);
  const describedBy = [error && `${id}-error`, warning && `${id}-warning`, hint && `${id}-hint`].filter(Boolean).join(" ");
  return {
    id,
    error,
    warning,
    control: {
      id,
      "aria-invalid": error ? true : undefined,
      "aria-describedby": describedBy || undefined,
      onBlur: () => touch(path),
    },
  };
}

/** The error, warning and hint under a control. */
export function FieldNotes({ id, error, warning, hint }: { id: string; error?: string; warning?: string; hint?: ReactNode }) {
  return (
    <>
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
      {warning && (
        <span className="field-warning" id={`${id}-warning`}>
          {warning}
        </span>
      )}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </>
  );
}

interface TextFieldProps {
  label: string;
  path: string;
  value: string;
  onChange(value: string): void;
  hint?: ReactNode;
  placeholder?: string;
  inputMode?: "numeric" | "text" | "url";
  type?: "text" | "number" | "url";
  /** A textarea of this many rows instead of an input. */
  rows?: number;
  className?: string;
  required?: boolean;
}

export function TextField({ label, path, value, onChange, hint, placeholder, inputMode, type = "text", rows, className, required }: TextFieldProps) {
  const { id, error, warning, control } = useField(path, hint);
  return (
    <div className={className ? `field ${className}` : "field"}>
      <label htmlFor={id}>{label}</label>
      {rows ? (
        <textarea {...control} rows={rows} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          {...control}
          type={type}
          inputMode={inputMode}
          value={value}
          placeholder={placeholder}
          aria-required={required || undefined}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      <FieldNotes id={id} error={error} warning={warning} hint={hint} />
    </div>
  );
}

/** A whole-number field (kept as text so a wrong entry can be shown with its error). */
export function NumberField(props: Omit<TextFieldProps, "type" | "inputMode">) {
  return <TextField {...props} type="number" inputMode="numeric" />;
}

export interface Option<T extends string> {
  value: T;
  label: string;
}

interface SelectFieldProps<T extends string> {
  label: string;
  path: string;
  value: T;
  options: readonly Option<T>[];
  onChange(value: T): void;
  hint?: ReactNode;
  className?: string;
}

export function SelectField<T extends string>({ label, path, value, options, onChange, hint, className }: SelectFieldProps<T>) {
  const { id, error, warning, control } = useField(path, hint);
  return (
    <div className={className ? `field ${className}` : "field"}>
      <label htmlFor={id}>{label}</label>
      <select {...control} value={value} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldNotes id={id} error={error} warning={warning} hint={hint} />
    </div>
  );
}

/** Options whose labels are their values. */
export function plainOptions<T extends string>(values: readonly T[]): Option<T>[] {
  return values.map((value) => ({ value, label: value }));
}

interface CheckFieldProps {
  label: string;
  path: string;
  checked: boolean;
  onChange(checked: boolean): void;
  hint?: ReactNode;
}

export function CheckField({ label, path, checked, onChange, hint }: CheckFieldProps) {
  const { id, error, warning, control } = useField(path, hint);
  return (
    <div className="field check-field">
      <label className="inline" htmlFor={id}>
        <input {...control} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      <FieldNotes id={id} error={error} warning={warning} hint={hint} />
    </div>
  );
}
