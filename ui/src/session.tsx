// The session as React sees it: who is signed in, why the last session ended, and whether the session the
// cookie may hold is still being resumed (at a page load).
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { current, onSessionChange, resume, type EndReason, type Tokens } from "./api/session";

interface SessionState {
  session: Tokens | null;
  ended?: EndReason;
  /** True until the page load's attempt to resume the session has answered. */
  resuming?: boolean;
}

const SessionContext = createContext<SessionState>({ session: null });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(() => ({ session: current(), resuming: current() === null }));
  useEffect(() => {
    const off = onSessionChange((session, reason) => {
      setState({ session, ended: session ? undefined : reason });
    });
    if (current() === null) {
      void resume().then((session) => setState((s) => (s.resuming ? { session, resuming: false } : s)));
    }
    return off;
  }, []);
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}
