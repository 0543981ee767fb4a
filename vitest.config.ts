import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { e2eTestFiles } from "./test/setup/projects.js";

// unit: in process, no child processes (`npm run test:unit`); e2e: processes, moto_server,
// workerd, shells, with dist/ and the policy bundle built first (`npm run test:e2e`).
const E2E = e2eTestFiles(fileURLToPath(new URL(".", import.meta.url)));

export default defineConfig({
  test: {
    benchmark: { include: ["test/bench/**/*.bench.ts"] },
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: E2E, setupFiles: ["test/setup/no-processes.ts"] } },
      { extends: true, test: { name: "e2e", include: E2E, globalSetup: ["test/setup/build-once.ts"] } },
    ],
  },
});
