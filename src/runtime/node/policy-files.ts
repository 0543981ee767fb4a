import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import type { PolicySource } from "../../policy/parse-policy.js";
import { editDistance } from "../../policy/suggest.js";

/**
 * Finds and reads policy files (Node only). A file named explicitly is read
 * whatever its name. A directory is searched the way a project is laid out:
 * `safeclaw.config.yaml`, `safeclaw.policy.yaml`, `safeclaw.yaml`,
 * `safeclaw.config.json`, then every file in `.safeclaw/policies/`; a
 * directory with none of those (a ConfigMap mount, a policies folder) gives
 * its YAML/JSON files that look like a policy, in file-name order.
 *
 * "Looks like a policy" is deliberately generous: a top-level `rules`,
 * `defaultAction`, `default`, `audit` or `cwd` key or a misspelling of one
 * (`rule:`, `Rules:`, `default_action:`: the validator then says "did you
 * mean"), `version: 1`, a ConfigMap with a .yaml / .yml / .json data key, or
 * a file that does not even parse. A policy file left out could drop a deny
 * rule, while a stray file read in only fails validation loudly. Files that
 * are never policies (package manifests, lock files, compiler configs) are
 * skipped by name first, so `safeclaw validate` in a Node project does not
 * read package.json.
 */
export const PROJECT_FILES = ["safeclaw.config.yaml", "safeclaw.policy.yaml", "safeclaw.yaml", "safeclaw.config.json"];
const POLICY_EXT = /\.(ya?ml|json)$/i;
const NEVER_POLICIES =
  /^(package\.json|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|pnpm-workspace\.yaml|composer\.json|(ts|js)config(\..+)?\.json|tslint\.json|deno\.jsonc?)$/i;
const POLICY_KEYS = ["rules", "defaultAction", "default", "audit", "cwd"];
const LOOKS_LIKE = "a top-level `rules`, `defaultAction`, `audit` or `cwd` key (or a misspelling of one), `version: 1`, or a ConfigMap with policy files";

export class PolicyFilesError extends Error {}

export interface IgnoredFile {
  file: string;
  why: string;
}

export interface FoundPolicyFiles {
  files: string[];
  /** YAML/JSON files of a scanned directory that were not read, and why */
  ignored: IgnoredFile[];
}

export function discoverPolicyFiles(target: string): FoundPolicyFiles {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new PolicyFilesError(`${target}: no such file or directory`);
  }
  if (st.isFile()) return { files: [target], ignored: [] };
  // A folder made for policies: everything in it is read, so nothing in it can be skipped by mistake.
  const fromNested = policyExtFilesIn(join(target, ".safeclaw", "policies"));
  const projectFiles = PROJECT_FILES.map((name) => join(target, name)).filter(isFile);
  // Two places that each say "this is the policy" (safeclaw.yaml next to safeclaw.config.yaml,
  // or next to .safeclaw/policies/): reading one would drop the other's deny rules unseen.
  const candidates = [...projectFiles, ...(fromNested.length > 0 ? [join(target, ".safeclaw", "policies") + "/"] : [])];
  if (candidates.length > 1) {
    throw new PolicyFilesError(
      `${target}: more than one policy: ${candidates.map((c) => relative(target, c) || c).join(", ")}. Each would be read alone, dropping the other's rules; keep one (move the rules of the other into .safeclaw/policies/ or into it), or name the files to read`,
    );
  }
  if (projectFiles.length === 1) return { files: projectFiles, ignored: [] };
  if (fromNested.length > 0) return { files: fromNested, ignored: [] };
  const found: FoundPolicyFiles = { files: [], ignored: [] };
  for (const file of policyExtFilesIn(target)) {
    const why = notAPolicy(file);
    if (why) found.ignored.push({ file, why });
    else found.files.push(file);
  }
  if (found.files.length > 0) return found;
  const ignored = found.ignored.length ? `; ignored ${found.ignored.map((i) => `${i.file.slice(i.file.lastIndexOf("/") + 1)} (${i.why})`).join(", ")}` : "";
  throw new PolicyFilesError(
    `${target}: no policy found. Looked for ${PROJECT_FILES.join(", ")}, .safeclaw/policies/, then *.yaml / *.yml / *.json files with ${LOOKS_LIKE}${ignored}. ` +
      "Write one with `safeclaw init`, or name the policy file or directory",
  );
}

/** The files a target names (see discoverPolicyFiles), without the ones it ignored. */
export function findPolicyFiles(target: string): string[] {
  return discoverPolicyFiles(target).files;
}

/** Reads the policy files of every target; `onIgnored` hears about files a directory scan skipped. */
export function readPolicySources(targets: readonly string[], cwd = process.cwd(), onIgnored?: (note: string) => void): PolicySource[] {
  const files = targets.flatMap((t) => {
    const found = discoverPolicyFiles(t);
    for (const i of found.ignored) onIgnored?.(`ignored ${displayName(i.file, cwd)}: ${i.why}`);
    return found.files;
  });
  return files.map((f) => ({ name: displayName(f, cwd), text: readFileSync(f, "utf8") }));
}

/** Why a YAML/JSON file found by a directory scan is not read as a policy, or undefined when it is. */
function notAPolicy(file: string): string | undefined {
  const base = file.slice(file.lastIndexOf("/") + 1);
  if (NEVER_POLICIES.test(base)) return "a package, lock or tool config file";
  try {
    const parsed = parseAllDocuments(readFileSync(file, "utf8"));
    const docs = Array.isArray(parsed) ? parsed : [parsed];
    // A file that does not parse may be a broken policy: read it, so that its errors are reported.
    if (docs.some((d) => d.errors.length > 0)) return undefined;
    return docs.some((d) => looksLikePolicy(d.toJS({ maxAliasCount: 100 }))) ? undefined : "no policy keys";
  } catch {
    return undefined;
  }
}

function looksLikePolicy(value: unknown): boolean {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const top = value as Record<string, unknown>;
  if (Object.keys(top).some(isPolicyKeyOrTypo)) return true;
  if (top.version === 1 || top.version === "1" || top.version === "1.0") return true;
  const data = top.data;
  return top.kind === "ConfigMap" && !!data && typeof data === "object" && Object.keys(data).some((k) => POLICY_EXT.test(k));
}

/** A policy key, or one edit away from it (two for the long `defaultAction`), case aside. */
function isPolicyKeyOrTypo(key: string): boolean {
  return POLICY_KEYS.some((k) => editDistance(key.toLowerCase(), k.toLowerCase()) <= (k.length > 5 ? 2 : 1));
}

function policyExtFilesIn(dir: string): string[] {
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
