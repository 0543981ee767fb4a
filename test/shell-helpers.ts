import { templateSource } from "../src/match/template.js";
import { normalizeRequest, type RequestOptions } from "../src/request/normalize-request.js";
import { analyzeCommand, type AnalyzeOptions } from "../src/shell/command-checks.js";

/**
 * Compact views of what the engine makes of a command line, for tables:
 * `x CMD` a command, `read PATH` / `write PATH` / `delete PATH` a file
 * (`read?` a possible one), `env KEY`, `net HOST:PORT`.
 */
export function subjects(command: string, opts: RequestOptions = {}, cwd = "/app"): string[] | string {
  const n = normalizeRequest({ action: "shell.execute", command, cwd }, opts);
  if (!n.ok) return n.reason;
  return n.request.subjects.map((s) => {
    const p = s.possible ? "?" : "";
    switch (s.action) {
      case "shell.execute":
        return `x${p} ${s.command}`;
      case "file.read":
      case "file.write":
      case "file.delete":
        return `${s.action.slice(5)}${p} ${s.path}`;
      case "env.read":
        return `env ${s.key}`;
      case "network.request":
        return `net ${s.host}:${s.port}`;
      default:
        return s.action;
    }
  });
}

/** The analysis with templates shown as source text (holes as `⟨source⟩`). */
export function analysis(command: string, opts: AnalyzeOptions = {}): { execs: string[]; files: string[]; env: string[]; net: string[] } | string {
  const r = analyzeCommand(command, opts);
  if (!r.ok) return r.reason;
  const show = (t: readonly (string | { hole: string; source: string })[]) =>
    t.map((p) => (typeof p === "string" ? p : `⟨${p.hole === "any" ? "" : "seg:"}${p.source.trim()}⟩`)).join("");
  return {
    execs: r.analysis.execs.map((e) => show(e.text) + (e.possible ? " (possible)" : "")),
    files: r.analysis.files.map(
      (f) =>
        `${f.op}${f.possible ? "?" : ""}${f.tree ? " tree" : ""} ${show(f.path)}${f.bases.length === 1 && f.bases[0]!.kind === "cwd" ? "" : ` @${f.bases.map((b) => (b.kind === "dir" ? b.dir : b.kind)).join("|")}`}`,
    ),
    env: r.analysis.env.map((e) => e.key ?? "*"),
    net: r.analysis.net.map((n) => n.url ?? `${n.host}:${n.port}/${n.scheme}`),
  };
}

export { templateSource };
