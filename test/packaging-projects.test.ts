import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { e2eTestFiles } from "./setup/projects.js";

/**
 * The two vitest projects: a test file that runs processes is filed under e2e
 * by what it imports (directly or through a helper such as test/moto.ts), and
 * the unit project refuses to start a process at all. (This file is itself a
 * unit test, so the second check runs under the unit project's setup.)
 */
const E2E = e2eTestFiles(new URL("../", import.meta.url).pathname);

describe("unit and e2e projects", () => {
  it.each([
    ["test/cli.test.ts", "e2e", "spawns the CLI"],
    ["test/cross-runtime.test.ts", "e2e", "runs workerd through Miniflare"],
    ["test/platform-neutral.test.ts", "e2e", "runs esbuild"],
    ["test/audit-s3.test.ts", "e2e", "starts moto_server through test/moto.ts"],
    ["test/evaluate.test.ts", "unit", "calls the engine in process"],
    ["test/architecture.test.ts", "unit", "reads src/ only (it names build/policy-bundle.js only as an import to allow)"],
    ["test/packaging-bundle.test.ts", "unit", "loads bundles in process"],
  ])("%s is %s: it %s", (file, project) => {
    expect(E2E.includes(file) ? "e2e" : "unit").toBe(project);
  });

  it("a unit test that starts a process fails and says where it belongs", () => {
    const processes = createRequire(import.meta.url)(["node:child", "process"].join("_")) as { spawnSync(command: string, args: string[]): unknown };
    expect(() => processes.spawnSync(process.execPath, ["--version"])).toThrow(/unit tests run no processes.*e2e project/);
  });
});
