import { compilePattern, type PatternOptions } from "../match/compiled-pattern.js";
import { requiredRegexLiterals } from "../match/regex-literals.js";
import { globShape, isFreeFormField, isPathOperand } from "../match/path-shaped.js";
import type { Condition, FieldTest } from "../policy/ir.js";
import { CASELESS_FIELDS, caseFold, normalizeOperand } from "./operands.js";

/**
 * The literal text one of which every value passing a condition contains (its
 * "factors", for the rule index: factor-lists.ts), read off the condition's IR
 * without compiling its matchers, so a policy whose conditions compile on
 * first use can still be indexed at once. The answer is a claim about the
 * test compile-test.ts builds from the same IR: every value `test` passes is
 * a string, or a number, whose text contains one of these. Where that is not
 * certain the answer is undefined and the rule is scanned for every request;
 * test/factor-index.test.ts checks the claim against a top-to-bottom scan.
 */
export function conditionFactors(c: Condition, opts: PatternOptions): { field: string; factors: readonly string[] } | undefined {
  // `all:` of one condition is that condition (compile-test.ts allOf returns its only part).
  if (c.kind === "all" && c.conditions.length === 1) return conditionFactors(c.conditions[0]!, opts);
  if (c.kind !== "field") return undefined;
  const factors = fieldFactors(c.test, c.field, opts);
  return factors ? { field: c.field, factors } : undefined;
}

export function fieldFactors(t: FieldTest, field: string, opts: PatternOptions): readonly string[] | undefined {
  // A test written as a path on a free-form field sees the value resolved as a path, not as sent.
  if (isFreeFormField(field) && pathShaped(t)) return undefined;
  switch (t.op) {
    case "glob": {
      const r = compilePattern(field, t.pattern, opts);
      return r.ok ? r.pattern.factors : undefined;
    }
    case "eq": {
      const want = normalizeOperand(field, t.value, opts);
      return typeof want === "string" ? textFactors([want]) : undefined;
    }
    case "in": {
      const values = t.values.map((x) => normalizeOperand(field, x, opts));
      return values.every((v): v is string => typeof v === "string") ? textFactors(values) : undefined;
    }
    case "startsWith":
    case "contains":
      return textFactors([caseFold(field, t.value, opts)]);
    case "endsWith": {
      // as compile-test.ts: `.internal.` ends the same hosts as `.internal`
      const x = caseFold(field, t.value, opts);
      return textFactors([field === "host" ? x.replace(/\.+$/, "") : x]);
    }
    case "matches":
      // A case-insensitive regex's literals match other text (`a` matches `A`): no factors.
      return CASELESS_FIELDS.has(field) || (field === "path" && opts.caseInsensitive === true) ? undefined : requiredRegexLiterals(t.regex);
    case "all": {
      // Every part holds, so any part's factors are required; the most selective (its shortest factor longest) is kept.
      let best: readonly string[] | undefined;
      for (const p of t.tests) {
        const f = fieldFactors(p, field, opts);
        if (f && (!best || shortest(f) > shortest(best))) best = f;
      }
      return best;
    }
    case "any": {
      const out: string[] = [];
      for (const p of t.tests) {
        const f = fieldFactors(p, field, opts);
        if (!f) return undefined;
        out.push(...f);
      }
      return out.length > 0 ? out : undefined;
    }
    default:
      // neq, notIn, not, exists: a value passes them by lacking something
      return undefined;
  }
}

/** Tests compile-test.ts applies to a free-form value read as a path (pathTestOnFreeForm). */
function pathShaped(t: FieldTest): boolean {
  switch (t.op) {
    case "glob":
      return globShape(t.pattern) !== "text";
    case "eq":
    case "startsWith":
    case "endsWith":
    case "contains":
      return isPathOperand(t.value);
    case "in":
      return t.values.some(isPathOperand);
    default:
      return false;
  }
}

/** Operands as factors; none when one is empty (the empty string is in every value). */
function textFactors(values: readonly string[]): string[] | undefined {
  return values.length > 0 && values.every((v) => v !== "") ? [...values] : undefined;
}

function shortest(xs: readonly string[]): number {
  let n = Infinity;
  for (const x of xs) if (x.length < n) n = x.length;
  return n;
}
