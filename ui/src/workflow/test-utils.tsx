// Test helpers of the workflow pages: a fake GraphQL client by operation name, a render in a project route.
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import type { DocumentNode } from "graphql";
import {
  CombinedError,
  createRequest,
  Provider,
  type AnyVariables,
  type Client,
  type GraphQLRequest,
  type Operation,
  type OperationResult,
} from "urql";
import { vi } from "vitest";
import { concat, fromPromise, fromValue, never, pipe, take, toPromise } from "wonka";
import type { ProjectRole } from "../gql/graphql";
import { ProjectProvider, type ProjectItem } from "../project";

/** An answer: data, or the message of a GraphQL error (with its code and any other extensions). */
export type Answer = { data: unknown } | { error: string; code?: string; extensions?: Record<string, unknown> };
/** An answer, or a function of the variables giving one (now, or later as a promise). */
export type Answers = Record<string, Answer | ((variables: Record<string, unknown>) => Answer | Promise<Answer>)>;

export function operationName(op: Pick<Operation, "query">): string {
  const def = op.query.definitions[0];
  return def.kind === "OperationDefinition" ? (def.name?.value ?? "") : "";
}

function result(op: GraphQLRequest, answer: Answer): OperationResult {
  const operation = op as Operation;
  if ("error" in answer) {
    const extensions = { code: answer.code ?? "INVALID", ...answer.extensions };
    return {
      operation,
      data: undefined,
      error: new CombinedError({ graphQLErrors: [{ message: answer.error, extensions }] }),
      stale: false,
      hasNext: false,
    };
  }
  return { operation, data: answer.data, error: undefined, stale: false, hasNext: false };
}

/**
 * A client whose queries and mutations (`useQuery`, `useMutation`, `client.query(...).toPromise()`) are
 * answered from `answers`; subscriptions stay silent.
 */
export function fakeClient(answers: Answers) {
  const seen: { name: string; variables: Record<string, unknown> }[] = [];
  const answer = (op: GraphQLRequest) => {
    const name = operationName(op);
    const a = answers[name];
    if (!a) throw new Error(`no answer for ${name}`);
    const variables = (op.variables ?? {}) as Record<string, unknown>;
    seen.push({ name, variables });
    const given = typeof a === "function" ? a(variables) : a;
    const first = given instanceof Promise ? fromPromise(given.then((g) => result(op, g))) : fromValue(result(op, given));
    // like the real client, a query's source stays open after its result (urql clears an error on its end)
    return concat([first, never]);
  };
  const client = {
    executeQuery: vi.fn(answer),
    executeMutation: vi.fn(answer),
    executeSubscription: vi.fn(() => never),
    query: vi.fn((query: DocumentNode, variables?: AnyVariables) => {
      const source = answer(createRequest(query, variables));
      return Object.assign(source, { toPromise: () => pipe(source, take(1), toPromise) });
    }),
  };
  return {
    client: client as unknown as Client,
    /** The variables of every call of the operation `name`, in order. */
    calls: (name: string) => seen.filter((c) => c.name === name).map((c) => c.variables),
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
