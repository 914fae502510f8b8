// Vite: builds the UI into dist/ (served by the apiserver); `npm run dev` proxies the API to a local
// apiserver (CHAOSCENTER_API, default the one `make up` starts). Vitest runs the unit tests in jsdom.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

const api = process.env.CHAOSCENTER_API ?? "http://127.0.0.1:8090";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      "/auth": api,
      "/api": { target: api, ws: true },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
  },
});
