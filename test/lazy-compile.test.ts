import { describe, expect, it } from "vitest";
import { compileCondition, lazyCondition, mayHaveKeys } from "../src/engine/compile-test.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import { createEngine } from "../src/engine/engine.js";
import type { Condition, FieldTest } from "../src/policy/ir.js";

/**
 * Conditions compile on first use (engine/compile-test.ts `lazyCondition`).
 * What the rule index reads before anything compiles (`index`) must be what
 * the eager compile gives, on every field and operator: a rule filed under
 * the wrong keys, or under none it should have, would be skipped by the
 * index and a deny missed.
 */
const FIELDS = ["path", "host", "command", "key", "url", "agent", "method", "scheme", "port", "server", "tool", "context.dir", "arguments.file"];

const TESTS: FieldTest[] = [
  { op: "glob", pattern: "/srv/app/**" },
  { op: "glob", pattern: "**/*.log" },
  { op: "glob", pattern: "api.example.com" },
  { op: "glob", pattern: "*.internal" },
  { op: "glob", pattern: "smtp.*" },
  { op: "glob", pattern: "git push*" },
  { op: "glob", pattern: "{a,b} x*" },
  { op: "glob", pattern: "AWS_*" },
  { op: "glob", pattern: "*" },
  { op: "eq", value: "/etc/passwd" },
  { op: "eq", value: "SECRET" },
  { op: "in", values: ["/a", "/b", "c"] },
  { op: "in", values: ["x.example.com", "y.example.com"] },
  { op: "neq", value: "x" },
  { op: "notIn", values: ["x", "y"] },
  { op: "startsWith", value: "/srv/" },
  { op: "endsWith", value: ".example.com" },
  { op: "contains", value: "secret" },
  { op: "matches", regex: "^deploy-[0-9]+$" },
  { op: "exists", value: true },
  {
    op: "all",
    tests: [
      { op: "glob", pattern: "/srv/**" },
      { op: "not", test: { op: "glob", pattern: "**/*.lock" } },
    ],
  },
  {
    op: "any",
    tests: [
      { op: "glob", pattern: "/a/**" },
      { op: "glob", pattern: "/b/**" },
    ],
  },
  { op: "not", test: { op: "glob", pattern: "/srv/**" } },
];

const conditions: Condition[] = [];
for (const field of FIELDS)
  for (const test of TESTS) if (!(field === "port" && test.op !== "exists" && test.op !== "eq")) conditions.push({ kind: "field", field, test });
conditions.push(
  { kind: "any", conditions: [conditions[0]!, conditions[1]!] },
  { kind: "all", conditions: [conditions[2]!] },
  { kind: "all", conditions: [{ kind: "all", conditions: [conditions[0]!] }] },
  { kind: "all", conditions: [conditions[0]!, conditions[1]!] },
  { kind: "not", condition: conditions[0]! },
);

describe("a condition compiled on first use", () => {
  it("has a pattern set on both sides of the check (some keyed, some not)", () => {
    const keyed = conditions.filter((c) => {
      try {
        return compileCondition(c, { cwd: "/srv" }).index !== undefined;
      } catch {
        return false; // e.g. a path glob read as a host pattern
      }
    });
    expect(keyed.length).toBeGreaterThan(20);
    expect(conditions.length - keyed.length).toBeGreaterThan(20);
  });

  it.each(conditions.map((c) => [JSON.stringify(c), c] as const))("gives the index the keys the eager compile gives: %s", (_what, c) => {
    const opts = { cwd: "/srv" };
    let eager: unknown;
    try {
      eager = compileCondition(c, opts).index;
    } catch (e) {
      // What cannot compile eagerly throws when the index asks too, or has no keys to give.
      const lazy = lazyCondition(c, opts);
      if (c.kind === "field" && mayHaveKeys(c.field)) expect(() => lazy.index).toThrow((e as Error).message);
      return;
    }
    expect(lazyCondition(c, opts).index).toEqual(eager);
    // Fields the index cannot key on never have keys, so asking compiles nothing.
    if (c.kind === "field" && !mayHaveKeys(c.field)) expect(eager).toBeUndefined();
  });
});

const POLICY_TEXT = `rules:
- {id: deny-env, action: file.*, path: '**/.env', effect: deny}
- {id: read-app, action: file.read, path: '/app/**', effect: allow}
- {id: deploy, action: shell.execute, command: {matches: '^deploy-[0-9]+$'}, effect: require_approval}
- {id: git, action: shell.execute, command: 'git *', effect: allow}
- {id: bot, action: '*', agent: {matches: '^bot-'}, effect: deny}
`;

describe("a policy whose rules compile on first use", () => {
  const requests: Array<[Record<string, unknown>, string, string | null]> = [
    [{ action: "file.read", path: "/app/.env" }, "deny", "deny-env"],
    [{ action: "file.read", path: "/app/src/x.ts" }, "allow", "read-app"],
    [{ action: "shell.execute", command: "deploy-42" }, "require_approval", "deploy"],
    [{ action: "shell.execute", command: "git status" }, "allow", "git"],
    [{ action: "shell.execute", command: "git status", agent: "bot-1" }, "allow", "git"],
    [{ action: "shell.execute", command: "ls", agent: "bot-1" }, "deny", "bot"],
    [{ action: "env.read", key: "HOME" }, "deny", null],
  ];

  it.each(requests.map((_, start) => [start]))("decides as written whichever request comes first (starting at %i), and the same again", async (start) => {
    const r = await loadPolicy([{ name: "p.yaml", text: POLICY_TEXT }]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const engine = createEngine(r.policy);
    for (let k = 0; k < requests.length * 2; k++) {
      const [q, decision, rule] = requests[(start + k) % requests.length]!;
      expect(engine.check(q)).toMatchObject({ decision, rule });
    }
  });

  it("explains a rule no decision has reached yet with its conditions", async () => {
    const r = await loadPolicy([{ name: "p.yaml", text: POLICY_TEXT }]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const d = createEngine(r.policy).check({ action: "file.read", path: "/etc/x" }, { explain: true });
    expect(d.decision).toBe("deny");
    expect(JSON.stringify(d.explain)).toContain("read-app");
  });
});
