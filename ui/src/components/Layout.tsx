// The frame of every signed-in page: the header with the project switcher, navigation and the user menu.
import { Suspense, useEffect, useState } from "react";
import { NavLink, Outlet, useNavigate, useParams } from "react-router";
import { logout } from "../api/session";
import { isAdmin } from "../lib/roles";
import { lastProject, ProjectProvider, rememberProject, useProjects } from "../project";
import { useSession } from "../session";
import { ErrorBox, Loading } from "./ui";

export function Layout() {
  const { session } = useSession();
  const { project } = useParams();
  const navigate = useNavigate();
  const [{ data, fetching, error }] = useProjects();
  const [menuOpen, setMenuOpen] = useState(false);
  const projects = data?.projects ?? [];
  const current = projects.find((p) => p.name === project);
  // outside a project's pages (Users, Account) the navigation keeps to the project last worked in
  const navProject = project ?? lastProject(projects);
  const admin = isAdmin(session?.user.role);

  useEffect(() => setMenuOpen(false), [project]);
  useEffect(() => {
    if (project && current) rememberProject(project);
  }, [project, current]);

  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="ChaosCenter home">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>ChaosCenter</span>
        </NavLink>
        <label className="switcher">
          <span className="visually-hidden">Project</span>
          <select
            aria-label="Project"
            value={navProject ?? ""}
            onChange={(e) => e.target.value && navigate(`/projects/${e.target.value}`)}
          >
            {!navProject && <option value="">Choose a project…</option>}
            {projects.map((p) => (
              <option key={p.name} value={p.name}>
                {p.displayName || p.name}
              </option>
            ))}
          </select>
        </label>
        {admin && (
          <NavLink to="/admin/projects/new" className="button small new-project" aria-label="New project" title="New project">
            <span aria-hidden="true">+</span>
          </NavLink>
        )}
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="primary-nav" className={menuOpen ? "nav open" : "nav"} aria-label="Main">
          {navProject && (
            <>
              <NavLink to={`/projects/${navProject}`} end>
                Dashboard
              </NavLink>
              <NavLink to={`/projects/${navProject}/workflows`}>Workflows</NavLink>
              <NavLink to={`/projects/${navProject}/runs`}>History</NavLink>
              <NavLink to={`/projects/${navProject}/hubs`}>Hubs</NavLink>
              <NavLink to={`/projects/${navProject}/members`}>Members</NavLink>
              <NavLink to={`/projects/${navProject}/activity`}>Activity</NavLink>
            </>
          )}
          {admin && <NavLink to="/admin/users">Users</NavLink>}
          <NavLink to="/account">Account</NavLink>
          <span className="who" aria-label="Signed in as">
            {session?.user.displayName || session?.user.username}
          </span>
          <button type="button" className="link" onClick={() => void logout()}>
            Sign out
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {error && <ErrorBox error={error} title="Could not load your projects" />}
        {project && fetching && !data ? (
          <Loading what="project" />
        ) : project && data && !current ? (
          <ErrorBox error={`There is no project "${project}" that you can see.`} />
        ) : project ? (
          <ProjectProvider name={project} project={current}>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </ProjectProvider>
        ) : (
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        )}
      </main>
    </div>
  );
}
