import { defineConfig } from "vite";

// The build goes into the Go package that embeds it (internal/dashboard).
// emptyOutDir is off: that folder also holds files the Go side commits.
export default defineConfig({
  base: "./",
  build: {
    outDir: "../internal/dashboard/dist",
    emptyOutDir: false,
    assetsDir: "assets",
    target: "es2020",
    chunkSizeWarningLimit: 800,
    // Fixed names: no stale hashed files pile up (emptyOutDir is off), and
    // the Go side can find the script and style to inline them (offline
    // graph mode of `stacklab graph --format html`).
    rollupOptions: {
      output: {
        entryFileNames: "assets/app.js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/app[extname]",
      },
    },
  },
  // npm run dev: the page with hot reload; /v1 goes to a control API
  // (STACKLAB_CONTROL, or the mock of npm run mock).
  server: {
    proxy: { "/v1": (globalThis as any).process?.env?.STACKLAB_CONTROL || "http://127.0.0.1:8787" },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
} as any);
