import type { Template } from "../match/template.js";
import type { Base } from "./effects.js";

/**
 * Paths under `/proc/PID/` that are not the file they look like to a path
 * rule: `environ` (and `mem`) hold the process's environment, so reading them
 * reads every variable; `root`, `cwd`, `fd/N` and `map_files/...` are other
 * files under other names (`/proc/self/root/app/secrets/key` is
 * `/app/secrets/key`), which a path rule cannot follow. Read lexically (`.`,
 * `..`, `//`), through `task/TID/`, and after a `cd` into /proc; a run-time
 * part of such a path (`/proc/*\/environ`, `$P/environ`) is assumed to be the
 * worst of them.
 */
export type ProcPathKind = "environment" | "alias";

const ALIAS_DIRS = new Set(["root", "cwd"]);
const ALIAS_PARENTS = new Set(["fd", "map_files"]);
const ENVIRONMENT = new Set(["environ", "mem"]);
/** a run-time part that may hold `/` (a hole of any text), and one inside a segment (a glob, a name hole) */
const ANY = "\u0000";
const SEG = "\u0001";

export function procPathKind(path: Template, bases: readonly Base[]): ProcPathKind | undefined {
  let text = "";
  for (const p of path) text += typeof p === "string" ? p.replace(/[*?[]/g, SEG) : p.hole === "any" || p.hole === "below" ? ANY : SEG;
  if (!/proc|root|cwd|fd|map_files|environ|mem/.test(text) && !bases.some((b) => b.kind === "dir" && b.dir.includes("proc"))) return undefined;
  const heads = text.startsWith("/") || text.startsWith(ANY) ? [""] : bases.map((b) => (b.kind === "dir" && b.dir.startsWith("/") ? `${b.dir}/` : ""));
  let worst: ProcPathKind | undefined;
  for (const head of heads) {
    const kind = classify(`${head}${text}`);
    if (kind === "alias") return kind;
    worst ??= kind;
  }
  return worst;
}

function classify(text: string): ProcPathKind | undefined {
  const segs = normalize(text);
  // a hole of any text before the rest may end in `/proc/PID` (`$P/environ`): the names after it decide
  if (text.startsWith(ANY)) {
    if (segs.some((s) => ALIAS_DIRS.has(s) || ALIAS_PARENTS.has(s))) return "alias";
    return segs.some((s) => ENVIRONMENT.has(s)) ? "environment" : undefined;
  }
  if (segs[0] !== "proc" || segs.length < 3) return undefined;
  let rest = segs.slice(2);
  // a run-time part of what follows `/proc/PID/` may be any of its entries
  if (rest.some((s) => s.includes(ANY) || s.includes(SEG))) return "alias";
  if (rest[0] === "task" && rest.length >= 3) rest = rest.slice(2);
  if (ENVIRONMENT.has(rest[0]!) && rest.length === 1) return "environment";
  if (ALIAS_DIRS.has(rest[0]!)) return "alias";
  if (ALIAS_PARENTS.has(rest[0]!) && rest.length >= 2) return "alias";
  return undefined;
}

function normalize(text: string): string[] {
  const out: string[] = [];
  for (const s of text.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") out.pop();
    else out.push(s);
  }
  return out;
}
