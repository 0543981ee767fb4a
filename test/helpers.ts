import { createEngine, loadPolicy, parsePolicy, type Decision, type Engine, type PolicyError } from "../src/index.js";
import { readPolicySources } from "../src/runtime/node/policy-files.js";

export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

export async function engineFromText(text: string, opts: Parameters<typeof createEngine>[1] = {}): Promise<Engine> {
  const r = await loadPolicy([{ name: "test.yaml", text }]);
  if (!r.ok) throw new Error("policy failed to load:\n" + r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n"));
  return createEngine(r.policy, opts);
}

export async function engineFromFixture(path: string, opts: Parameters<typeof createEngine>[1] = {}): Promise<Engine> {
  const r = await loadPolicy(readPolicySources([FIXTURES + path]));
  if (!r.ok) throw new Error("fixture failed to load:\n" + r.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`).join("\n"));
  return createEngine(r.policy, opts);
}

export function errorsOf(text: string, name = "bad.yaml"): PolicyError[] {
  const r = parsePolicy([{ name, text }]);
  return r.ok ? [] : r.errors;
}

/** A compact view of a decision for table-driven expectations. */
export function verdict(d: Decision): string {
  return d.decision;
}
