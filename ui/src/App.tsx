// The routes: sign-in pages for everyone, the rest only with a session (and a changed password).
import { lazy, useMemo, type ComponentType, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { Provider } from "urql";
import { makeClient } from "./api/client";
import { Layout } from "./components/Layout";
import { Loading } from "./components/ui";
import { ForcedPassword } from "./pages/ForcedPassword";
import { Home } from "./pages/Home";
import { Login } from "./pages/Login";
import { NotFound } from "./pages/NotFound";
import { SessionProvider, useSession } from "./session";

// pages load when first visited (the layout shows "Loading" meanwhile): the run view's graph library and
// the charts stay out of the first load
const page = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] })));
const Account = page(() => import("./pages/Account"), "Account");
const Activity = page(() => import("./pages/Activity"), "Activity");
const Dashboard = page(() => import("./pages/Dashboard"), "Dashboard");
const Catalogue = page(() => import("./pages/Catalogue"), "Catalogue");
const History = page(() => import("./pages/History"), "History");
const Hubs = page(() => import("./pages/Hubs"), "Hubs");
const Import = page(() => import("./pages/Import"), "Import");
const Members = page(() => import("./pages/Members"), "Members");
const NewProject = page(() => import("./pages/NewProject"), "NewProject");
const RunView = page(() => import("./pages/RunView"), "RunView");
const Users = page(() => import("./pages/Users"), "Users");
const WorkflowEditor = page(() => import("./pages/WorkflowEditor"), "WorkflowEditor");
const Workflows = page(() => import("./pages/Workflows"), "Workflows");

/**
 * Signed-in pages: while a page load resumes the session, a wait; without a session, to /login (and back
 * afterwards); with a password to change, to /password.
 */
function RequireSession({ children, allowPasswordChange }: { children: ReactNode; allowPasswordChange?: boolean }) {
  const { session, resuming } = useSession();
  const location = useLocation();
  if (!session && resuming) return <Loading what="your session" />;
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (session.mustChangePassword && !allowPasswordChange) return <Navigate to="/password" replace />;
  return <>{children}</>;
}

function SignedIn() {
  const { session } = useSession();
  const username = session?.user.username;
  // one client per user, made anew when the user changes: nothing cached crosses from one user to the next
  const client = useMemo(() => makeClient(), [username]);
  return (
    <Provider value={client}>
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<Home />} />
          <Route path="projects/:project">
            <Route index element={<Dashboard />} />
            <Route path="workflows" element={<Workflows />} />
            <Route path="workflows/new" element={<WorkflowEditor />} />
            <Route path="workflows/:workflow" element={<WorkflowEditor />} />
            <Route path="runs" element={<History />} />
            <Route path="runs/:run" element={<RunView />} />
            <Route path="hubs" element={<Hubs />} />
            <Route path="hubs/catalogue" element={<Catalogue />} />
            <Route path="import" element={<Import />} />
            <Route path="members" element={<Members />} />
            <Route path="activity" element={<Activity />} />
          </Route>
          <Route path="admin/users" element={<Users />} />
          <Route path="admin/projects/new" element={<NewProject />} />
          <Route path="account" element={<Account />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Provider>
  );
}

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route
            path="/password"
            element={
              <RequireSession allowPasswordChange>
                <ForcedPassword />
              </RequireSession>
            }
          />
          <Route
            path="/*"
            element={
              <RequireSession>
                <SignedIn />
              </RequireSession>
            }
          />
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  );
}
