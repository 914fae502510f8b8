// The session as React sees it: who is signed in, and why the last session ended.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { current, onSessionChange, type EndReason, type Tokens } from "./api/session";

interface SessionState {
  session: Tokens | null;
  ended?: EndReason;
}

const SessionContext = createContext<SessionState>({ session: null });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(() => ({ session: current() }));
  useEffect(
    () =>
      onSessionChange((session, reason) => {
        setState({ session, ended: session ? undefined : reason });
      }),
    [],
  );
  // another tab signing in or out
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === null || e.key === "chaoscenter.session") setState({ session: current() });
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, []);
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}
