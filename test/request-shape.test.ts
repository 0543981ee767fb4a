import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineFromText } from "./helpers.js";

/**
 * Request shape, attacked: every case is a request an attacker would send to
 * make the engine read something other than what the consumer acts on, or to
 * knock the engine over. Each is run in process and through the CLI contract
 * (`safeclaw check --policy P`, JSON lines in, one decision line out).
 */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;

// A permissive policy: whatever gets through the request checks is allowed,
// so a case that is not refused shows up as an allow.
const POLICY = `defaultAction: allow
rules:
  - {id: no-etc, action: file.*, path: "/etc/**", effect: deny}
  - {id: no-secret-env, action: env.read, key: "AWS_*", effect: deny}
  - {id: ci-anything, action: "*", agent: "ci-*", effect: allow}
`;

type Case = [name: string, line: string, expect: { decision: string; error?: string; field?: string; reason?: RegExp }];

const NUL = "\\u0000";
const CASES: Case[] = [
  // duplicate keys: last-wins would read /app/x, a first-wins consumer /etc/passwd
  [
    "duplicate path, last wins",
    '{"action":"file.read","path":"/etc/passwd","path":"/app/x"}',
    { decision: "deny", error: "invalid_request", field: "path", reason: /duplicate key `path`/ },
  ],
  ["duplicate action", '{"action":"file.read","action":"custom.thing","path":"/etc/passwd"}', { decision: "deny", error: "invalid_request", field: "action" }],
  [
    "duplicate agent to borrow ci-*",
    '{"action":"file.read","path":"/etc/x","agent":"ci-bot","agent":"me"}',
    { decision: "deny", error: "invalid_request", field: "agent" },
  ],
  [
    "duplicate inside context",
    '{"action":"pay.charge","context":{"amount":1,"amount":1000000}}',
    { decision: "deny", error: "invalid_request", field: "context.amount" },
  ],
  [
    "duplicate inside arguments",
    '{"action":"mcp.call","server":"fs","tool":"read","arguments":{"path":"/app/a","path":"/etc/shadow"}}',
    { decision: "deny", error: "invalid_request", field: "arguments.path" },
  ],
  [
    "duplicate key written with an escape",
    '{"action":"file.read","path":"/etc/passwd","p\\u0061th":"/app/x"}',
    { decision: "deny", error: "invalid_request", field: "path" },
  ],
  // prototype keys
  ["action constructor", '{"action":"constructor"}', { decision: "deny", error: "invalid_request", field: "action" }],
  ["action __proto__", '{"action":"__proto__"}', { decision: "deny", error: "invalid_request", field: "action" }],
  ["action toString", '{"action":"toString"}', { decision: "deny", error: "invalid_request", field: "action" }],
  ["action hasOwnProperty", '{"action":"hasOwnProperty"}', { decision: "deny", error: "invalid_request", field: "action" }],
  ["action x.constructor is a custom action like any other", '{"action":"x.constructor"}', { decision: "allow" }],
  ["action x.__proto__", '{"action":"x.__proto__"}', { decision: "deny", error: "invalid_request", field: "action" }],
  [
    "__proto__ field on a file read",
    '{"action":"file.read","path":"/x","__proto__":{"path":"/etc/passwd"}}',
    { decision: "deny", error: "invalid_request", field: "__proto__" },
  ],
  [
    "constructor field",
    '{"action":"file.read","path":"/x","constructor":{"prototype":{"agent":"ci-bot"}}}',
    { decision: "deny", error: "invalid_request", field: "constructor" },
  ],
  [
    "__proto__ inside context does not pollute",
    '{"action":"file.read","path":"/etc/x","context":{"__proto__":{"agent":"ci-bot"}}}',
    { decision: "deny", reason: /no-etc|rule no-etc/ },
  ],
  ["env key named __proto__", '{"action":"env.read","key":"__proto__"}', { decision: "allow" }],
  ["mcp server constructor", '{"action":"mcp.call","server":"constructor","tool":"__proto__"}', { decision: "allow" }],
  // numbers
  ["port 1e309 (Infinity)", '{"action":"network.request","host":"example.com","port":1e309}', { decision: "deny", error: "invalid_request", field: "port" }],
  ["port -1e309", '{"action":"network.request","host":"example.com","port":-1e309}', { decision: "deny", error: "invalid_request", field: "port" }],
  ["port 80.5", '{"action":"network.request","host":"example.com","port":80.5}', { decision: "deny", error: "invalid_request", field: "port" }],
  ["port as a string", '{"action":"network.request","host":"example.com","port":"80"}', { decision: "deny", error: "invalid_request", field: "port" }],
  [
    "integer past 2^53 in context",
    '{"action":"pay.charge","context":{"amount":9007199254740993}}',
    { decision: "deny", error: "invalid_request", field: "context.amount" },
  ],
  ["huge exponent in context", '{"action":"pay.charge","context":{"amount":1e400}}', { decision: "deny", error: "invalid_request", field: "context.amount" }],
  // control characters
  ["NUL in agent", `{"action":"file.read","path":"/x","agent":"ci-bot${NUL}"}`, { decision: "deny", error: "invalid_request", field: "agent" }],
  ["NUL in id", `{"action":"file.read","path":"/x","id":"a${NUL}b"}`, { decision: "deny", error: "invalid_request", field: "id" }],
  ["NUL in cwd", `{"action":"file.read","path":"x","cwd":"/app${NUL}/etc"}`, { decision: "deny", error: "invalid_request", field: "cwd" }],
  ["NUL in path", `{"action":"file.read","path":"/app/x${NUL}/etc/passwd"}`, { decision: "deny", error: "invalid_request", field: "path" }],
  ["NUL in key", `{"action":"env.read","key":"HOME${NUL}AWS_SECRET"}`, { decision: "deny", error: "invalid_request", field: "key" }],
  ["NUL in server", `{"action":"mcp.call","server":"fs${NUL}","tool":"t"}`, { decision: "deny", error: "invalid_request", field: "server" }],
  ["NUL in tool", `{"action":"mcp.call","server":"fs","tool":"t${NUL}"}`, { decision: "deny", error: "invalid_request", field: "tool" }],
  ["NUL in command", `{"action":"shell.execute","command":"ls${NUL}; rm -rf /"}`, { decision: "deny", error: "invalid_request", field: "command" }],
  ["NUL in action", `{"action":"file.read${NUL}","path":"/x"}`, { decision: "deny", error: "invalid_request", field: "action" }],
  [
    "newline in agent (forged log line)",
    '{"action":"file.read","path":"/x","agent":"me\\n{\\"agent\\":\\"ci-bot\\"}"}',
    { decision: "deny", error: "invalid_request", field: "agent" },
  ],
  ["CR in id", '{"action":"file.read","path":"/x","id":"a\\rb"}', { decision: "deny", error: "invalid_request", field: "id" }],
  ["ESC in tool (terminal escape)", '{"action":"mcp.call","server":"fs","tool":"\\u001b[2Jt"}', { decision: "deny", error: "invalid_request", field: "tool" }],
  ["C1 NEL in agent", '{"action":"file.read","path":"/x","agent":"a\\u0085b"}', { decision: "deny", error: "invalid_request", field: "agent" }],
  ["DEL in server", '{"action":"mcp.call","server":"f\\u007fs","tool":"t"}', { decision: "deny", error: "invalid_request", field: "server" }],
  ["newline in a path segment", '{"action":"file.read","path":"/etc\\n/passwd"}', { decision: "deny", error: "uncertain", field: "path" }],
  ["tab in url", '{"action":"network.request","url":"http://exa\\tmple.com/"}', { decision: "deny", error: "uncertain", field: "url" }],
  [
    "CR in a command hides text on a terminal",
    '{"action":"shell.execute","command":"rm -rf / \\r echo hello"}',
    { decision: "deny", error: "uncertain", field: "command" },
  ],
  ["tab and newline in a command are shell syntax", '{"action":"shell.execute","command":"ls\\t-l\\necho ok"}', { decision: "allow" }],
  ["lone surrogate in agent", '{"action":"file.read","path":"/x","agent":"ci-\\ud800"}', { decision: "deny", error: "invalid_request", field: "agent" }],
  ["lone surrogate in path", '{"action":"file.read","path":"/etc/\\udc00passwd"}', { decision: "deny", error: "invalid_request", field: "path" }],
  // env keys
  ["env key with a space", '{"action":"env.read","key":"AWS SECRET"}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key with $", '{"action":"env.read","key":"$AWS_SECRET"}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key with *", '{"action":"env.read","key":"AW*"}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key with =", '{"action":"env.read","key":"A=B"}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key starting with a digit", '{"action":"env.read","key":"1PASSWORD"}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key empty", '{"action":"env.read","key":""}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key with a dot", '{"action":"env.read","key":"AWS.SECRET"}', { decision: "deny", error: "invalid_request", field: "key" }],
  ["env key lower-case is a name", '{"action":"env.read","key":"http_proxy"}', { decision: "allow" }],
  ["env key AWS_ denied by its rule", '{"action":"env.read","key":"AWS_SECRET_ACCESS_KEY"}', { decision: "deny", reason: /no-secret-env/ }],
  // shapes
  ["request is an array", "[]", { decision: "deny", error: "invalid_request" }],
  ["request is a string", '"file.read"', { decision: "deny", error: "invalid_request" }],
  [
    "nesting 200 deep in context",
    '{"action":"pay.charge","context":' + '{"a":'.repeat(200) + "1" + "}".repeat(200) + "}",
    { decision: "deny", error: "invalid_request" },
  ],
];

