// Vitest set-up: React Testing Library's cleanup, a fresh localStorage and no session after each test.
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";
import { setSession } from "./api/session";

afterEach(() => {
  cleanup();
  localStorage.clear();
  setSession(null);
});
