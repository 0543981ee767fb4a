import { isConcrete, templateSource, type Template } from "../match/template.js";
import { analyzeCommand, type AnalyzeOptions } from "../shell/command-checks.js";
import type { Base, CommandAnalysis } from "../shell/effects.js";
import { normalizePath } from "./normalize-path.js";
import { normalizeHostTarget, normalizeUrl } from "./normalize-url.js";
import { handshakeUrl, hostFormUrl } from "./host-form-url.js";
import { resolvePathTemplate, underPath } from "./path-template.js";
import type { Subject } from "./subject.js";

export type ShellSubjects = { ok: true; subjects: Subject[] } | { ok: false; code: "invalid_request" | "uncertain"; reason: string };

/**
 * The subjects a command line stands for: one `shell.execute` per command
 * it runs, a file action per file it names (resolved against the request's
 * cwd, or the directory the line `cd`s to), an `env.read` per variable it
 * expands, a `network.request` per destination. All must be allowed.
 */
export function shellSubjects(command: string, cwd: string | undefined, like: () => Subject, opts: AnalyzeOptions = {}): ShellSubjects {
  const a = analyzeCommand(command, opts);
  if (!a.ok) return { ok: false, code: "uncertain", reason: `uncertain: ${a.reason}` };
  try {
    return { ok: true, subjects: toSubjects(a.analysis, cwd, like) };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, code: e.code, reason: e.message };
    throw e;
  }
}

class Refusal extends Error {
  constructor(
    message: string,
    readonly code: "invalid_request" | "uncertain",
  ) {
    super(message);
  }
}

function toSubjects(a: CommandAnalysis, cwd: string | undefined, like: () => Subject): Subject[] {
  const out: Subject[] = [];
  const seen = new Set<string>();
  const push = (s: Subject) => {
    const t = s.templates?.command ?? s.templates?.path ?? s.templates?.key;
    const key = `${s.action}\u0000${s.command ?? s.path ?? s.key ?? ""}\u0000${s.url ?? ""}\u0000${s.host ?? ""}:${s.port ?? ""}:${s.scheme ?? ""}\u0000${s.possible ? 1 : 0}${t ? "\u0000" + t.map((p) => (typeof p === "string" ? p : `\u0001${p.hole}`)).join("") : ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  };
  for (const e of a.execs) {
    const s = like();
    s.action = "shell.execute";
    s.command = templateSource(e.text);
    if (!isConcrete(e.text)) s.templates = { command: e.text };
    if (e.possible) s.possible = true;
    push(s);
  }
  for (const f of a.files) {
    const action = f.op === "read" ? "file.read" : f.op === "write" ? "file.write" : "file.delete";
    for (const base of f.bases) {
      // Without any cwd a relative word does not resolve to a path; definite files are refused for that below,
      // possible ones are not checked (every integration sends cwd; README "Shell commands").
      if ((f.possible || f.implicit) && cwd === undefined && relativeTo(base, f.path)) continue;
      const r = resolvePathTemplate(f.path, baseDir(base, cwd, f.possible === true, f.path));
      if (!r.ok) {
        // a word too long or empty to be a path names no file; any other refusal stands
        if (f.possible && /longer than|empty/.test(r.reason)) continue;
        throw new Refusal(
          f.possible
            ? `uncertain: a word of the command may name a file that cannot be checked: ${r.reason}`
            : `invalid request: a file the command names: ${r.reason}`,
          f.possible ? "uncertain" : "invalid_request",
        );
      }
      const paths: Array<string | Template> = "path" in r ? [r.path] : [r.template];
      if (f.tree) paths.push(underPath(paths[0]!));
      for (const p of paths) {
        const s = like();
        s.action = action;
        s.viaRedirection = true;
        if (typeof p === "string") s.path = p;
        else if (isConcrete(p)) s.path = (p as string[]).join("");
        else {
          s.path = templateSource(p);
          s.templates = { path: p };
        }
        if (f.possible) s.possible = true;
        push(s);
      }
    }
  }
  for (const e of a.env) {
    const s = like();
    s.action = "env.read";
    if (e.key === null) {
      // every variable: only a rule that allows every key allows it; a deny on any key applies
      s.key = "*";
      s.templates = { key: [{ hole: "any", source: "every environment variable" }] };
    } else s.key = e.key;
    push(s);
  }
  for (const n of a.net) {
    const t = n.url !== undefined ? normalizeUrl(n.url) : normalizeHostTarget(n.host!, n.port, n.scheme);
    if (!t.ok) {
      if (n.possible) continue; // a word that is not a URL the engine can check is not a destination
      throw new Refusal(`uncertain: the command connects to \`${n.url ?? n.host}\`, which cannot be checked: ${t.reason}`, "uncertain");
    }
    const s = like();
    s.action = "network.request";
    s.host = t.target.host;
    s.port = t.target.port;
    s.scheme = t.target.scheme;
    if (t.target.url !== undefined) s.url = t.target.url;
    else s.templates = { url: hostFormUrl(t.target.scheme, t.target.host, t.target.port) };
    s.viaRedirection = true;
    if (n.possible) s.possible = true;
    push(s);
    // A WebSocket URL is also the http(s) GET of its handshake (host-form-url.ts).
    const hs = s.url !== undefined ? handshakeUrl(s.url) : undefined;
    if (hs !== undefined) push({ ...s, url: hs });
  }
  if (out.length === 0) {
    // a line that runs nothing (a comment): checked as written
    const s = like();
    s.action = "shell.execute";
    s.command = "";
    push(s);
  }
  return out;
}

/** The path needs the request's cwd to be resolved. */
function relativeTo(base: Base, path: Template): boolean {
  const first = path[0];
  if (typeof first === "string" && first.startsWith("/")) return false;
  return base.kind === "cwd" || (base.kind === "dir" && !base.dir.startsWith("/"));
}

/** The absolute directory a relative path is relative to, or undefined when it is only known at run time. */
function baseDir(base: Base, cwd: string | undefined, possible: boolean, path: Template): string | undefined {
  const first = path[0];
  if (typeof first === "string" && first.startsWith("/")) return "/";
  if (base.kind === "unknown") return undefined;
  if (base.kind === "dir" && base.dir.startsWith("/")) return base.dir;
  if (cwd === undefined) {
    if (possible) return undefined;
    throw new Refusal(`invalid request: a file the command names: path \`${templateSource(path)}\` is relative and no \`cwd\` was given`, "invalid_request");
  }
  if (base.kind === "cwd") return cwd;
  const p = normalizePath(base.dir, cwd);
  if (!p.ok) throw new Refusal(`invalid request: the directory the command changes to: ${p.reason}`, "invalid_request");
  return p.path;
}
