import { createRequire, syncBuiltinESMExports } from "node:module";

/**
 * Setup file of the `unit` project: unit tests run in process, so starting a
 * child process (the CLI, a server, moto_server, workerd, a shell, esbuild)
 * fails here instead of quietly making the unit run slow. Such a test is an
 * end-to-end test: test/setup/projects.ts files it under `e2e` when it imports
 * node:child_process, miniflare, esbuild or wrangler (directly or through a
 * test helper).
 */
const childProcess = createRequire(import.meta.url)("node:child_process") as Record<string, unknown>;
for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  childProcess[name] = () => {
    throw new Error(
      `a unit test called child_process.${name}: unit tests run no processes; import node:child_process (or a helper that does) in the test file so that it runs in the e2e project`,
    );
  };
}
syncBuiltinESMExports();
