import { describe, expect, it } from "vitest";
import { canonicalAction, parsePolicy } from "../src/index.js";
import { errorsOf } from "./helpers.js";

const one = (text: string) => {
  const errs = errorsOf(text);
  expect(errs.length, JSON.stringify(errs)).toBeGreaterThan(0);
  return errs[0]!;
};

describe("action spellings", () => {
  it.each([
    ["file:read", "file.read"],
    ["file.read", "file.read"],
    ["file_read", "file.read"],
    ["FILE.READ", "file.read"],
    ["file:write", "file.write"],
    ["file_write", "file.write"],
    ["file.delete", "file.delete"],
    ["shell:execute", "shell.execute"],
    ["shell.execute", "shell.execute"],
    ["process.exec", "shell.execute"],
    ["shell_exec", "shell.execute"],
    ["network:request", "network.request"],
    ["network.request", "network.request"],
    ["network_request", "network.request"],
    ["env:read", "env.read"],
    ["mcp.call", "mcp.call"],
    ["payments.charge", "payments.charge"],
    ["payments.refund_all", "payments.refund_all"],
    ["*", "*"],
    ["file.*", "file.*"],
  ])("%s → %s", (raw, want) => {
    const a = canonicalAction(raw);
    expect(a.ok && a.action).toBe(want);
  });

  it.each([
    ["netwrok.request", "network.request"],
    ["file.raed", "file.read"],
    ["files.read", "file.read"],
    ["shell.exeucte", "shell.execute"],
  ])("%s is an error suggesting %s", (raw, hint) => {
    const a = canonicalAction(raw);
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.help).toContain(hint);
  });

  it("rejects unknown verbs of known namespaces", () => {
    expect(canonicalAction("file.chmod").ok).toBe(false);
    expect(canonicalAction("nonamespace").ok).toBe(false);
    expect(canonicalAction("a..b").ok).toBe(false);
  });
});

describe("policy documents", () => {
  it.each([["1"], ['"1"'], ['"1.0"'], ["1.0"]])("accepts version %s", (v) => {
    expect(errorsOf(`version: ${v}\nrules: []`)).toEqual([]);
  });

  it("accepts JSON with positions", () => {
    const ok = parsePolicy([
      { name: "p.json", text: '{"version":1,"defaultAction":"deny","rules":[{"action":"file.read","path":"/app/**","effect":"allow"}]}' },
    ]);
    expect(ok.ok).toBe(true);
    const e = one('{\n  "rules": [\n    {"action": "file.read", "pth": "/x", "effect": "allow"}\n  ]\n}');
    expect(e).toMatchObject({ code: "unknown_key", line: 3, column: 29, help: "did you mean `path`?" });
  });

  it("missing default means deny; `default:` is accepted", () => {
    const a = parsePolicy([{ name: "a.yaml", text: "rules: []" }]);
    expect(a.ok && a.ir.defaultAction).toBe("deny");
    const b = parsePolicy([{ name: "b.yaml", text: "default: allow\nrules: []" }]);
    expect(b.ok && b.ir.defaultAction).toBe("allow");
  });

  it("gives id-less rules an id from their position and content, never from the file name", () => {
    const text = "rules:\n- action: file.read\n  effect: deny\n- action: file.read\n  effect: allow";
    const ids = (name: string) => {
      const p = parsePolicy([{ name, text }]);
      return p.ok ? p.ir.rules.map((r) => r.id) : [];
    };
    expect(ids("dir/x.yaml")).toEqual([expect.stringMatching(/^rule-1-[0-9a-f]{8}$/), expect.stringMatching(/^rule-2-[0-9a-f]{8}$/)]);
    expect(ids("renamed.yaml")).toEqual(ids("dir/x.yaml"));
  });

  it("concatenates several files in order and rejects duplicate ids", () => {
    const ok = parsePolicy([
      { name: "a.yaml", text: "rules:\n- id: r1\n  action: file.read\n  effect: deny" },
      { name: "b.yaml", text: "rules:\n- id: r2\n  action: file.read\n  effect: allow" },
    ]);
    expect(ok.ok && ok.ir.rules.map((r) => r.id)).toEqual(["r1", "r2"]);
    const dup = parsePolicy([
      { name: "a.yaml", text: "rules:\n- id: r1\n  action: file.read\n  effect: deny" },
      { name: "b.yaml", text: "rules:\n- id: r1\n  action: file.read\n  effect: allow" },
    ]);
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.errors[0]).toMatchObject({ code: "duplicate_id", file: "b.yaml", line: 2, column: 3 });
  });

  it("rejects conflicting defaults across files", () => {
    const p = parsePolicy([
      { name: "a.yaml", text: "defaultAction: deny\nrules: []" },
      { name: "b.yaml", text: "defaultAction: allow\nrules: []" },
    ]);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.errors[0]).toMatchObject({ code: "conflict", file: "b.yaml", line: 1 });
  });
});

