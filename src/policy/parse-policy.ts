import { embeddedPolicies } from "./configmap.js";
import type { PolicyError } from "./errors.js";
import { compilePattern } from "../match/compiled-pattern.js";
import type { Condition, FieldTest, PolicyIR, RuleIR } from "./ir.js";
import { derivedRuleId } from "./rule-id.js";
import { validateFile } from "./validate.js";
import { YamlSource } from "./yaml-source.js";

/** A policy file's name (for error positions; never part of the digest or of rule ids) and text. */
export interface PolicySource {
  name: string;
  text: string;
}

export type ParseResult = { ok: true; ir: PolicyIR; warnings: PolicyError[] } | { ok: false; errors: PolicyError[]; warnings: PolicyError[] };

/**
 * Validates one or more policy files (in the order given: rules concatenate)
 * into one policy. Every problem in every file is reported; a policy with any
 * error is never returned.
 */
export function parsePolicy(sources: readonly PolicySource[]): ParseResult {
  const problems: PolicyError[] = [];
  if (sources.length === 0) {
    problems.push({ code: "no_policy", message: "no policy files were given", file: "(none)", line: 1, column: 1, severity: "error" });
  }
  const files = sources.flatMap((s) => {
    const outer = new YamlSource(s.name, s.text);
    const embedded = outer.errors.length === 0 ? embeddedPolicies(outer) : undefined;
    if (embedded === undefined) return [{ src: outer, ir: validateFile(outer) }];
    if (embedded.length === 0) outer.addAt(0, "no_policy", "ConfigMap has no `data` entry ending in .yaml, .yml or .json");
    const inner = embedded.map((e) => new YamlSource(s.name, e.text, e.shift));
    return [{ src: outer, ir: validateFile(new YamlSource(s.name, "rules: []")) }, ...inner.map((src) => ({ src, ir: validateFile(src) }))];
  });

  const ir: PolicyIR = { defaultAction: "deny", rules: [], sources: sources.map((s) => s.name) };
  let defaultFrom: string | undefined;
  let auditFrom: string | undefined;
  let cwdFrom: string | undefined;
  const ids = new Map<string, RuleIR>();
  for (const { src, ir: f } of files) {
    if (f.defaultAction) {
      if (defaultFrom && f.defaultAction.value !== ir.defaultAction) {
        src.add(f.defaultAction.node, "conflict", `default \`${f.defaultAction.value}\` conflicts with \`${ir.defaultAction}\` in ${defaultFrom}`);
      }
      ir.defaultAction = f.defaultAction.value;
      defaultFrom = f.file;
    }
    if (f.cwd !== undefined) {
      if (ir.cwd !== undefined && ir.cwd !== f.cwd) src.addAt(0, "conflict", `\`cwd\` ${f.cwd} conflicts with ${ir.cwd} set in another file`);
      ir.cwd = f.cwd;
      cwdFrom ??= f.file;
    }
    if (f.paths) {
      if (ir.paths !== undefined && ir.paths.caseInsensitive !== f.paths.value.caseInsensitive) {
        src.add(f.paths.node, "conflict", `\`paths.caseInsensitive: ${f.paths.value.caseInsensitive}\` conflicts with another file`);
      }
      ir.paths = f.paths.value;
    }
    if (f.commandPaths !== undefined) {
      if (ir.commandPaths !== undefined) src.addAt(0, "conflict", "`commandPaths` is set in more than one file");
      ir.commandPaths = f.commandPaths;
    }
    if (f.shell !== undefined) {
      if (ir.shell !== undefined) src.addAt(0, "conflict", "`shell` is set in more than one file");
      ir.shell = f.shell;
    }
    if (f.audit) {
      if (auditFrom) src.addAt(0, "conflict", `\`audit\` is already set in ${auditFrom}`);
      ir.audit = f.audit;
      auditFrom = f.file;
    }
    if (f.description !== undefined && ir.description === undefined) ir.description = f.description;
    for (const fileRule of f.rules) {
      const r: RuleIR = { ...fileRule, id: fileRule.id ?? derivedRuleId(fileRule, ir.rules.length + 1) };
      const prior = ids.get(r.id);
      if (prior)
        src.addPos(r.source, "duplicate_id", `rule id \`${r.id}\` is already used at ${prior.source.file}:${prior.source.line}:${prior.source.column}`);
      ids.set(r.id, r);
      ir.rules.push(r);
    }
  }
  // Files validate their own path patterns; when another file makes the policy
  // case-insensitive, every path pattern must also compile folded.
  if (ir.paths?.caseInsensitive) {
    for (const { src, ir: f } of files) {
      if (f.paths?.value.caseInsensitive) continue;
      for (const r of f.rules) {
        for (const pattern of pathGlobs(r.when)) {
          const c = compilePattern("path", pattern, { cwd: ir.cwd, caseInsensitive: true });
          if (!c.ok) src.addPos(r.source, "bad_glob", `rule \`${r.id}\`: ${c.reason}`);
        }
      }
    }
  }
  // A relative pattern means "at any depth" in a file without `cwd:` (its own validation
  // says so) and "under cwd" once another file sets one: which one a deny protects must
  // not depend on which other files sit next to it, so the file has to say.
  if (ir.cwd !== undefined) {
    for (const { src, ir: f } of files) {
      if (f.cwd !== undefined) continue;
      for (const r of f.rules) {
        for (const pattern of pathGlobs(r.when)) {
          const c = compilePattern("path", pattern, {});
          if (c.ok && c.pattern.floating) {
            src.addPos(
              r.source,
              "bad_glob",
              `rule \`${r.id}\`: the relative path pattern \`${pattern}\` matches at any depth in this file, which sets no \`cwd\`, but the policy's cwd \`${ir.cwd}\` (from ${cwdFrom}) would anchor it there`,
              `set \`cwd: ${ir.cwd}\` in this file too, or write \`**/${pattern}\` (any depth) or \`${ir.cwd}/${pattern}\``,
            );
          }
        }
      }
    }
  }
  for (const { src } of files) problems.push(...[...src.errors].sort((a, b) => a.line - b.line || a.column - b.column));
  const errors = problems.filter((e) => e.severity === "error");
  const warnings = problems.filter((e) => e.severity === "warning");
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, ir, warnings };
}

/** The glob patterns on `path` in a rule's conditions. */
function pathGlobs(conditions: readonly Condition[]): string[] {
  const out: string[] = [];
  const test = (t: FieldTest) => {
    if (t.op === "glob") out.push(t.pattern);
    else if (t.op === "all" || t.op === "any") t.tests.forEach(test);
    else if (t.op === "not") test(t.test);
  };
  const cond = (c: Condition) => {
    if (c.kind === "field") {
      if (c.field === "path") test(c.test);
    } else if (c.kind === "not") cond(c.condition);
    else c.conditions.forEach(cond);
  };
  conditions.forEach(cond);
  return out;
}
