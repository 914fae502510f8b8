// Vitest set-up: a fresh localStorage per test and React Testing Library's cleanup after each.
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => {
  cleanup();
  localStorage.clear();
});
