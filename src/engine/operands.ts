import { foldCase } from "../match/fold.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import { normalizeUrlPattern } from "../match/url-pattern.js";
import { normalizeHost } from "../net/host-name.js";
import type { Scalar } from "../policy/ir.js";
import { normalizePath } from "../request/normalize-path.js";
import { normalizeUrl } from "../request/normalize-url.js";

/**
 * Operands of a condition brought to the form request values have, shared by
 * the matchers (compile-test.ts) and the index's factors (condition-factors.ts),
 * so both read an operand the same way.
 */
/** How operands of a field are brought to the request's normal form. */
export function normalizeOperand(field: string, value: Scalar, opts: PatternOptions): Scalar {
  let v = value;
  if (typeof v === "number" && field === "port") return v;
  // YAML reads `0xa9fea9fe`, `2852039166` or a tool named `42` as numbers; every built-in
  // field but `port` holds text, so the number is the text it stands for.
  if (typeof v === "number" && !field.includes(".")) v = String(v);
  if (typeof v !== "string") return v;
  switch (field) {
    case "host": {
      const h = normalizeHost(v);
      return h.ok ? h.host : v.toLowerCase();
    }
    case "path": {
      const p = normalizePath(v, opts.cwd);
      const path = p.ok ? p.path : v;
      return opts.caseInsensitive ? foldCase(path) : path;
    }
    case "url": {
      const u = normalizeUrl(v);
      return u.ok && u.target.url !== undefined ? u.target.url : v;
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

/** Fields whose request values have one case (see caseFold). */
export const CASELESS_FIELDS: ReadonlySet<string> = new Set(["host", "method", "scheme"]);

/** Request hosts are lower-case and methods upper-case, so string operators are too; paths fold in a case-insensitive policy. */
export function caseFold(field: string, s: string, opts: PatternOptions): string {
  if (field === "host" || field === "scheme") return s.toLowerCase();
  if (field === "url") return normalizeUrlPattern(s, { prefix: true });
  if (field === "method") return s.toUpperCase();
  if (field === "path" && opts.caseInsensitive) return foldCase(s);
  return s;
}
