// A small loading hook for REST reads: the data, the error, whether it is loading, and a reload.
import { useCallback, useEffect, useRef, useState } from "react";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (the old data stays shown meanwhile). */
  reload: () => void;
}

/** Calls `load` on mount (when `enabled`) and on each reload; answers that come after unmount are dropped. */
export function useRest<T>(load: () => Promise<T>, enabled = true): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(enabled);
  const [version, setVersion] = useState(0);
  // the newest `load`, without making every render a new load
  const latest = useRef(load);
  useEffect(() => {
    latest.current = load;
  });

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    setLoading(true);
    latest.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [enabled, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, loading, reload };
}
