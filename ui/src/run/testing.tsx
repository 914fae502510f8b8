// Test helpers for the run pages: an urql client whose network answers from per-operation handlers (and
// subscriptions the test pushes to), a page rendered inside a project and a router, and jsdom layout stubs.
import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { Client, getOperationName, makeErrorResult, makeResult, Provider, type Exchange, type Operation } from "urql";
import { filter, fromValue, makeSubject, map, mergeMap, pipe, type Subject } from "wonka";
import type { ProjectRole } from "../api/session";
import { ProjectProvider, type ProjectItem } from "../project";

/** What the server answers: data, or GraphQL errors (with an optional `extensions.code`). */
export interface MockAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code: string } }[];
}

export type Handler = (variables: Record<string, unknown>) => MockAnswer;

export interface MockCall {
  name: string;
  kind: string;
  variables: Record<string, unknown>;
}

export interface MockNetwork {
  client: Client;
  calls: MockCall[];
  /** Operations of `name` seen so far. */
  callsOf(name: string): MockCall[];
  /** Sends a message on every open subscription named `name`. */
  push(name: string, data: Record<string, unknown>): void;
}

export function mockNetwork(handlers: Record<string, Handler>): MockNetwork {
  const calls: MockCall[] = [];
  const subjects = new Map<string, Subject<Record<string, unknown>>>();
  const subject = (name: string) => {
    let s = subjects.get(name);
    if (!s) subjects.set(name, (s = makeSubject<Record<string, unknown>>()));
    return s;
  };
  const exchange: Exchange = () => (ops$) =>
    pipe(
      ops$,
      filter((op: Operation) => op.kind !== "teardown"),
      mergeMap((op: Operation) => {
        const name = getOperationName(op.query) ?? "";
        const variables = (op.variables ?? {}) as Record<string, unknown>;
        calls.push({ name, kind: op.kind, variables });
        if (op.kind === "subscription") {
          return pipe(
            subject(name).source,
            map((data) => makeResult(op, { data })),
          );
        }
        const handler = handlers[name];
        if (!handler) return fromValue(makeErrorResult(op, new Error(`no mock answer for ${name}`)));
        return fromValue(makeResult(op, handler(variables)));
      }),
    );
  const client = new Client({ url: "http://test/graphql", exchanges: [exchange] });
  return {
    client,
    calls,
    callsOf: (name) => calls.filter((c) => c.name === name),
    push: (name, data) => subject(name).next(data),
  };
}

export function testProject(myRole: ProjectRole | null): ProjectItem {
  return {
    name: "demo",
    displayName: "Demo",
    description: "",
    namespace: "demo-chaos",
    myRole,
    targetNamespaces: ["demo"],
    members: [],
  };
}

/** Shows the current URL's search, for assertions on URL state. */
function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

export function renderPage(
  page: ReactNode,
  { path, url, network, role = "Editor" }: { path: string; url: string; network: MockNetwork; role?: ProjectRole | null },
) {
  return render(
    <Provider value={network.client}>
      <MemoryRouter initialEntries={[url]}>
        <ProjectProvider name="demo" project={testProject(role)}>
          <Routes>
            <Route path={path} element={page} />
          </Routes>
          <LocationProbe />
        </ProjectProvider>
      </MemoryRouter>
    </Provider>,
  );
}

/** jsdom has no layout: the browser APIs React Flow and recharts measure with, as no-ops. */
export function installLayoutStubs() {
  class ResizeObserverStub {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  class DOMMatrixStub {
    m22 = 1;
    constructor(_transform?: string) {}
  }
  const g = globalThis as Record<string, unknown>;
  g.ResizeObserver ??= ResizeObserverStub;
  g.DOMMatrixReadOnly ??= DOMMatrixStub;
}
