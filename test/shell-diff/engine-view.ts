import { createEngine, loadPolicy, normalizeRequest } from "../../src/index.js";
import { accepts } from "../../src/match/automaton.js";
import { pathTemplateNfa } from "../../src/match/path-template.js";
import { templateNfa } from "../../src/match/template-nfa.js";
import { isConcrete, type Template } from "../../src/match/template.js";

/**
 * The engine's reading of a command line, through the package's front door
 * only (the engine's internals are being reorganised): the subjects that
 * `normalizeRequest` makes of a `shell.execute` request, or its refusal.
 * This is the one file of the harness that knows the engine's API.
 */
export type EngineView =
  | { refused: true; reason: string }
  | {
      refused: false;
      commands: string[];
      reads: string[];
      writes: string[];
      deletes: string[];
      hosts?: string[];
      keys?: string[];
      /** subjects only partly known before the line runs: the sets of strings the engine decided them as */
      templates?: { commands: Template[]; reads: Template[]; writes: Template[]; deletes: Template[] };
      /** the line reads every environment variable */
      anyKey?: boolean;
    };

/** The engine's trusted command directories (src/shell/command-checks.ts): `/usr/bin/git` is the command `git`. */
const TRUSTED = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function engineView(command: string, cwd: string): EngineView {
  const r = normalizeRequest({ action: "shell.execute", command, cwd });
  if (!r.ok) return { refused: true, reason: r.reason };
  const view = {
    refused: false as const,
    commands: [] as string[],
    reads: [] as string[],
    writes: [] as string[],
    deletes: [] as string[],
    hosts: [] as string[],
    keys: [] as string[],
  };
  const templates = { commands: [] as Template[], reads: [] as Template[], writes: [] as Template[], deletes: [] as Template[] };
  const spellings: string[] = [];
  let anyKey = false; // `env`, `printenv`: every variable
  for (const s of r.request.subjects) {
    const tc = s.templates?.command;
    const tp = s.templates?.path;
    if (s.action === "shell.execute" && tc && !isConcrete(tc)) {
      templates.commands.push(tc);
      if (typeof tc[0] === "string" && /^[^\s/]/.test(tc[0])) for (const d of TRUSTED) templates.commands.push([`${d}/`, ...tc]);
    } else if (tp && !isConcrete(tp) && (s.action === "file.read" || s.action === "file.write" || s.action === "file.delete")) {
      templates[s.action === "file.read" ? "reads" : s.action === "file.write" ? "writes" : "deletes"].push(tp);
    } else if (s.action === "shell.execute" && s.command !== undefined) {
      view.commands.push(s.command);
      if (/^[^\s/]/.test(s.command)) spellings.push(...TRUSTED.map((d) => `${d}/${s.command}`));
    } else if (s.action === "network.request" && s.host !== undefined) view.hosts.push(s.host);
    else if (s.action === "env.read" && s.templates?.key && !isConcrete(s.templates.key)) anyKey = true;
    else if (s.action === "env.read" && s.key !== undefined) view.keys.push(s.key);
    else if (s.action === "file.read" && s.path !== undefined) view.reads.push(s.path);
    else if (s.action === "file.write" && s.path !== undefined) view.writes.push(s.path);
    else if (s.action === "file.delete" && s.path !== undefined) view.deletes.push(s.path);
  }
  // a shell running /usr/bin/git runs the command the engine checked as `git`
  view.commands.push(...spellings);
  return { ...view, templates, ...(anyKey ? { anyKey } : {}) };
}

/** Some command subject of the engine stands for `text` (exactly, or as one value of a template). */
export function coversCommand(view: EngineView & { refused: false }, text: string): boolean {
  return view.commands.includes(text) || (view.templates?.commands ?? []).some((t) => accepts(templateNfa(t), text));
}

/** Some file subject of the engine with this access stands for `path` (exactly, or as one value of a path template). */
export function coversFile(view: EngineView & { refused: false }, access: "reads" | "writes", path: string): boolean {
  return view[access].includes(path) || (view.templates?.[access] ?? []).some((t) => accepts(pathTemplateNfa(t), path));
}

/** A command template as a policy wildcard that every value of the template matches: literal text escaped, holes `*`. */
function wildcardOf(t: Template): string {
  return t.map((p) => (typeof p === "string" ? p.replace(/[*?[\]{}\\]/g, "\\$&") : "*")).join("");
}

/**
 * The engine's decision on the line under a policy that allows exactly its
 * own subjects (`eq`/`in` tests, no patterns) and denies everything else.
 * Anything but `allow` means the engine's subjects and its matching disagree.
 */
export async function allowsOwnSubjects(command: string, cwd: string, view: EngineView & { refused: false }): Promise<{ decision: string; reason: string }> {
  const rules: unknown[] = [];
  const list = (xs: string[]) => [...new Set(xs)];
  if (view.commands.length) rules.push({ action: "shell.execute", command: { in: list(view.commands) }, effect: "allow" });
  const t = view.templates;
  if (t?.commands.length) rules.push({ action: "shell.execute", command: list(t.commands.map(wildcardOf)), effect: "allow" });
  for (const [action, paths] of [
    ["file.read", view.reads],
    ["file.write", view.writes],
    ["file.delete", view.deletes],
  ] as const) {
    if (paths.length) rules.push({ action, path: { in: list(paths) }, effect: "allow" });
  }
  // a path only known at run time may resolve anywhere (an `any` hole, `..` after a glob): the own-subjects policy allows any path for it
  for (const [action, ts] of [
    ["file.read", t?.reads],
    ["file.write", t?.writes],
    ["file.delete", t?.deletes],
  ] as const) {
    if (ts?.length) rules.push({ action, path: "/**", effect: "allow" });
  }
  if (view.hosts?.length) rules.push({ action: "network.request", host: { in: list(view.hosts) }, effect: "allow" });
  if (view.keys?.length) rules.push({ action: "env.read", key: { in: list(view.keys) }, effect: "allow" });
  if (view.anyKey) rules.push({ action: "env.read", key: "*", effect: "allow" });
  // JSON is YAML: no quoting questions for odd bytes in commands
  const text = JSON.stringify({ version: 1, defaultAction: "deny", rules });
  const loaded = await loadPolicy([{ name: "own-subjects.json", text }]);
  if (!loaded.ok) return { decision: "policy-error", reason: loaded.errors.map((e) => e.message).join("; ") };
  const d = createEngine(loaded.policy).check({ action: "shell.execute", command, cwd });
  return { decision: d.decision, reason: d.reason ?? "" };
}
