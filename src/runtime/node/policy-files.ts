import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { PolicySource } from "../../policy/parse-policy.js";

/**
 * Finds and reads policy files (Node only). A directory is searched the way a
 * project is laid out: `safeclaw.config.yaml`, `safeclaw.policy.yaml`,
 * `safeclaw.yaml`, then `.safeclaw/policies/*.yaml`; a directory holding none
 * of those but holding YAML/JSON files (a ConfigMap mount, a policies folder)
 * is read whole, in file-name order.
 */
export const PROJECT_FILES = ["safeclaw.config.yaml", "safeclaw.policy.yaml", "safeclaw.yaml", "safeclaw.config.json"];
const POLICY_EXT = /\.(ya?ml|json)$/i;

export class PolicyFilesError extends Error {}

export function findPolicyFiles(target: string): string[] {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new PolicyFilesError(`${target}: no such file or directory`);
  }
  if (st.isFile()) return [target];
  for (const name of PROJECT_FILES) {
    const p = join(target, name);
    if (isFile(p)) return [p];
  }
  const nested = join(target, ".safeclaw", "policies");
  const fromNested = yamlFilesIn(nested);
  if (fromNested.length > 0) return fromNested;
  const direct = yamlFilesIn(target);
  if (direct.length > 0) return direct;
  throw new PolicyFilesError(`${target}: no policy found (looked for ${PROJECT_FILES.join(", ")}, .safeclaw/policies/*.yaml, *.yaml)`);
}

export function readPolicySources(targets: readonly string[], cwd = process.cwd()): PolicySource[] {
  const files = targets.flatMap((t) => findPolicyFiles(t));
  return files.map((f) => ({ name: displayName(f, cwd), text: readFileSync(f, "utf8") }));
}

function yamlFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => POLICY_EXT.test(n) && !n.startsWith("."))
    .sort()
    .map((n) => join(dir, n))
    .filter(isFile);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}
