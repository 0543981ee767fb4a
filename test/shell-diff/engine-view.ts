import { createEngine, loadPolicy, normalizeRequest } from "../../src/index.js";

/**
 * The engine's reading of a command line, through the package's front door
 * only (the engine's internals are being reorganised): the subjects that
 * `normalizeRequest` makes of a `shell.execute` request, or its refusal.
 * This is the one file of the harness that knows the engine's API.
 */
export type EngineView =
  | { refused: true; reason: string }
  | { refused: false; commands: string[]; reads: string[]; writes: string[]; deletes: string[]; hosts?: string[]; keys?: string[] };

/** The engine's trusted command directories (src/shell/command-checks.ts): `/usr/bin/git` is the command `git`. */
const TRUSTED = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function engineView(command: string, cwd: string): EngineView {
  const r = normalizeRequest({ action: "shell.execute", command, cwd });
  if (!r.ok) return { refused: true, reason: r.reason };
  // part of the line is only known at run time and not decided: the engine denies it
  if (r.request.uncertain !== undefined) return { refused: true, reason: r.request.uncertain };
  const view = { refused: false as const, commands: [] as string[], reads: [] as string[], writes: [] as string[], deletes: [] as string[], hosts: [] as string[], keys: [] as string[] };
  const spellings: string[] = [];
  for (const s of r.request.subjects) {
    if (s.action === "shell.execute" && s.command !== undefined) {
      view.commands.push(s.command);
      if (/^[^\s/]/.test(s.command)) spellings.push(...TRUSTED.map((d) => `${d}/${s.command}`));
    } else if (s.action === "network.request" && s.host !== undefined) view.hosts.push(s.host);
    else if (s.action === "env.read" && s.key !== undefined) view.keys.push(s.key);
    else if (s.action === "file.read" && s.path !== undefined) view.reads.push(s.path);
    else if (s.action === "file.write" && s.path !== undefined) view.writes.push(s.path);
    else if (s.action === "file.delete" && s.path !== undefined) view.deletes.push(s.path);
  }
  // a shell running /usr/bin/git runs the command the engine checked as `git`
  view.commands.push(...spellings);
  return view;
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
  for (const [action, paths] of [["file.read", view.reads], ["file.write", view.writes], ["file.delete", view.deletes]] as const) {
    if (paths.length) rules.push({ action, path: { in: list(paths) }, effect: "allow" });
  }
  if (view.hosts?.length) rules.push({ action: "network.request", host: { in: list(view.hosts) }, effect: "allow" });
  if (view.keys?.length) rules.push({ action: "env.read", key: { in: list(view.keys) }, effect: "allow" });
  // JSON is YAML: no quoting questions for odd bytes in commands
  const text = JSON.stringify({ version: 1, defaultAction: "deny", rules });
  const loaded = await loadPolicy([{ name: "own-subjects.json", text }]);
  if (!loaded.ok) return { decision: "policy-error", reason: loaded.errors.map((e) => e.message).join("; ") };
  const d = createEngine(loaded.policy).check({ action: "shell.execute", command, cwd });
  return { decision: d.decision, reason: d.reason ?? "" };
}
