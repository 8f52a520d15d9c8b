import { defineConfig } from "vitest/config";

// The page is served by the gateway at /console/ and built into ../dist,
// which the Go package embeds. `npm run dev` proxies the APIs to a gateway
// on 127.0.0.1:8080.
export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/v1": "http://127.0.0.1:8080", "/console/api": "http://127.0.0.1:8080" },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
