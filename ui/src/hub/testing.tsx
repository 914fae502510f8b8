// Test helpers of the hub pages: a page rendered in project demo with stand-ins for the pages it opens (the
// workflow form shows the seed it was given).
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes, useLocation, useParams } from "react-router";
import { Provider, type Client } from "urql";
import { ProjectProvider, type ProjectItem } from "../project";

function FormStandIn() {
  const seed = (useLocation().state as { seed?: { name: string; spec: unknown; from?: string } } | null)?.seed;
  return (
    <div>
      <p>The new workflow form</p>
      {seed && <pre data-testid="seed">{JSON.stringify(seed)}</pre>}
    </div>
  );
}

function WorkflowStandIn() {
  return <p>The workflow page of {useParams().workflow}</p>;
}

export function renderHubPage(element: ReactNode, route: string, path: string, client: Client, info: ProjectItem) {
  return render(
    <Provider value={client}>
      <MemoryRouter initialEntries={[path]}>
        <ProjectProvider name="demo" project={info}>
          <Routes>
            <Route path={route} element={element} />
            <Route path="/projects/demo/workflows/new" element={<FormStandIn />} />
            <Route path="/projects/demo/workflows/:workflow" element={<WorkflowStandIn />} />
          </Routes>
        </ProjectProvider>
      </MemoryRouter>
    </Provider>,
  );
}