describe("request shape attacks, in process", async () => {
  const { parseStrictJson } = await import("../src/request/strict-json.js");
  const engine = await engineFromText(POLICY);
  it.each(CASES)("%s", (_name, line, want) => {
    // the engine sees what the strict reader makes of the line; a refusal there is the CLI's and the HTTP API's answer
    const parsed = parseStrictJson(line);
    const d = parsed.ok ? engine.check(parsed.value) : { decision: "deny", error: "invalid_request", field: parsed.at, reason: parsed.message };
    expect(d).toMatchObject({ decision: want.decision, ...(want.error ? { error: want.error } : {}), ...(want.field ? { field: want.field } : {}) });
    if (want.reason) expect(d.reason).toMatch(want.reason);
    if (want.decision === "allow") expect(d).not.toHaveProperty("error");
  });

  it.each([
    ["Infinity", { action: "network.request", host: "example.com", port: Infinity }, "port"],
    ["NaN", { action: "network.request", host: "example.com", port: NaN }, "port"],
    ["Infinity in context", { action: "pay.charge", context: { n: Infinity } }, "context"],
    ["a function in context", { action: "pay.charge", context: { f: () => 1 } }, "context"],
    ["a Date in arguments", { action: "mcp.call", server: "s", tool: "t", arguments: { d: new Date(0) } }, "arguments"],
    ["undefined in context", { action: "pay.charge", context: { u: undefined } }, "context"],
    ["a BigInt in context", { action: "pay.charge", context: { b: 1n } }, "context"],
  ])("in-process callers: %s is refused, not converted", (_n, req, field) => {
    expect(engine.check(req)).toMatchObject({ decision: "deny", error: "invalid_request", field });
  });

  it("a circular context is refused, not a stack overflow", () => {
    const ctx: Record<string, unknown> = {};
    ctx.self = ctx;
    expect(engine.check({ action: "pay.charge", context: ctx })).toMatchObject({ decision: "deny", error: "invalid_request", field: "context" });
  });

  it("a polluted Object.prototype does not fill in fields", () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.agent = "ci-bot";
    try {
      expect(engine.check({ action: "file.read", path: "/etc/passwd" })).toMatchObject({ decision: "deny", rule: "no-etc" });
      expect(engine.check({ action: "env.read", key: "X" })).toMatchObject({ decision: "allow", rule: null });
    } finally {
      delete proto.agent;
    }
  });
});

