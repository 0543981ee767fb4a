import { embeddedPolicies } from "./configmap.js";
import type { PolicyError } from "./errors.js";
import type { PolicyIR, RuleIR } from "./ir.js";
import { validateFile } from "./validate.js";
import { YamlSource } from "./yaml-source.js";

/** A policy file's name (for error positions and derived rule ids) and text. */
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
    const inner = embedded.map((e) => {
      const src = new YamlSource(s.name, e.text, e.shift);
      src.idBase += `:${e.key}`;
      return src;
    });
    return [{ src: outer, ir: validateFile(new YamlSource(s.name, "rules: []")) }, ...inner.map((src) => ({ src, ir: validateFile(src) }))];
  });

  const ir: PolicyIR = { defaultAction: "deny", rules: [], sources: sources.map((s) => s.name) };
  let defaultFrom: string | undefined;
  let auditFrom: string | undefined;
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
    for (const r of f.rules) {
      const prior = ids.get(r.id);
      if (prior) src.addPos(r.source, "duplicate_id", `rule id \`${r.id}\` is already used at ${prior.source.file}:${prior.source.line}:${prior.source.column}`);
      ids.set(r.id, r);
      ir.rules.push(r);
    }
  }
  for (const { src } of files) problems.push(...[...src.errors].sort((a, b) => a.line - b.line || a.column - b.column));
  const errors = problems.filter((e) => e.severity === "error");
  const warnings = problems.filter((e) => e.severity === "warning");
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, ir, warnings };
}