describe("every mistake is an error at its file:line:col", () => {
  it.each([
    ["rules:\n- action: netwrok.request\n  effect: deny", { code: "unknown_action", line: 2, column: 11, help: "did you mean `network.request`?" }],
    ["rules:\n- action: file.read\n  effect: alow", { code: "unknown_effect", line: 3, column: 11, help: "did you mean `allow`?" }],
    ["rules:\n- action: file.read\n  effect: maybe", { code: "unknown_effect", line: 3 }],
    ["rules:\n- action: file.read\n  pth: /x\n  effect: deny", { code: "unknown_key", line: 3, column: 3, help: "did you mean `path`?" }],
    ["rules:\n- action: file.read\n  effect: deny\n  conditons:\n    path: /x", { code: "unknown_key", line: 4, help: "did you mean `conditions`?" }],
    ["rules:\n- action: file.read\n  effect: deny\n  conditions:\n    paht: /x", { code: "unknown_key", line: 5, column: 5, help: "did you mean `path`?" }],
    ["rules:\n- action: file.read\n  effect: deny\n  path:\n    startswith: /x", { code: "unknown_key", line: 5, help: "did you mean `startsWith`?" }],
    ["rules:\n- action: file.read\n  effect: deny\n  path:\n    matches: '(a'", { code: "bad_regex", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  path:\n    matches: '(a)\\1'", { code: "bad_regex", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  path:\n    in: /x", { code: "bad_type", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  path:\n    exists: yes", { code: "bad_type", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  host: x.com", { code: "bad_value", line: 4, column: 3 }],
    ["rules:\n- action: file.read\n  effect: deny\n  path: /a/../b", { code: "bad_glob", line: 4 }],
    ["rules:\n- action: network.request\n  effect: deny\n  host: 'a b'", { code: "bad_glob", line: 4 }],
    ["rules:\n- effect: deny", { code: "missing_key", line: 2, column: 3 }],
    ["rules:\n- action: file.read", { code: "missing_key", line: 2 }],
    ["rules:\n- action: file.read\n  effect: allow\n  decision: deny", { code: "conflict", line: 4 }],
    ["rules:\n- action: file.read\n  effect: deny\n  rateLimit:\n    maxRequests: 0\n    window: 1m", { code: "bad_value", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  rateLimit:\n    maxRequests: 5\n    window: soon", { code: "bad_value", line: 6 }],
    ["rules:\n- action: file.read\n  effect: deny\n  schedule:\n    days: [funday]", { code: "bad_value", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  schedule:\n    hours: 9-5", { code: "bad_value", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  schedule:\n    timezone: Mars/Olympus", { code: "bad_value", line: 5 }],
    ["rules:\n- action: file.read\n  effect: deny\n  expiresAt: tomorrow", { code: "bad_value", line: 4 }],
    ["version: 2\nrules: []", { code: "bad_value", line: 1, column: 10 }],
    ["defaultAction: allwo\nrules: []", { code: "bad_value", help: "did you mean `allow`?" }],
    ["rulez: []", { code: "unknown_key", line: 1, column: 1, help: "did you mean `rules`?" }],
    ["rules: {}", { code: "bad_type", line: 1 }],
    ["- a\n- b", { code: "not_a_map", line: 1 }],
    ["", { code: "no_policy" }],
    ["rules:\n- action: file.read\n  action: file.write\n  effect: deny", { code: "yaml_syntax", line: 3 }],
    ["rules: [\n", { code: "yaml_syntax" }],
    ["audit:\n  sink: kafka\nrules: []", { code: "bad_value", line: 2 }],
    ["audit:\n  maxBytes: 0\nrules: []", { code: "bad_value", line: 2, column: 13, message: expect.stringContaining("at least 4096") }],
    ["audit:\n  maxBytes: 10MiB\nrules: []", { code: "bad_value", line: 2, column: 13 }],
    ["audit:\n  maxBytes: 4095.5\nrules: []", { code: "bad_value", line: 2 }],
    ["audit:\n  maxBytes: -10485760\nrules: []", { code: "bad_value", line: 2 }],
    ["audit:\n  maxBytes: '10485760'\nrules: []", { code: "bad_value", line: 2 }],
    ["audit:\n  maxbytes: 10485760\nrules: []", { code: "unknown_key", line: 2, help: "did you mean `maxBytes`?" }],
    ["cwd: relative\nrules: []", { code: "bad_value", line: 1 }],
  ])("%j", (text, want) => {
    expect(one(text)).toMatchObject({ file: "bad.yaml", severity: "error", ...want });
  });

  it("reports every error, not only the first", () => {
    const errs = errorsOf(
      "rules:\n- action: netwrok.request\n  effect: deny\n- action: file.read\n  effect: alow\n- action: file.read\n  effect: deny\n  pth: /x",
    );
    expect(errs.map((e) => e.line)).toEqual([2, 5, 8]);
  });

  it("bounds alias expansion (billion laughs)", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${"b" + i}: &b${i} [${Array(10)
          .fill(i === 0 ? "*a" : `*b${i - 1}`)
          .join(", ")}]`,
      );
    lines.push(`rules:\n- action: file.read\n  effect: deny\n  path: *b7`);
    const started = Date.now();
    const errs = errorsOf(lines.join("\n"));
    expect(errs.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("warns (not errors) when a relative path pattern floats", () => {
    const p = parsePolicy([{ name: "w.yaml", text: "rules:\n- action: file.write\n  path: 'src/**'\n  effect: allow" }]);
    expect(p.ok).toBe(true);
    expect(p.warnings[0]).toMatchObject({ severity: "warning", line: 3, column: 9 });
  });
});

describe("condition keys documented on a rule work on a rule", async () => {
  const { engineFromText } = await import("./helpers.js");
  it.each([
    [
      "not: directly on a rule",
      "rules:\n- id: r\n  action: file.read\n  not: {path: '/etc/**'}\n  effect: allow",
      [
        ["/app/x", "allow"],
        ["/etc/passwd", "deny"],
      ],
    ],
    [
      "any: directly on a rule",
      "rules:\n- id: r\n  action: file.read\n  any: [{path: '/a/**'}, {path: '/b/**'}]\n  effect: allow",
      [
        ["/a/x", "allow"],
        ["/b/y", "allow"],
        ["/c/z", "deny"],
      ],
    ],
    [
      "all: directly on a rule",
      "rules:\n- id: r\n  action: file.read\n  all: [{path: '/a/**'}, {path: '**/*.md'}]\n  effect: allow",
      [
        ["/a/x.md", "allow"],
        ["/a/x.ts", "deny"],
        ["/b/x.md", "deny"],
      ],
    ],
    [
      "not: and a field together",
      "rules:\n- id: r\n  action: file.read\n  path: '/app/**'\n  not: {path: '**/.env'}\n  effect: allow",
      [
        ["/app/src/a.ts", "allow"],
        ["/app/.env", "deny"],
      ],
    ],
    [
      "rule-level any: in a deny before an allow",
      "rules:\n- id: d\n  action: file.read\n  any: [{path: '**/.env'}, {path: '**/*.pem'}]\n  effect: deny\n- {id: a, action: file.read, path: '/app/**', effect: allow}",
      [
        ["/app/.env", "deny"],
        ["/app/k.pem", "deny"],
        ["/app/k.ts", "allow"],
      ],
    ],
  ])("%s", async (_n, text, cases) => {
    const e = await engineFromText(text);
    for (const [path, want] of cases) expect({ path, d: e.check({ action: "file.read", path }).decision }).toEqual({ path, d: want });
  });

  it("same meaning, same digest, as under `conditions:`", () => {
    const a = parsePolicy([{ name: "a.yaml", text: "rules:\n- {id: r, action: file.read, effect: allow, not: {path: '/etc/**'}}" }]);
    const b = parsePolicy([{ name: "a.yaml", text: "rules:\n- {id: r, action: file.read, effect: allow, conditions: {not: {path: '/etc/**'}}}" }]);
    expect(a.ok && b.ok && JSON.stringify(a.ir.rules[0]!.when)).toBe(b.ok && JSON.stringify(b.ir.rules[0]!.when));
  });

  it.each([
    ["a misspelled composer is still an unknown key", "rules:\n- {action: file.read, effect: allow, nto: {path: /x}}", "unknown_key"],
    ["any: must be a list", "rules:\n- {action: file.read, effect: allow, any: {path: /x}}", "bad_type"],
    ["not: must be a map", "rules:\n- {action: file.read, effect: allow, not: [/x]}", "bad_type"],
    ["a field under not: is checked against the action", "rules:\n- {action: file.read, effect: allow, not: {host: x.com}}", "bad_value"],
    ["effect: constructor is not an effect", "rules:\n- {action: file.read, path: /x, effect: constructor}", "unknown_effect"],
    ["effect: toString is not an effect", "rules:\n- {action: file.read, path: /x, effect: toString}", "unknown_effect"],
    [
      "window: 1 constructor is not a duration",
      "rules:\n- {action: file.read, path: /x, effect: allow, rateLimit: {maxRequests: 1, window: '1 constructor'}}",
      "bad_value",
    ],
  ])("%s", (_n, text, code) => {
    expect(one(text)).toMatchObject({ code });
  });
});
