import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBundle } from "../policy/bundle.js";
import { formatPolicyError } from "../policy/errors.js";
import { parsePolicy } from "../policy/load.js";
import { readPolicySources } from "../node/policy-files.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";

export const BUILD_HELP = `usage: safeclaw build --policy <file|dir> --out <dir>

Validates the policy and writes <dir>/policy-bundle.json: the normalized policy,
its sha256 digest, its source files and the build time. The Lambda, Fly and
Workers builds import it, so no file system is needed at run time. The same
policy always gives the same digest.

exit: 0 built, 1 invalid policy`;

export async function buildCommand(policy: string[], out: string | undefined, io: Io): Promise<number> {
  if (!out) throw new CliExit(EXIT.usage, "safeclaw build: --out <dir> is required");
  const p = parsePolicy(readPolicySources(policy.length ? policy : ["."]));
  for (const w of p.warnings) io.stderr(formatPolicyError(w));
  if (!p.ok) {
    for (const e of p.errors) io.stderr(formatPolicyError(e));
    throw new CliExit(EXIT.invalid, "safeclaw build: policy is invalid; no bundle written");
  }
  const bundle = await makeBundle(p.ir, new Date().toISOString());
  mkdirSync(out, { recursive: true });
  const file = join(out, "policy-bundle.json");
  writeFileSync(file, JSON.stringify(bundle, null, 1) + "\n");
  io.stdout(`wrote ${file}: ${bundle.digest} (${p.ir.rules.length} rules)`);
  return EXIT.ok;
}
