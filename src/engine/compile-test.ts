import { compileHostPattern } from "../match/host-pattern.js";
import { compilePathPattern } from "../match/path-glob.js";
import { compileRegex } from "../match/regex.js";
import { compileWildcard } from "../match/wildcard.js";
import type { Condition, FieldTest, Scalar } from "../policy/ir.js";
import { normalizeHost } from "../net/host-name.js";
import { normalizePath } from "../request/normalize-path.js";
import { fieldGetter, type Subject } from "../request/subject.js";

/**
 * Turns validated conditions into closures, once, at load. Operands are
 * normalized like request values (a host in `in:` is punycoded and its IPv4
 * spelling canonicalized; a path in `eq:` is resolved), so a policy and a
 * request that mean the same thing compare equal.
 */
export type ValueTest = (v: unknown) => boolean;
export type SubjectTest = (s: Subject) => boolean;

export function compileConditions(conditions: readonly Condition[], cwd: string | undefined): SubjectTest {
  const tests = conditions.map((c) => compileCondition(c, cwd));
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (s) => {
    for (const t of tests) if (!t(s)) return false;
    return true;
  };
}

export function compileCondition(c: Condition, cwd: string | undefined): SubjectTest {
  switch (c.kind) {
    case "field": {
      const get = fieldGetter(c.field);
      const test = compileFieldTest(c.test, c.field, cwd);
      return (s) => test(get(s));
    }
    case "all":
      return compileConditions(c.conditions, cwd);
    case "any": {
      const tests = c.conditions.map((x) => compileCondition(x, cwd));
      return (s) => tests.some((t) => t(s));
    }
    case "not": {
      const t = compileCondition(c.condition, cwd);
      return (s) => !t(s);
    }
  }
}

/** How operands of a field are brought to the request's normal form. */
function normalizeOperand(field: string, value: Scalar, cwd: string | undefined): Scalar {
  let v = value;
  if (typeof v === "number" && field === "port") return v;
  // YAML reads `0xa9fea9fe` or `2852039166` as numbers; as a host they are still hosts.
  if (typeof v === "number" && (field === "host" || field === "path")) v = String(v);
  if (typeof v !== "string") return v;
  switch (field) {
    case "host": {
      const h = normalizeHost(v);
      return h.ok ? h.host : v.toLowerCase();
    }
    case "path": {
      const p = normalizePath(v, cwd);
      return p.ok ? p.path : v;
    }
    case "method":
      return v.toUpperCase();
    case "scheme":
      return v.toLowerCase();
    case "port":
      return /^\d+$/.test(v) ? Number(v) : v;
    default:
      return v;
  }
}

const isStr = (v: unknown): v is string => typeof v === "string";

export function compileFieldTest(t: FieldTest, field: string, cwd: string | undefined): ValueTest {
  switch (t.op) {
    case "glob":
      return compileGlob(t.pattern, field, cwd);
    case "eq": {
      const want = normalizeOperand(field, t.value, cwd);
      return (v) => v === want;
    }
    case "neq": {
      const want = normalizeOperand(field, t.value, cwd);
      return (v) => v !== want;
    }
    case "in": {
      const set = new Set(t.values.map((x) => normalizeOperand(field, x, cwd)));
      return (v) => set.has(v as Scalar);
    }
    case "notIn": {
      const set = new Set(t.values.map((x) => normalizeOperand(field, x, cwd)));
      return (v) => !set.has(v as Scalar);
    }
    case "startsWith": {
      const x = caseFold(field, t.value);
      return (v) => isStr(v) && v.startsWith(x);
    }
    case "endsWith": {
      const x = caseFold(field, t.value);
      return (v) => isStr(v) && v.endsWith(x);
    }
    case "contains": {
      const x = caseFold(field, t.value);
      return (v) => isStr(v) && v.includes(x);
    }
    case "matches": {
      const r = compileRegex(t.regex);
      if (!r.ok) return () => false; // unreachable: validation rejects bad regexes
      return (v) => (isStr(v) || typeof v === "number") && r.test(String(v));
    }
    case "exists":
      return t.value ? (v) => v !== undefined : (v) => v === undefined;
    case "all": {
      const tests = t.tests.map((x) => compileFieldTest(x, field, cwd));
      return (v) => tests.every((f) => f(v));
    }
    case "any": {
      const tests = t.tests.map((x) => compileFieldTest(x, field, cwd));
      return (v) => tests.some((f) => f(v));
    }
    case "not": {
      const f = compileFieldTest(t.test, field, cwd);
      return (v) => !f(v);
    }
  }
}

/** Request hosts are lower-case and methods upper-case, so string operators are too. */
function caseFold(field: string, s: string): string {
  if (field === "host" || field === "scheme") return s.toLowerCase();
  if (field === "method") return s.toUpperCase();
  return s;
}

function compileGlob(pattern: string, field: string, cwd: string | undefined): ValueTest {
  if (field === "path") {
    const r = compilePathPattern(pattern, cwd);
    if (!r.ok) return () => false;
    const m = r.matcher;
    return (v) => isStr(v) && m.test(v);
  }
  if (field === "host") {
    const r = compileHostPattern(pattern);
    if (!r.ok) return () => false;
    const m = r.matcher;
    return (v) => isStr(v) && m.test(v);
  }
  const ci = field === "method" || field === "scheme";
  const m = compileWildcard(pattern, { caseInsensitive: ci });
  if (field === "port") return (v) => typeof v === "number" && m.test(String(v));
  return (v) => isStr(v) && m.test(v);
}
