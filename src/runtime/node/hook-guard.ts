import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PolicySource } from "../../policy/parse-policy.js";
import { escapeGlob } from "../../match/path-parse.js";
import { PROJECT_FILES, discoverPolicyFiles } from "./policy-files.js";

/**
 * The files a hook's own enforcement rests on: the policy files it reads (and,
 * for a directory, every file whose creation would change what it reads), the
 * Claude Code settings that install the hook, and a file audit sink. An agent
 * allowed to write there could turn its own gate off for every later call
 * (`defaultAction: allow`, or a settings.json without the hook), so the hook
 * puts a deny for writing and deleting them before the user's rules. Reading
 * them stays with the policy.
 */
export interface HookGuardInput {
  /** the --policy targets, as given */
  policies: readonly string[];
  /** the directory Claude Code runs in ($CLAUDE_PROJECT_DIR, else the event's cwd) */
  projectDir?: string;
  /** the user's home directory, for ~/.claude/settings.json */
  home?: string;
  /** $CLAUDE_CONFIG_DIR: Claude Code's user settings directory when it is not ~/.claude */
  claudeConfigDir?: string;
  /** a file audit sink's path */
  auditFile?: string;
  /** the process's cwd, to resolve relative targets */
  cwd: string;
}

// dist/runtime/node/hook-guard.js (or src/runtime/node/hook-guard.ts) → the package root.
const PACKAGE_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export const HOOK_GUARD_RULE = "hook-protects-its-own-files";

/** Where Claude Code reads managed (enterprise) settings on Linux and macOS. */
const MANAGED_SETTINGS_DIRS = ["/etc/claude-code", "/Library/Application Support/ClaudeCode"];

/**
 * `[sS][aA]...`: the pattern in every letter case. macOS and Windows file systems are
 * case-insensitive by default, so `.Claude/settings.json` or `SAFECLAW.config.yaml` is
 * the guarded file there, whether or not the policy sets `paths.caseInsensitive`; on a
 * case-sensitive system this only also guards a few names nobody uses.
 */
function anyCase(pattern: string): string {
  let out = "";
  for (const c of pattern) {
    const lo = c.toLowerCase();
    const up = c.toUpperCase();
    out += lo !== up && [...lo].length === 1 && [...up].length === 1 ? `[${lo}${up}]` : c;
  }
  return out;
}

/** Glob patterns (absolute) for everything the hook must not let the agent change. */
export function hookProtectedPatterns(input: HookGuardInput): string[] {
  return [...new Set(casedPatterns(input).map(anyCase))];
}

function casedPatterns(input: HookGuardInput): string[] {
  const out: string[] = [];
  const exact = (p: string) => out.push(escapeGlob(p));
  for (const t of input.policies) {
    const target = resolve(input.cwd, t);
    const isDir = existsSync(target) && statSync(target).isDirectory();
    if (!isDir) {
      exact(target);
      continue;
    }
    // A directory target: the files read now, and every file whose creation changes what
    // discovery reads (a second project file, a new file in .safeclaw/policies/, a new
    // YAML file in a scanned folder). A new allow rule in a file that sorts first would win.
    for (const f of discoverPolicyFiles(target).files) exact(resolve(f));
    for (const name of PROJECT_FILES) exact(join(target, name));
    exact(join(target, ".safeclaw"));
    out.push(`${escapeGlob(join(target, ".safeclaw"))}/**`);
    out.push(`${escapeGlob(target)}/*.{yaml,yml,json}`);
  }
  // The settings command runs the project's node_modules/.bin/safeclaw: whoever can rewrite
  // that, or the code and dependencies it loads, runs instead of the gate.
  if (input.projectDir) {
    const modules = join(resolve(input.cwd, input.projectDir), "node_modules");
    exact(modules);
    out.push(`${escapeGlob(modules)}/**`);
  }
  // The copy of SafeClaw that is running now, wherever it is installed.
  for (const part of ["bin", "dist", "package.json"]) {
    const p = join(PACKAGE_ROOT, part);
    exact(p);
    if (part !== "package.json") out.push(`${escapeGlob(p)}/**`);
  }
  const claudeDirs = [input.projectDir, input.home].filter((d): d is string => !!d).map((d) => join(resolve(input.cwd, d), ".claude"));
  if (input.claudeConfigDir) claudeDirs.push(resolve(input.cwd, input.claudeConfigDir));
  for (const claude of claudeDirs) {
    exact(claude);
    out.push(`${escapeGlob(claude)}/settings*.json`);
  }
  // Managed settings take precedence over every other file and can install hooks or turn
  // them all off (`disableAllHooks`); an agent running as root can write them.
  for (const dir of MANAGED_SETTINGS_DIRS) {
    exact(dir);
    out.push(`${escapeGlob(dir)}/**`);
  }
  if (input.auditFile) {
    const trail = resolve(input.cwd, input.auditFile);
    exact(trail);
    // the file sink's rotations (`<path>.<UTC stamp>`): the older part of the same trail
    out.push(`${escapeGlob(trail)}.*`);
  }
  return out;
}

/**
 * A policy source (JSON, so that no path needs YAML quoting) to read before the
 * user's files; with `defaultAction: allow`, a policy of its own that a hook
 * asking a remote endpoint checks first (the endpoint's policy cannot know the
 * files on the agent's machine).
 */
export function hookGuardSource(input: HookGuardInput, defaultAction?: "allow"): PolicySource {
  const rule = {
    id: HOOK_GUARD_RULE,
    action: ["file.write", "file.delete"],
    effect: "deny",
    path: hookProtectedPatterns(input),
    reason: "SafeClaw's own policy, Claude Code settings, audit file and installed code are not changed by the agent it gates; edit them outside the session",
  };
  return { name: "<safeclaw hook guard>", text: JSON.stringify({ version: 1, ...(defaultAction ? { defaultAction } : {}), rules: [rule] }, null, 1) };
}
