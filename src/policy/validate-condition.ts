import type { Node } from "yaml";
import { compilePattern } from "../match/compiled-pattern.js";
import { compileRegex } from "../match/regex.js";
import { canonicalField, fieldApplies } from "./fields.js";
import type { Condition, FieldTest, Scalar } from "./ir.js";
import { affixOperandProblem, exactOperandProblem, urlGlobProblem, type OperandProblem } from "./operand-checks.js";
import { isFreeFormField } from "../match/path-shaped.js";
import { describe, type YamlSource } from "./yaml-source.js";

export const OPERATORS = [
  "glob",
  "pattern",
  "eq",
  "neq",
  "in",
  "notIn",
  "startsWith",
  "endsWith",
  "contains",
  "matches",
  "exists",
  "all",
  "any",
  "not",
] as const;
export const COMPOSERS = ["all", "any", "not"] as const;

export interface ConditionContext {
  src: YamlSource;
  actions: string[];
  cwd: string | undefined;
  /** `paths: { caseInsensitive: true }` in force: path patterns are checked folded */
  caseInsensitive?: boolean;
}

/** A map of `field: test` (and `all`/`any`/`not` of such maps) → conditions. */
export function parseConditionMap(node: Node | null, ctx: ConditionContext, what: string): Condition[] {
  const { src } = ctx;
  if (!src.isMap(node)) {
    src.add(node, "bad_type", `${what} must be a map of field: pattern, got ${describe(node)}`);
    return [];
  }
  const out: Condition[] = [];
  const isKnown = (k: string) => (COMPOSERS as readonly string[]).includes(k) || canonicalField(k).ok;
  for (const pair of node.items) {
    const keyNode = src.deref(pair.key);
    const k = src.isScalar(keyNode) ? String(keyNode.value) : "";
    if (!isKnown(k)) {
      const f = canonicalField(k);
      if (!f.ok) src.add(keyNode, "unknown_key", `${f.message} in ${what}`, f.help);
      continue;
    }
    const c = parseConditionEntry(k, src.deref(pair.value), ctx, keyNode);
    if (c) out.push(c);
  }
  return out;
}

/** One `key: value` of a rule or condition map, where key is a field or a composer. */
export function parseConditionEntry(key: string, value: Node | null, ctx: ConditionContext, keyNode: Node | null): Condition | undefined {
  const { src } = ctx;
  // An empty composer is a constant (`any: []` and `not: {}` never hold, an empty map always
  // does): on a deny that never holds, that is an allow nobody wrote.
  if (key === "all" || key === "any") {
    if (!src.isSeq(value)) {
      src.add(value, "bad_type", `\`${key}\` must be a list of condition maps`);
      return undefined;
    }
    if (value.items.length === 0)
      src.add(
        value,
        "bad_value",
        key === "any" ? "`any: []` never holds, so this rule never matches" : "`all: []` always holds; drop it",
        "list the condition maps, or remove the key",
      );
    const conditions = value.items.map((item) => {
      const node = src.deref(item);
      if (src.isMap(node) && node.items.length === 0)
        src.add(node, "bad_value", `an empty condition map in \`${key}\` always holds`, "give the map a condition, or remove it");
      return { kind: "all" as const, conditions: parseConditionMap(node, ctx, `\`${key}\` item`) };
    });
    return { kind: key, conditions };
  }
  if (key === "not") {
    if (src.isMap(value) && value.items.length === 0)
      src.add(value, "bad_value", "`not: {}` is not(always), which never holds, so this rule never matches", "give `not` the conditions it excludes");
    return { kind: "not", condition: { kind: "all", conditions: parseConditionMap(value, ctx, "`not`") } };
  }
  const f = canonicalField(key);
  if (!f.ok) return undefined;
  if (!ctx.actions.some((a) => fieldApplies(f.field, a))) {
    src.add(keyNode, "bad_value", `field \`${key}\` never appears in \`${ctx.actions.join(", ")}\` requests, so this rule could never match`);
  }
  const test = parseTest(value, f.field, ctx);
  return test ? { kind: "field", field: f.field, test } : undefined;
}

/** A field's test: a pattern string, a list of patterns, a scalar, or an operator map. */
export function parseTest(node: Node | null, field: string, ctx: ConditionContext): FieldTest | undefined {
  const { src } = ctx;
  if (src.isScalar(node)) {
    if (typeof node.value === "string") return checkedGlob(node.value, node, field, ctx);
    if (typeof node.value === "number" || typeof node.value === "boolean") return { op: "eq", value: node.value };
    src.add(node, "bad_type", `condition on \`${field}\` must be a pattern or an operator map, got ${describe(node)}`);
    return undefined;
  }
  if (src.isSeq(node)) {
    const tests = node.items.map((i) => parseTest(src.deref(i), field, ctx)).filter((t): t is FieldTest => t !== undefined);
    if (node.items.length === 0) src.add(node, "bad_value", `empty list of patterns for \`${field}\` would never match`);
    return { op: "any", tests };
  }
  if (!src.isMap(node)) {
    src.add(node, "bad_type", `condition on \`${field}\` must be a pattern or an operator map, got ${describe(node)}`);
    return undefined;
  }
  const tests: FieldTest[] = [];
  for (const [op, v] of src.entries(node, OPERATORS, `the operators of \`${field}\``)) {
    const t = parseOperator(op, v, field, ctx);
    if (t) tests.push(t);
  }
  if (node.items.length === 0) src.add(node, "bad_value", `empty operator map for \`${field}\``);
  return tests.length === 1 ? tests[0] : { op: "all", tests };
}

