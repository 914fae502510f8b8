// The server validator's judgement of the definition being edited (`validateWorkflow`, debounced, the newest
// answer wins) and where in the form each problem it finds is shown.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useClient } from "urql";
import { errorCode, errorMessage, type FieldProblem } from "../api/client";
import type { ValidateWorkflowQueryVariables } from "../gql/graphql";
import { ValidateWorkflowDocument } from "./api";
import type { WorkflowForm } from "./form";
import type { ChaosWorkflowSpec } from "./types";
import { fieldOfMessage, type FieldErrors } from "./validate";
import { objectPath } from "./yaml";

/** How long the definition must stay still before the server checks it. */
export const CHECK_DEBOUNCE_MS = 400;

/** What the server checks: a name and a spec (the form), or a whole ChaosWorkflow (the YAML). */
export type CheckInput = { project: string; name: string; spec: ChaosWorkflowSpec } | { project: string; yaml: string };

export interface ServerCheck {
  /** The problems of the newest answer (empty: none found); it may be about an earlier version. */
  problems: FieldProblem[];
  /** The newest answer is about the definition as it is now. */
  current: boolean;
  /** Why the server could not read the definition at all (a `BAD_INPUT` error), when that is the answer. */
  failure: string | null;
  /** Takes problems the server reported otherwise (a refused save) as the answer for the definition now. */
  accept(problems: FieldProblem[]): void;
}

interface Answer {
  key: string;
  problems: FieldProblem[];
  failure: string | null;
}

/**
 * Asks the server's validator about `input` once it has not changed for `delayMs`; null asks nothing (and
 * shows nothing). Typing is never held up, and an answer that arrives after a newer question was asked is
 * dropped.
 */
export function useServerCheck(input: CheckInput | null, delayMs = CHECK_DEBOUNCE_MS): ServerCheck {
  const client = useClient();
  const key = input ? JSON.stringify(input) : "";
  const [answer, setAnswer] = useState<Answer | null>(null);
  // the number of the newest question; answers to older ones are stale
  const newest = useRef(0);
  // the input the newest answer is about (a question about it again is not asked)
  const answered = useRef<string | null>(null);
  const keyNow = useRef(key);
  useLayoutEffect(() => {
    keyNow.current = key;
  });

  useEffect(() => {
    if (key === "") return;
    const timer = window.setTimeout(() => {
      if (answered.current === key) return;
      const question = ++newest.current;
      const variables = JSON.parse(key) as ValidateWorkflowQueryVariables;
      void client
        .query(ValidateWorkflowDocument, variables, { requestPolicy: "network-only" })
        .toPromise()
        .then((result) => {
          if (question !== newest.current) return;
          answered.current = key;
          if (result.error || !result.data) {
            // unreadable input is worth saying; an unreachable server is not (saving will tell)
            const failure = errorCode(result.error) === "BAD_INPUT" ? errorMessage(result.error) : null;
            setAnswer({ key, problems: [], failure });
            return;
          }
          setAnswer({ key, problems: result.data.validateWorkflow.map(({ field, message }) => ({ field, message })), failure: null });
        });
    }, delayMs);
    return () => window.clearTimeout(timer);
  }, [key, client, delayMs]);

  // nothing lands after the editor is gone
  useEffect(
    () => () => {
      newest.current += 1;
    },
    [],
  );

  const accept = useCallback((problems: FieldProblem[]) => {
    newest.current += 1;
    answered.current = keyNow.current;
    setAnswer({ key: keyNow.current, problems, failure: null });
  }, []);

  return useMemo(() => {
    if (key === "" || !answer) return { problems: [], current: false, failure: null, accept };
    const current = answer.key === key;
    return { problems: answer.problems, current, failure: current ? answer.failure : null, accept };
  }, [key, answer, accept]);
}

export interface PlacedProblems {
  /** Messages by form field (several at one field are joined with "; "). */
  atField: FieldErrors;
  /** Problems about no field the form shows now. */
  elsewhere: FieldProblem[];
}

/**
 * Where the form shows each problem: at its field, or at the field it is part of (a selector's
 * `matchExpressions[0].operator`: the selector, named in the message); the rest go elsewhere.
 */
export function placeProblems(problems: readonly FieldProblem[], form: WorkflowForm): PlacedProblems {
  const atField: FieldErrors = {};
  const elsewhere: FieldProblem[] = [];
  for (const p of problems) {
    const field = fieldOfMessage(p.field, form);
    if (field === null) {
      elsewhere.push(p);
      continue;
    }
    const own = objectPath(field);
    const message = p.field.startsWith(`${own}.`) ? `${p.field.slice(own.length + 1)}: ${p.message}` : p.message;
    atField[field] = atField[field] ? `${atField[field]}; ${message}` : message;
  }
  return { atField, elsewhere };
}
