import { isConcrete, template, templateSource, type Hole, type Template, type TemplatePart } from "../match/template.js";
import { normalizePath } from "./normalize-path.js";

/**
 * A file path from a command line, made absolute and lexically resolved like
 * any requested path, when parts of it are only known at run time.
 *
 * The result stands for a superset of the normalized paths the command can
 * reach. A hole of any text (`$X`, `$(...)`, `~`) may hold `/` and `..`, so
 * nothing written before it survives resolution (`/app/$X` may be
 * `/etc/passwd`): the path becomes "anything", followed by what comes after
 * the hole, which resolution cannot remove (`$D/.env` ends in `/.env`
 * whatever `$D` is). A glob hole stays inside its segment and cannot be
 * `..` (shells never expand a glob to `.` or `..` unless the pattern starts
 * with a literal dot), so `src/*.ts` keeps its directory; a glob segment
 * that starts with `.` (`.*`) is treated like a hole of any text.
 */
export type PathTemplateResult = { ok: true; path: string } | { ok: true; template: Template } | { ok: false; reason: string };

export function resolvePathTemplate(path: Template, base: string | undefined): PathTemplateResult {
  const first = path[0];
  if (path.length === 1 && typeof first === "string" && !first.startsWith("~") && (base !== undefined || first.startsWith("/"))) {
    // the common case: an exact path
    const p = normalizePath(first.startsWith("/") ? first : `${base}/${first}`);
    return p.ok ? { ok: true, path: p.path } : p;
  }
  const absolute = typeof first === "string" && first.startsWith("/");
  // a literal `~` here is a character: the shell has already expanded the home directory
  const rel = !absolute && typeof first === "string" && first.startsWith("~") ? ["./", ...path] : path;
  const joined: TemplatePart[] = absolute ? [...path] : base === undefined ? [anyHole("$PWD"), "/", ...rel] : [base, "/", ...rel];
  const t = template(joined);
  if (isConcrete(t)) {
    const p = normalizePath(t.join(""));
    return p.ok ? { ok: true, path: p.path } : p;
  }
  const r = resolveTemplate(t);
  return isConcrete(r) ? { ok: true, path: (r as string[]).join("") } : { ok: true, template: r };
}

type Segment = TemplatePart[];

function anyHole(source: string): Hole {
  return { hole: "any", source };
}

/** Splits a template at its literal `/`s; an any-hole stays inside the segment it is written in. */
function segments(t: Template): Segment[] {
  const out: Segment[] = [[]];
  for (const p of t) {
    if (typeof p !== "string") {
      out[out.length - 1]!.push(p);
      continue;
    }
    const pieces = p.split("/");
    pieces.forEach((piece, k) => {
      if (k > 0) out.push([]);
      if (piece) out[out.length - 1]!.push(piece);
    });
  }
  return out;
}

/**
 * A hole that a glob made (`**`, or a pattern a program expands itself, `git
 * log -- '*.env'`): it may cross `/` but expands to existing names, never to
 * `..`, so what is before it still holds.
 */
const GLOB_SOURCE = /^[*?[]/;

/** A segment whose value after expansion could be `.` or `..` (and so cancel what is before it). */
function unresolvable(seg: Segment): boolean {
  if (seg.some((p) => typeof p !== "string" && p.hole === "any" && !GLOB_SOURCE.test(p.source))) return true;
  const holes = seg.some((p) => typeof p !== "string");
  return holes && typeof seg[0] === "string" && seg[0].startsWith(".");
}

function resolveTemplate(t: Template): Template {
  const segs = segments(t);
  let last = -1;
  const dotdotAfter = (k: number) => segs.slice(k + 1).some((x) => x.length === 1 && x[0] === "..");
  segs.forEach((s, k) => {
    // a glob that crosses `/` followed by `..`: how many segments `..` removes is not known
    const crossing = s.some((p) => typeof p !== "string" && p.hole === "any");
    if (unresolvable(s) || (crossing && dotdotAfter(k))) last = k;
  });
  // resolved segments; `attached` is the end of the hole's own segment (no `/` before it)
  const out: Array<{ seg: Segment; attached: boolean }> = [];
  let source = "";
  if (last >= 0) {
    const holeSeg = segs[last]!;
    source =
      segs
        .slice(0, last)
        .map((seg) => templateSource(seg))
        .join("/") + (last > 0 ? "/" : "");
    let k = holeSeg.length;
    while (k > 0 && typeof holeSeg[k - 1] === "string") k--;
    const tail = holeSeg.slice(k).join("");
    // text after the hole is kept, unless it is only dots (with the hole's end it could be `.` or `..`)
    if (tail !== "" && !/^\.+$/.test(tail)) out.push({ seg: [tail], attached: true });
    source += templateSource(holeSeg.slice(0, k));
  }
  for (const seg of segs.slice(last + 1)) {
    if (seg.length === 0 || (seg.length === 1 && seg[0] === ".")) continue;
    if (seg.length === 1 && seg[0] === "..") {
      out.pop(); // above the first kept segment: absorbed by the hole (or by the root)
      continue;
    }
    out.push({ seg, attached: false });
  }
  const parts: TemplatePart[] = last >= 0 ? [anyHole(source)] : [];
  for (const { seg, attached } of out) {
    if (!attached) parts.push("/");
    parts.push(...seg);
  }
  if (parts.length === 0) parts.push("/");
  return template(parts);
}

/**
 * Everything under a path (`rm -r DIR`, `grep -r x DIR`): DIR/ followed by the
 * names a walk finds below it (a `below` hole: it stays under DIR, so an
 * allow of `DIR/**` covers it). DIR itself is checked on its own.
 */
export function underPath(p: string | Template): Template {
  const t: Template = typeof p === "string" ? [p] : p;
  const last = t[t.length - 1];
  if (typeof last !== "string") return t;
  const slash = last.endsWith("/") ? "" : "/";
  return template([...t, slash, { hole: "below", source: "**" }]);
}
