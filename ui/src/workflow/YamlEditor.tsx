// The YAML tab of the workflow editor: CodeMirror, with the text's problems listed by line and column.
import { yaml } from "@codemirror/lang-yaml";
import CodeMirror, { EditorView } from "@uiw/react-codemirror";
import { useMemo } from "react";
import type { YamlProblem } from "./yaml";

interface Props {
  value: string;
  onChange(value: string): void;
  problems: YamlProblem[];
  readOnly: boolean;
}

/**
 * The nonce the apiserver put in this page's Content-Security-Policy (CodeMirror adds its styles in a
 * `<style>` element, which the CSP allows only with it); none under the Vite dev server or in tests.
 */
function cspNonce(): string | undefined {
  const value = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  return value && value !== "__CSP_NONCE__" ? value : undefined;
}

const YAML_EDITOR_LABEL_ID = "wf-yaml-label";
const PROBLEMS_ID = "wf-yaml-problems";

export function YamlEditor({ value, onChange, problems, readOnly }: Props) {
  const invalid = problems.length > 0;
  const extensions = useMemo(() => {
    const nonce = cspNonce();
    return [
      yaml(),
      EditorView.lineWrapping,
      ...(nonce ? [EditorView.cspNonce.of(nonce)] : []),
      EditorView.contentAttributes.of({
        "aria-labelledby": YAML_EDITOR_LABEL_ID,
        "aria-describedby": PROBLEMS_ID,
        "aria-invalid": invalid ? "true" : "false",
        "aria-multiline": "true",
      }),
    ];
  }, [invalid]);
  return (
    <div className="yaml-editor">
      <span className="label" id={YAML_EDITOR_LABEL_ID}>
        Workflow YAML
      </span>
      <span className="hint">A whole ChaosWorkflow. Tab moves on to the next control; indent with spaces.</span>
      <CodeMirror
        value={value}
        onChange={onChange}
        extensions={extensions}
        readOnly={readOnly}
        editable={!readOnly}
        indentWithTab={false}
        minHeight="22rem"
        maxHeight="70vh"
        basicSetup={{ foldGutter: true, highlightActiveLine: !readOnly, autocompletion: false }}
      />
      <div id={PROBLEMS_ID} className="yaml-problems" aria-live="polite">
        {problems.length > 0 && (
          <ul className="field-error">
            {problems.map((p, i) => (
              <li key={i}>
                {p.line !== undefined ? `Line ${p.line}, column ${p.col ?? 1}: ` : ""}
                {p.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
