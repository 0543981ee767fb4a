import { foldCase } from "../match/fold.js";
import { globShape, isFreeFormField, isPathOperand } from "../match/path-shaped.js";
import type { Template } from "../match/template.js";
import type { Condition, FieldTest, RuleIR } from "../policy/ir.js";
import { isNormalPath, normalizePath } from "../request/normalize-path.js";
import { fieldGetter, type Subject } from "../request/subject.js";
import type { FieldMatcher } from "./compile-test.js";
import { windowsQuirk } from "./path-quirks.js";

/**
 * A `context.*` / `arguments.*` value as the file path(s) it names, for the
 * tests on it that are written as paths (match/path-shaped.ts). A tool that
 * gets `/srv/../etc/passwd`, `//etc/passwd` or `/etc/` opens what lexical
 * resolution says, so path tests see that. Where readers of the value can
 * disagree, every reading is checked (a deny on any holds, an allow needs
 * all):
 *
 * - a `\` is also read as `/` (Windows servers, and tools that normalize it);
 * - a `%XX` escape is also read decoded, once (a tool that takes a URL path or
 *   decodes its input; `%2e%2e` is `..`); an escape still there after that is
 *   a double encoding, which some reader decodes again: unknown;
 * - an array is one reading per element (a tool that takes a list of paths).
 *
 * A value that cannot be resolved to an absolute path (relative: resolved
 * against a directory the engine does not know; `~`; a control character; in
 * a case-insensitive policy a Windows name quirk; not a string; an empty
 * list; more than MAX_READINGS readings) is *unknown*: it may be any path, so
 * a deny that matches some path may match it, and no allow short of every
 * path covers it. Case is folded in a case-insensitive policy, as for files.
 */
export interface PathReadings {
  /** the normal absolute paths the value names (folded when case-insensitive) */
  paths: string[];
  /** why the value may also be some other path (then `paths` do not matter) */
  unknown?: string;
}

export const MAX_READINGS = 64;

/** A path about which nothing is known, for the path tests' template answers. */
export const ANY_PATH: Template = [{ hole: "any", source: "any path" }];

const ESCAPE = /%[0-9A-Fa-f]{2}/;

// The same string is read by every path test of a rule: the last reading is kept per case mode
// (strings only: an array a caller reuses could have changed since).
const last = [
  { v: "", r: undefined as PathReadings | undefined },
  { v: "", r: undefined as PathReadings | undefined },
];

/** The readings of a value, or undefined for a missing one (no test holds on it). */
export function pathReadings(v: unknown, caseInsensitive: boolean): PathReadings | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") return read(v, caseInsensitive);
  const slot = last[caseInsensitive ? 1 : 0]!;
  if (slot.r && slot.v === v) return slot.r;
  const r = read(v, caseInsensitive);
  slot.v = v;
  slot.r = r;
  return r;
}

function read(v: unknown, ci: boolean): PathReadings {
  const paths = new Set<string>();
  const add = (x: unknown, depth: number): string | undefined => {
    if (typeof x === "string") return addString(x, ci, paths);
    if (Array.isArray(x) && depth < 100) {
      if (x.length === 0) return "is an empty list";
      for (const e of x) {
        const why = add(e, depth + 1);
        if (why) return why;
        if (paths.size > MAX_READINGS) return `has more than ${MAX_READINGS} readings as paths`;
      }
      return undefined;
    }
    return `is ${x === null ? "null" : Array.isArray(x) ? "a list" : typeof x === "object" ? "an object" : `a ${typeof x}`}, not a path`;
  };
  const unknown = add(v, 0);
  return unknown ? { paths: [], unknown } : { paths: [...paths] };
}

/**
 * Every path a tool may resolve `s` to, closed under the readings: the text as
 * sent, `\` read as `/`, `%XX` decoded once, each applied to the text and to
 * its resolved form (a tool that resolves `.`/`..` first and converts `\`
 * after reads `/..\etc/..\etc/../x` as `/../etc/x`), until nothing new comes.
 */
function addString(s: string, ci: boolean, out: Set<string>): string | undefined {
  const seen = new Set<string>();
  const work: Array<{ text: string; decoded: boolean }> = [];
  const push = (text: string, decoded: boolean) => {
    const key = `${decoded ? 1 : 0}${text}`;
    if (!seen.has(key)) {
      seen.add(key);
      work.push({ text, decoded });
    }
  };
  push(s, false);
  while (work.length > 0) {
    if (seen.size > 4 * MAX_READINGS) return `has more than ${MAX_READINGS} readings as paths`;
    const { text, decoded } = work.pop()!;
    const p = normalizePath(text);
    if (!p.ok) return unresolved(text, p.code === "uncertain");
    if (!ci) out.add(p.path);
    else {
      if (windowsQuirk(p.path))
        return "has a name a case-insensitive file system reads as another (a trailing dot or space, `:`, `~1`, an invisible code point)";
      const folded = foldCase(p.path);
      if (!isNormalPath(folded)) return "does not stay a plain path when case-folded";
      out.add(folded);
    }
    for (const x of new Set([text, p.path])) {
      if (x.includes("\\")) push(x.replaceAll("\\", "/"), decoded);
      if (!decoded && ESCAPE.test(x)) {
        let d: string;
        try {
          d = decodeURIComponent(x);
        } catch {
          return "has a `%` escape that is not UTF-8";
        }
        if (ESCAPE.test(d)) return "is percent-encoded more than once";
        push(d, true);
      }
    }
  }
  return undefined;
}