function parseOperator(op: string, v: Node | null, field: string, ctx: ConditionContext): FieldTest | undefined {
  const { src } = ctx;
  switch (op) {
    case "glob":
    case "pattern": {
      if (src.isSeq(v)) return parseTest(v, field, ctx);
      const s = src.string(v, `\`${op}\``);
      return s === undefined ? undefined : checkedGlob(s, v, field, ctx);
    }
    case "eq":
    case "neq": {
      const value = scalar(v, ctx, op);
      if (value !== undefined) report(src, v, exactOperandProblem(field, op, value, ctx.cwd));
      return value === undefined ? undefined : { op, value };
    }
    case "in":
    case "notIn": {
      if (!src.isSeq(v)) {
        src.add(v, "bad_type", `\`${op}\` must be a list, got ${describe(v)}`);
        return undefined;
      }
      const values: Scalar[] = [];
      for (const item of v.items) {
        const node = src.deref(item);
        const x = scalar(node, ctx, op);
        if (x === undefined) continue;
        report(src, node, exactOperandProblem(field, op, x, ctx.cwd));
        values.push(x);
      }
      return { op, values };
    }
    case "startsWith":
    case "endsWith":
    case "contains": {
      const s = src.string(v, `\`${op}\``);
      if (s === "") src.add(v, "bad_value", `\`${op}\` with an empty string matches everything`);
      else if (s !== undefined) report(src, v, affixOperandProblem(field, op, s));
      return s === undefined ? undefined : { op, value: s };
    }
    case "matches": {
      const s = src.string(v, "`matches`");
      if (s === undefined) return undefined;
      const r = compileRegex(s);
      if (!r.ok) src.add(v, "bad_regex", r.reason);
      // A regex sees free-form data as sent: `^/etc/` misses `//etc/passwd` and `/srv/../etc/passwd`, which a tool opens as `/etc/passwd`.
      else if (isFreeFormField(field) && /^\^?\\?\//.test(s)) {
        src.warn(
          v,
          "bad_regex",
          `\`matches\` on \`${field}\` compares the value as sent, so \`//etc/x\` or \`/srv/../etc/x\` step around a regex written for paths`,
          `to test a path, write a path glob (\`${field}: "/etc/**"\`) or an absolute \`startsWith\`: those see the value resolved as a path`,
        );
      }
      return { op, regex: s };
    }
    case "exists": {
      if (!src.isScalar(v) || typeof v.value !== "boolean") {
        src.add(v, "bad_type", "`exists` must be true or false");
        return undefined;
      }
      return { op, value: v.value };
    }
    case "all":
    case "any": {
      if (!src.isSeq(v)) {
        src.add(v, "bad_type", `\`${op}\` must be a list of tests`);
        return undefined;
      }
      if (v.items.length === 0) src.add(v, "bad_value", op === "any" ? "`any` of no tests never holds" : "`all` of no tests always holds");
      return { op, tests: v.items.map((i) => parseTest(src.deref(i), field, ctx)).filter((t): t is FieldTest => t !== undefined) };
    }
    case "not": {
      const test = parseTest(v, field, ctx);
      return test ? { op, test } : undefined;
    }
  }
  return undefined;
}

function scalar(v: Node | null, ctx: ConditionContext, op: string): Scalar | undefined {
  if (ctx.src.isScalar(v) && (v.value === null || ["string", "number", "boolean"].includes(typeof v.value))) return v.value as Scalar;
  ctx.src.add(v, "bad_type", `\`${op}\` takes strings, numbers or booleans, got ${describe(v)}`);
  return undefined;
}

/**
 * Compiles the pattern now, with the same compiler (and cache) the engine
 * uses, so a broken glob is reported at its position, not at run time, and
 * what validation accepts is exactly what the matcher and the index read.
 */
function checkedGlob(pattern: string, node: Node | null, field: string, ctx: ConditionContext): FieldTest {
  const { src } = ctx;
  if (field === "url") report(src, node, urlGlobProblem(pattern));
  const r = compilePattern(field, pattern, { cwd: ctx.cwd, caseInsensitive: ctx.caseInsensitive === true });
  if (!r.ok) src.add(node, "bad_glob", r.reason);
  else {
    if (r.pattern.floating) {
      src.warn(
        node,
        "bad_glob",
        `relative path pattern \`${pattern}\` matches at any depth (as \`**/${pattern}\`)`,
        "set `cwd:` at the top of the policy to anchor relative patterns",
      );
    }
    for (const w of r.pattern.warnings) src.warn(node, "bad_glob", w);
  }
  return { op: "glob", pattern };
}

function report(src: YamlSource, node: Node | null, p: OperandProblem | undefined): void {
  if (p) src.add(node, p.code, p.message, p.help);
}