describe("request shape attacks, through `safeclaw check` (one decision line per request line)", () => {
  it("every case decides as in process, in order, ids echoed", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-shape-"));
    writeFileSync(join(dir, "p.yaml"), POLICY);
    // each line carries an id when it can (a case about the id itself keeps its own)
    const lines = CASES.map(([, line], i) => (line.startsWith("{") && !line.includes('"id"') ? `{"id":"case-${i}",${line.slice(1)}` : line));
    const env = { ...process.env };
    delete env.SAFECLAW_AUDIT_SINK;
    const r = spawnSync(process.execPath, [BIN, "check", "--policy", join(dir, "p.yaml")], {
      input: lines.join("\n") + "\n",
      encoding: "utf8",
      env,
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(CASES.length);
    CASES.forEach(([name, line, want], i) => {
      const d = out[i];
      expect({ name, decision: d.decision, error: d.error }).toEqual({ name, decision: want.decision, error: want.error });
      if (want.field) expect({ name, field: d.field }).toEqual({ name, field: want.field });
      // the id is echoed whenever the line could be read (not for duplicate keys or broken JSON)
      if (line.startsWith("{") && !line.includes('"id"') && d.error !== "invalid_request") expect({ name, id: d.id }).toEqual({ name, id: `case-${i}` });
    });
  });

  it("a CR inside a JSON line is whitespace: it does not split the request or shift later answers", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-cr-"));
    writeFileSync(join(dir, "p.yaml"), POLICY);
    const input = [
      '{"id":"a","action":"file.read",\r"path":"/etc/passwd"}',
      '{"id":"b","action":"file.read","path":"/app/x"}\r',
      '{"id":"c",\r\n',
      '"action":"file.read","path":"/app/y"}',
      "",
    ].join("\n");
    const env = { ...process.env };
    delete env.SAFECLAW_AUDIT_SINK;
    const r = spawnSync(process.execPath, [BIN, "check", "--policy", join(dir, "p.yaml")], { input, encoding: "utf8", env, timeout: 30_000 });
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // four request lines: a (deny by rule), b (allow, CRLF), "c" broken over two lines: two bad lines, still aligned
    expect(out.map((d) => [d.id ?? null, d.decision, d.error ?? null])).toEqual([
      ["a", "deny", null],
      ["b", "allow", null],
      [null, "deny", "bad_json"],
      [null, "deny", "bad_json"],
    ]);
  });
});