function unresolved(t: string, control: boolean): string {
  if (t === "") return "is empty";
  if (t.startsWith("~")) return "starts with `~`, a home directory the engine does not know";
  if (!t.startsWith("/")) return "is not an absolute path (the tool resolves it against a directory the engine does not know)";
  return control
    ? "holds a control character, which tools that print or split paths read differently"
    : "is no path the engine can resolve (a NUL byte, or too long)";
}

/** Is this leaf test written as a path (its operand or every alternative of its glob)? */
export function isPathTest(t: FieldTest): boolean {
  switch (t.op) {
    case "glob":
      return globShape(t.pattern) === "path";
    case "eq":
    case "neq":
      return isPathOperand(t.value);
    case "in":
    case "notIn":
      return t.values.some(isPathOperand);
    case "startsWith":
    case "endsWith":
    case "contains":
      return isPathOperand(t.value);
    case "all":
    case "any":
      return t.tests.some(isPathTest);
    case "not":
      return isPathTest(t.test);
    default:
      return false;
  }
}

/** The free-form fields some rule tests as a path: the values the engine must read as paths before it decides. */
export function argumentPathFields(rules: readonly RuleIR[]): string[] {
  const out = new Set<string>();
  const visit = (c: Condition) => {
    if (c.kind === "field") {
      if (isFreeFormField(c.field) && isPathTest(c.test)) out.add(c.field);
    } else if (c.kind === "not") visit(c.condition);
    else c.conditions.forEach(visit);
  };
  for (const r of rules) r.when.forEach(visit);
  return [...out].sort();
}

export interface ArgumentPathField {
  field: string;
  get: (s: Subject) => unknown;
}

export function argumentPathGetters(fields: readonly string[]): ArgumentPathField[] {
  return fields.map((field) => ({ field, get: fieldGetter(field) }));
}

/**
 * What is not exactly known about a subject's path-read values: for each such
 * field whose value has no single reading, a phrase for the reason; undefined
 * when every value reads as exactly one path (first-match then decides as usual).
 */
export function looseArguments(s: Subject, fields: readonly ArgumentPathField[], caseInsensitive: boolean): string | undefined {
  if (s.arguments === undefined && s.context === undefined) return undefined;
  const out: string[] = [];
  for (const f of fields) {
    const v = f.get(s);
    const r = pathReadings(v, caseInsensitive);
    if (!r || (r.unknown === undefined && r.paths.length === 1)) continue;
    out.push(
      `\`${f.field}\` (${describeValue(v)}) ${
        r.unknown ??
        `reads as ${r.paths.length} paths (${r.paths
          .slice(0, 3)
          .map((p) => `\`${p}\``)
          .join(", ")}${r.paths.length > 3 ? ", ..." : ""})`
      }`,
    );
  }
  return out.length > 0 ? out.join("; ") : undefined;
}

function describeValue(v: unknown): string {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  const short = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return `\`${short.replace(/[\u0000-\u001f\u007f-\u009f`]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\``;
}

/**
 * A path test (compiled as for `path`) on a free-form field: it sees the
 * value's readings. Exactly one reading: the test on it (first-match). Any
 * other value is decided by may/must (the evaluator routes it there, see
 * `looseArguments`): some reading / every reading passes, and an unknown
 * value is every path.
 */
export function readAsPath(inner: FieldMatcher, caseInsensitive: boolean): FieldMatcher {
  const one = (v: unknown): string | undefined => {
    const r = pathReadings(v, caseInsensitive);
    return r && r.unknown === undefined && r.paths.length === 1 ? r.paths[0] : undefined;
  };
  return {
    test: (v) => {
      const p = one(v);
      return p !== undefined && inner.test(p);
    },
    mayValue: (v) => {
      const r = pathReadings(v, caseInsensitive);
      if (!r) return false;
      return r.unknown !== undefined ? inner.may(ANY_PATH) : r.paths.some((p) => inner.test(p));
    },
    mustValue: (v) => {
      const r = pathReadings(v, caseInsensitive);
      if (!r) return false;
      return r.unknown !== undefined ? inner.must(ANY_PATH) : r.paths.every((p) => inner.test(p));
    },
    may: inner.may,
    must: inner.must,
    keys: inner.keys,
    domain: "path",
    get nfa() {
      return inner.nfa;
    },
  };
}
