// Test helpers of the workflow pages: a fake GraphQL client by operation name, a render in a project route.
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import { CombinedError, Provider, type Client, type Operation, type OperationResult } from "urql";
import { vi } from "vitest";
import { concat, fromValue, never } from "wonka";
import type { ProjectRole } from "../gql/graphql";
import { ProjectProvider, type ProjectItem } from "../project";

/** An answer: data, or the message of a GraphQL error (with its code). */
export type Answer = { data: unknown } | { error: string; code?: string };
export type Answers = Record<string, Answer | ((variables: Record<string, unknown>) => Answer)>;

export function operationName(op: Operation): string {
  const def = op.query.definitions[0];
  return def.kind === "OperationDefinition" ? (def.name?.value ?? "") : "";
}

function result(op: Operation, answer: Answer): OperationResult {
  if ("error" in answer) {
    return {
      operation: op,
      data: undefined,
      error: new CombinedError({ graphQLErrors: [{ message: answer.error, extensions: { code: answer.code ?? "INVALID" } }] }),
      stale: false,
      hasNext: false,
    };
  }
  return { operation: op, data: answer.data, error: undefined, stale: false, hasNext: false };
}

/** A client whose queries and mutations are answered from `answers`; subscriptions stay silent. */
export function fakeClient(answers: Answers) {
  const answer = (op: Operation) => {
    const name = operationName(op);
    const a = answers[name];
    if (!a) throw new Error(`no answer for ${name}`);
    // like the real client, a query's source stays open after its result (urql clears an error on its end)
    return concat([fromValue(result(op, typeof a === "function" ? a(op.variables as Record<string, unknown>) : a)), never]);
  };
  const client = {
    executeQuery: vi.fn(answer),
    executeMutation: vi.fn(answer),
    executeSubscription: vi.fn(() => never),
  };
  return {
    client: client as unknown as Client,
    /** The variables of every call of the operation `name`, in order. */
    calls: (name: string) =>
      [...client.executeQuery.mock.calls, ...client.executeMutation.mock.calls]
        .map(([op]) => op as Operation)
        .filter((op) => operationName(op) === name)
        .map((op) => op.variables as Record<string, unknown>),
  };
}

export function project(role: ProjectRole, targetNamespaces = ["demo"]): ProjectItem {
  return { name: "demo", displayName: "Demo", description: "", namespace: "demo-chaos", myRole: role, targetNamespaces, members: [] };
}

/** Renders `element` at `path` under /projects/demo/…, with stand-ins for the pages it navigates to. */
export function renderInProject(element: ReactNode, route: string, path: string, client: Client, info: ProjectItem) {
  return render(
    <Provider value={client}>
      <MemoryRouter initialEntries={[path]}>
        <ProjectProvider name="demo" project={info}>
          <Routes>
            <Route path={route} element={element} />
            {route !== "/projects/demo/workflows" && <Route path="/projects/demo/workflows" element={<p>The workflows list</p>} />}
            <Route path="/projects/demo/runs/:run" element={<RunStandIn />} />
          </Routes>
        </ProjectProvider>
      </MemoryRouter>
    </Provider>,
  );
}

function RunStandIn() {
  return <p>The run page of {useParams().run}</p>;
}
