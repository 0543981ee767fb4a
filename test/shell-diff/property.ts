import { coversCommand, coversFile, type EngineView } from "./engine-view.js";
import type { ShellView } from "./observe.js";
import type { ShellName } from "./shims.js";

/**
 * The property, for a line the engine did not refuse:
 * 1. every command a shell executed is among the engine's command subjects
 *    (compared as the engine compares: words joined by one space; a part of
 *    an engine subject that is only known at run time, `$x`, `$(...)`,
 *    backticks, `<(...)`, stands for any text);
 * 2. every file a shell opened for a redirection (or `.`) is among the
 *    engine's file subjects with the same access, and every socket it
 *    connected is a `/dev/tcp`/`/dev/udp` file subject;
 * 3. under a policy that allows exactly its own subjects the engine allows
 *    the line (its subjects and its matching agree);
 * 4. a line a shell rejects as a syntax error is reported (`shell-syntax-error`):
 *    the engine accepted something that shell does not run as written.
 * 1-3 are divergences that gate; 4 is reported. Commands the engine lists
 * that no shell ran (`notExecuted`) are over-approximation: safe, counted.
 */
export type DivergenceKind = "unlisted-command" | "unlisted-file" | "unlisted-connect" | "own-subjects-not-allowed" | "shell-syntax-error";
export const GATING: ReadonlySet<DivergenceKind> = new Set(["unlisted-command", "unlisted-file", "unlisted-connect", "own-subjects-not-allowed"]);

export interface Divergence {
  kind: DivergenceKind;
  shell: ShellName | "engine";
  /** what the shell did that the engine did not list */
  shellDid: string;
}

export interface Verdict {
  divergences: Divergence[];
  notExecuted: string[];
  inconclusive: string[];
}

/** Redirections to these are not file actions to the engine either (command-checks.ts HARMLESS_TARGETS). */
const HARMLESS = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/0", "/dev/fd/1", "/dev/fd/2"]);

export function judge(engine: EngineView, views: ShellView[], ownPolicy?: { decision: string; reason: string }): Verdict {
  const v: Verdict = { divergences: [], notExecuted: [], inconclusive: [] };
  if (engine.refused) return v;
  const patterns = engine.commands.map(commandPattern);
  const covered = (text: string) => coversCommand(engine, text) || patterns.some((p) => p.test(text));
  for (const view of views) {
    if (view.broken) {
      v.inconclusive.push(`${view.shell}: ${view.broken}`);
      continue;
    }
    if (view.xtraceOff) v.inconclusive.push(`${view.shell}: the line turns xtrace off; builtins after that are not seen`);
    const seen = new Set<string>();
    const add = (d: Divergence) => {
      const k = `${d.kind}\0${d.shellDid}`;
      if (!seen.has(k)) {
        seen.add(k);
        v.divergences.push(d);
      }
    };
    for (const c of view.commands) if (!covered(c.text)) add({ kind: "unlisted-command", shell: view.shell, shellDid: c.text });
    for (const f of view.files) {
      if (HARMLESS.has(f.path)) continue;
      const ok = (f.access !== "write" ? coversFile(engine, "reads", f.path) : true) && (f.access !== "read" ? coversFile(engine, "writes", f.path) : true);
      if (!ok) add({ kind: "unlisted-file", shell: view.shell, shellDid: `${f.access} ${f.path}` });
    }
    for (const c of view.connects) {
      if (![...engine.reads, ...engine.writes].some((p) => /^\/dev\/(tcp|udp)\//.test(p))) add({ kind: "unlisted-connect", shell: view.shell, shellDid: c });
    }
    if (view.syntaxError) add({ kind: "shell-syntax-error", shell: view.shell, shellDid: "rejected the line as a syntax error" });
  }
  if (ownPolicy && ownPolicy.decision !== "allow")
    v.divergences.push({ kind: "own-subjects-not-allowed", shell: "engine", shellDid: `${ownPolicy.decision}: ${ownPolicy.reason}` });
  const ran = views.flatMap((x) => x.commands.map((c) => c.text));
  v.notExecuted = engine.commands.filter((c, i) => !ran.some((t) => t === c || patterns[i]!.test(t)));
  return v;
}

/** An engine subject as a pattern: its run-time parts match any text. */
export function commandPattern(subject: string): RegExp {
  let re = "";
  let i = 0;
  const s = subject;
  const skipBalanced = (open: string, close: string, from: number): number => {
    let depth = 0;
    for (let j = from; j < s.length; j++) {
      if (s[j] === open) depth++;
      else if (s[j] === close && --depth === 0) return j + 1;
    }
    return s.length;
  };
  const any = () => {
    // an unquoted expansion can vanish, with the space before it
    if (re.endsWith(" ")) re = re.slice(0, -1) + " ?";
    re += "[\\s\\S]*";
  };
  while (i < s.length) {
    const c = s[i]!;
    const n = s[i + 1];
    if (c === "$" && n === "(") {
      i = skipBalanced("(", ")", i + 1);
      any();
    } else if (c === "$" && n === "{") {
      i = skipBalanced("{", "}", i + 1);
      any();
    } else if (c === "$" && n !== undefined && /[A-Za-z_]/.test(n)) {
      i += 2;
      while (i < s.length && /[A-Za-z0-9_]/.test(s[i]!)) i++;
      any();
    } else if (c === "$" && n !== undefined && /[0-9@*#?$!-]/.test(n)) {
      i += 2;
      any();
    } else if (c === "`") {
      const end = s.indexOf("`", i + 1);
      i = end < 0 ? s.length : end + 1;
      any();
    } else if ((c === "<" || c === ">") && n === "(") {
      i = skipBalanced("(", ")", i + 1);
      any();
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i++;
    }
  }
  return new RegExp(`^${re}$`);
}

/** A divergence class: which kind, and the name of the command (or the access) involved. */
export function signature(d: Divergence): string {
  const first = d.shellDid.split(/[ \n]/)[0] ?? "";
  return `${d.kind}:${d.kind === "unlisted-file" ? first : d.kind === "unlisted-command" ? basename(first) : ""}`;
}

function basename(w: string): string {
  const i = w.lastIndexOf("/");
  return i < 0 ? w : w.slice(i + 1);
}
