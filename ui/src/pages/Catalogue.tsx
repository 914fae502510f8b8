// The hubs' catalogue: templates by category with search, what ChaosCenter can run and why not, and
// "Create workflow" that opens the workflow form prefilled with the template's workflow.
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useClient, useQuery } from "urql";
import { errorMessage } from "../api/client";
import { Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import { HubListDocument, TemplateDocument, TemplatesDocument } from "../hub/api";
import { useProject } from "../project";
import type { ChaosWorkflowSpec } from "../workflow/types";
import type { WorkflowSeed } from "./WorkflowEditor";

export function Catalogue() {
  const { name: project, canEdit } = useProject();
  const navigate = useNavigate();
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const hub = params.get("hub") || null;
  const category = params.get("category") || null;
  const [search, setSearch] = useState(params.get("search") ?? "");
  const [{ data: hubs }] = useQuery({ query: HubListDocument, variables: { project } });
  const [{ data, fetching, error }] = useQuery({
    query: TemplatesDocument,
    variables: { project, hub, category, search: params.get("search") || null },
  });
  const [openError, setOpenError] = useState<string | null>(null);
  const [opening, setOpening] = useState<string | null>(null);

  function set(key: string, value: string | null) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }

  /** Loads the template's workflow and opens the form with it. */
  async function createFrom(id: string, name: string) {
    setOpenError(null);
    setOpening(id);
    const result = await client.query(TemplateDocument, { project, id }, { requestPolicy: "network-only" }).toPromise();
    setOpening(null);
    const workflow = result.data?.template.workflow as ChaosWorkflowSpec | null | undefined;
    if (result.error || !workflow) {
      setOpenError(`Could not open ${name}: ${result.error ? errorMessage(result.error) : "it has no workflow"}`);
      return;
    }
    const seed: WorkflowSeed = { name, spec: workflow, from: id };
    navigate(`/projects/${project}/workflows/new`, { state: { seed } });
  }

  const page = data?.templates;
  return (
    <>
      <PageHeader title="Catalogue" />
      <form
        className="catalogue-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set("search", search.trim() || null);
        }}
      >
        <label>
          Hub{" "}
          <select value={hub ?? ""} onChange={(e) => set("hub", e.target.value || null)}>
            <option value="">All hubs</option>
            {(hubs?.hubs ?? []).map((h) => (
              <option key={h.name} value={h.name}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search{" "}
          <input type="search" value={search} maxLength={200} onChange={(e) => setSearch(e.target.value)} placeholder="name or description" />
        </label>
        <button type="submit">Search</button>
      </form>
      {page && page.categories.length > 0 && (
        <nav className="categories" aria-label="Categories">
          <button type="button" className={category ? "small" : "small primary"} aria-pressed={!category} onClick={() => set("category", null)}>
            All
          </button>
          {page.categories.map((c) => (
            <button
              key={c.category}
              type="button"
              className={category === c.category ? "small primary" : "small"}
              aria-pressed={category === c.category}
              onClick={() => set("category", c.category)}
            >
              {c.category || "uncategorised"} ({c.templates})
            </button>
          ))}
        </nav>
      )}
      {openError && <ErrorBox error={openError} />}
      {error && <ErrorBox error={error} title="Could not load the catalogue" />}
      {fetching && !data ? (
        <Loading what="the catalogue" />
      ) : page && page.items.length === 0 ? (
        <Empty>
          <p>No templates match.</p>
        </Empty>
      ) : (
        page && (
          <>
            <p className="muted" role="status">
              {page.total === page.items.length ? `${page.total} templates` : `Showing ${page.items.length} of ${page.total} templates`}
            </p>
            <ul className="template-list">
              {page.items.map((t) => (
                <li key={t.id} className="card template" aria-labelledby={`template-${t.id}`}>
                  <h2 id={`template-${t.id}`}>{t.displayName || t.name}</h2>
                  <p className="muted">
                    <code>{t.name}</code> · {t.category || "uncategorised"} · hub {t.hub}
                  </p>
                  {t.description && <p>{t.description}</p>}
                  {t.supported ? (
                    <span className="badge hub-good">Supported</span>
                  ) : (
                    <p>
                      <span className="badge hub-bad">Not supported</span> {t.reason}
                    </p>
                  )}
                  {canEdit && t.supported && (
                    <div className="actions">
                      <button
                        type="button"
                        className="primary small"
                        disabled={opening === t.id}
                        aria-label={`Create workflow from ${t.displayName || t.name}`}
                        onClick={() => void createFrom(t.id, t.name)}
                      >
                        Create workflow
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          </>
        )
      )}
    </>
  );
}
