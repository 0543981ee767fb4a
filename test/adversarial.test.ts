import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApp,
  createEngine,
  decideToolCall,
  gateMcpMessage,
  loadPolicy,
  makeBundle,
  mapToolCall,
  openAIToolCalls,
  strictest,
  verifyLines,
  withGuards,
  type Decision,
  type Engine,
} from "../src/index.js";
import { createLambdaHandler } from "../src/lambda.js";
import { hookGuardSource } from "../src/runtime/node/hook-guard.js";
import { parseStrictJson } from "../src/request/strict-json.js";
import { readPolicySources } from "../src/runtime/node/policy-files.js";

/**
 * The adversarial corpus (test/fixtures/adversarial/*.jsonl): every attack we
 * tried on the doors other than the shell, as data, each named for the attack
 * and carrying the decision a security engineer reading the policy expects.
 * Each case goes through every door it can reach, and all must give that
 * decision (so they agree with each other):
 *
 * - `cli`: the real `safeclaw check --policy P` process, one per policy, all
 *   its cases as JSON lines (raw text and raw bytes too), in file order;
 * - `http`: the Hono app in process (`createApp(...).request`), which reads
 *   the body strictly and maps bearer tokens to agents;
 * - `engine`: `createEngine(...).check(request)` (the library entry);
 * - `lambda`: the Lambda handler invoked directly (`{action, ...}` events);
 * - `worker`: the same HTTP app inside workerd (Miniflare), wherever the
 *   `http` door goes (its URL parser and TextDecoder are not Node's).
 *
 * Hook cases (`hook`, or `hookRaw` text) run the in-process tool mapping, and
 * those marked `hookProcess` the real `safeclaw hook claude-code` too; MCP
 * cases (`mcp`) run the real `safeclaw mcp-proxy` in front of an echo server
 * and `gateMcpMessage` (with the proxy's guard of its own files; `{DIR}` in
 * a message is the corpus directory); OpenAI tool calls (`openai`) go through
 * `openAIToolCalls` and `decideToolCall`; audit cases (`audit.jsonl`) edit a
 * trail the real CLI wrote and run `verifyLines` (and, marked `cli`,
 * `safeclaw audit verify`); policy cases with `invalid` must be refused by
 * `safeclaw validate` and `loadPolicy`.
 *
 * A case marked `known` is a hole we found and did not fix: it runs like any
 * other and fails, under a title starting with `KNOWN`, so the list of open
 * holes is the list of red tests.
 *
 * A case marked `limitation` is a hole we decided not to close in the engine
 * (README "Known limitations" says why and what to do instead): `expect` is
 * the decision a complete gate would give, `today` the one we give, and the
 * test checks `today` under a title starting with `LIMITATION`, so closing
 * the hole fails the test until the case is moved back to `expect`.
 */
const DIR = new URL("./fixtures/adversarial/", import.meta.url).pathname;
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const ECHO_SERVER = join(DIR, "echo-server.mjs");
type Verdict = "allow" | "deny" | "require_approval";
type Door = "cli" | "http" | "engine" | "lambda" | "worker";

interface Case {
  name: string;
  file: string;
  policy: string;
  why: string;
  expect: Verdict;
  expectError?: string;
  /** the HTTP status the app answers with (default: what the error code implies) */
  status?: number;
  known?: string;
  /** a documented hole (README "Known limitations"): the decision given today */
  limitation?: string;
  today?: Verdict;
  /** the request as JSON (every door) ... */
  request?: unknown;
  /** ... or as text (CLI and HTTP: duplicate keys, escapes, numbers) ... */
  raw?: string;
  /** ... or as bytes, base64 (CLI and HTTP: encodings) */
  rawBase64?: string;
  /** a Lambda event of its own (the Lambda door only) */
  lambdaEvent?: unknown;
  /** a batch: POST /v1/check/batch, `{requests}` to Lambda, one line each to the CLI; the answer is the strictest */
  batch?: unknown[];
  /** the HTTP door's content-type (default application/json) */
  contentType?: string;
  /** only these doors (e.g. identity cases need the HTTP door's tokens) */
  doors?: Door[];
  /** SAFECLAW_API_TOKENS for the HTTP door, and the bearer token sent */
  tokens?: string;
  bearer?: string;
  /** requests decided first, in the same process/engine (rate limits) */
  before?: { request: unknown; times: number; varyAgent?: string };
  /** a Claude Code PreToolUse event for `safeclaw hook claude-code` (or its text) */
  hook?: { tool_name: string; tool_input?: unknown; cwd?: string };
  hookRaw?: string;
  /** run the real hook process too (one process per event, so only for some: the mapping is the same code in process) */
  hookProcess?: boolean;
  /** the hook process's extra arguments and environment (misconfigurations must still answer a deny) */
  hookArgs?: string[];
  hookEnv?: Record<string, string>;
  /** an OpenAI tool call (`arguments` is the model's JSON text), decided by openAIToolCalls + decideToolCall */
  openai?: { name: string; arguments: string };
  /** a JSON-RPC message (or its text) for `safeclaw mcp-proxy --server <mcpServer>` */
  mcp?: unknown;
  mcpRaw?: string;
  mcpServer?: string;
  /** the policy must be refused: this error code at validation (`discovery`: the directory is refused before it) */
  invalid?: string;
}

interface AuditCase {
  name: string;
  file: string;
  why: string;
  trail: "json" | "ocsf";
  edits: Array<{ find: string; replace: string; flags?: string }>;
  append?: string[];
  expect: "intact" | "broken";
  known?: string;
  /** run `safeclaw audit verify` on it too (one process per trail; verifyLines is the same code in process) */
  cli?: boolean;
}

const ENV = (() => {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith("SAFECLAW_")) delete e[k];
  return e;
})();

function readCases(): { cases: Case[]; audits: AuditCase[] } {
  const cases: Case[] = [];
  const audits: AuditCase[] = [];
  for (const f of readdirSync(DIR)
    .filter((x) => x.endsWith(".jsonl"))
    .sort()) {
    readFileSync(join(DIR, f), "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.trim() === "") return;
        const c = JSON.parse(line) as Record<string, unknown>;
        if (typeof c.name !== "string" || typeof c.why !== "string") throw new Error(`${f}:${i + 1}: a case needs name and why`);
        if (f === "audit.jsonl") audits.push({ ...(c as unknown as AuditCase), file: f });
        else cases.push({ ...(c as unknown as Case), file: f });
      });
  }
  const seen = new Set<string>();
  for (const c of [...cases, ...audits]) {
    if (seen.has(c.name)) throw new Error(`duplicate case name: ${c.name}`);
    seen.add(c.name);
  }
  return { cases, audits };
}

const { cases: CASES, audits: AUDITS } = readCases();

interface Outcome {
  decision?: string;
  error?: string;
  status?: number;
  /** what went wrong running the door at all */
  failure?: string;
}

/** Runs a command with stdin, resolves with stdout/stderr/exit code. */
function run(
  args: string[],
  input: Buffer | string,
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...ENV, ...opts.env }, cwd: opts.cwd ?? DIR });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

async function limited<T>(tasks: Array<() => Promise<T>>, n = 4): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const k = next++;
        out[k] = await tasks[k]!();
      }
    }),
  );
  return out;
}

const isHook = (c: Case) => c.hook !== undefined || c.hookRaw !== undefined;
const isMcp = (c: Case) => c.mcp !== undefined || c.mcpRaw !== undefined;
const isBatch = (c: Case) => c.batch !== undefined;
const isOpenAI = (c: Case) => c.openai !== undefined;
const isDecisionCase = (c: Case) => c.invalid === undefined && !isHook(c) && !isMcp(c) && !isOpenAI(c);
const doorsOf = (c: Case): Door[] => {
  const doors: Door[] =
    c.doors ??
    (c.lambdaEvent !== undefined
      ? ["lambda"]
      : c.raw !== undefined || c.rawBase64 !== undefined || c.contentType !== undefined
        ? ["cli", "http"]
        : c.tokens !== undefined
          ? ["http"]
          : ["cli", "http", "engine", "lambda"]);
  // The Worker answers what the HTTP app answers, in workerd instead of Node.
  return doors.includes("http") ? [...doors, "worker"] : doors;
};

function beforeRequests(c: Case): unknown[] {
  if (!c.before) return [];
  return Array.from({ length: c.before.times }, (_, i) =>
    c.before!.varyAgent ? { ...(c.before!.request as object), agent: `${c.before!.varyAgent}${i}` } : c.before!.request,
  );
}

const requestBytes = (c: Case): Buffer =>
  c.rawBase64 !== undefined ? Buffer.from(c.rawBase64, "base64") : Buffer.from(c.raw ?? JSON.stringify(c.request), "utf8");

const results = new Map<
  string,
  Partial<Record<Door | "hook-cli" | "hook-inproc" | "proxy-cli" | "proxy-inproc" | "openai-inproc" | "validate-cli" | "validate-inproc", Outcome>>
>();
const auditResults = new Map<string, { cli?: string; inproc?: string; failure?: string }>();
const put = (name: string, door: string, o: Outcome) => {
  const r = results.get(name) ?? {};
  (r as Record<string, Outcome>)[door] = o;
  results.set(name, r);
};

async function engineFor(policy: string): Promise<Engine> {
  const loaded = await loadPolicy(readPolicySources([join(DIR, policy)]));
  if (!loaded.ok) throw new Error(`${policy} does not load: ${loaded.errors.map((e) => e.message).join("; ")}`);
  return createEngine(loaded.policy);
}

/** The CLI door: one `safeclaw check` per policy, every case (and its `before` lines) as one line each. */
async function cliDoor(policy: string, cases: Case[]): Promise<void> {
  const lines: Buffer[] = [];
  const owners: Array<string | undefined> = [];
  for (const c of cases) {
    for (const b of beforeRequests(c)) {
      lines.push(Buffer.from(JSON.stringify(b)));
      owners.push(undefined);
    }
    const items = isBatch(c) ? c.batch!.map((q) => Buffer.from(JSON.stringify(q))) : [requestBytes(c)];
    for (const bytes of items) {
      if (bytes.includes(0x0a)) throw new Error(`${c.name}: a CLI request line cannot hold \\n`);
      lines.push(bytes);
      owners.push(c.name);
    }
  }
  const input = Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));
  const r = await run(["check", "--policy", policy], input);
  const out = r.stdout.split("\n").filter((l) => l !== "");
  if (out.length !== owners.length) {
    for (const c of cases)
      put(c.name, "cli", { failure: `safeclaw check answered ${out.length} lines for ${owners.length} requests (exit ${r.code}): ${r.stderr.slice(0, 500)}` });
    return;
  }
  const answers = new Map<string, Decision[]>();
  out.forEach((line, i) => {
    const name = owners[i];
    if (name !== undefined) answers.set(name, [...(answers.get(name) ?? []), JSON.parse(line) as Decision]);
  });
  for (const [name, ds] of answers) {
    const d = strictest(ds);
    put(name, "cli", { decision: d.decision, ...(d.error ? { error: d.error } : {}) });
  }
}

async function inProcessDoors(policy: string, cases: Case[], scratch: string): Promise<void> {
  const engine = await engineFor(policy);
  const loaded = await loadPolicy(readPolicySources([join(DIR, policy)]));
  if (!loaded.ok) throw new Error("unreachable");
  const apps = new Map<string, ReturnType<typeof createApp>>();
  const appFor = (tokens: string | undefined) => {
    let a = apps.get(tokens ?? "");
    if (!a) {
      const parsed =
        tokens === undefined
          ? []
          : tokens.split(",").map((t) => (t.includes(":") ? { agent: t.slice(0, t.indexOf(":")), token: t.slice(t.indexOf(":") + 1) } : t));
      a = createApp({
        engine: createEngine(loaded.policy),
        policy: { digest: loaded.policy.digest, rules: 0, defaultAction: "deny", sources: [] },
        ...(parsed.length ? { tokens: parsed } : {}),
        log: () => {},
      });
      apps.set(tokens ?? "", a);
    }
    return a;
  };
  const bundle = await makeBundle(loaded.policy.ir, "2026-01-01T00:00:00.000Z");
  // The handler always audits; its trail is checked at the end (one record per decision, intact).
  const trail = join(scratch, `${policy.replace(/\W/g, "_")}.lambda-audit.log`);
  lambdaTrails.push(trail);
  const lambda = createLambdaHandler({ bundle, env: { SAFECLAW_AUDIT_SINK: trail }, log: () => {} });
  for (const c of cases) {
    const doors = doorsOf(c);
    const before = beforeRequests(c);
    if (doors.includes("engine") && (c.request !== undefined || isBatch(c))) {
      for (const b of before) engine.check(b);
      const d = strictest((isBatch(c) ? c.batch! : [c.request]).map((q) => engine.check(q)));
      put(c.name, "engine", { decision: d.decision, ...(d.error ? { error: d.error } : {}) });
    }
    if (doors.includes("http")) {
      const app = appFor(c.tokens);
      const headers: Record<string, string> = { "content-type": c.contentType ?? "application/json" };
      if (c.bearer !== undefined) headers.authorization = `Bearer ${c.bearer}`;
      for (const b of before) await app.request("/v1/check", { method: "POST", headers, body: JSON.stringify(b) });
      const res = isBatch(c)
        ? await app.request("/v1/check/batch", { method: "POST", headers, body: JSON.stringify(c.batch) })
        : await app.request("/v1/check", { method: "POST", headers, body: new Uint8Array(requestBytes(c)) });
      const body = (await res.json()) as Decision & { error?: unknown; decisions?: Decision[] };
      const one = body.decisions ? strictest(body.decisions.length ? body.decisions : [{ decision: "deny" } as Decision]) : body;
      const error = typeof one.error === "string" ? one.error : (one.error as { code?: string } | undefined)?.code;
      put(c.name, "http", { decision: one.decision ?? "deny", ...(error ? { error } : {}), status: res.status });
    }
    if (doors.includes("lambda")) {
      for (const b of before) await lambda(b);
      const event = c.lambdaEvent !== undefined ? c.lambdaEvent : isBatch(c) ? { requests: c.batch } : c.request;
      lambdaDecisions++;
      try {
        const d = (await lambda(event, { awsRequestId: "adversarial" })) as Decision | Decision[];
        // A list over the limit is refused whole, with one record saying so.
        lambdaDecisions += Array.isArray(d) && d[0]?.error !== "batch_too_large" ? d.length - 1 : 0;
        const one = Array.isArray(d) ? strictest(d.length ? d : [{ decision: "deny" } as Decision]) : d;
        put(c.name, "lambda", { decision: one.decision, ...(one.error ? { error: one.error } : {}) });
      } catch (e) {
        put(c.name, "lambda", { failure: `the handler threw: ${(e as Error).message}` });
      }
    }
  }
}

const HOOK_ANSWER: Record<string, Verdict> = { allow: "allow", deny: "deny", ask: "require_approval" };

/** The hook event's text; `{DIR}` stands for the corpus directory (where the policy file lives). */
const hookText = (c: Case) => (c.hookRaw ?? JSON.stringify(c.hook)).replaceAll("{DIR}", DIR.replace(/\/$/, ""));

async function hookProcessDoor(c: Case): Promise<void> {
  const r = await run(["hook", "claude-code", "--policy", c.policy, ...(c.hookArgs ?? [])], hookText(c), { ...(c.hookEnv ? { env: c.hookEnv } : {}) });
  try {
    // Claude Code reads a decision only from stdout that is one JSON answer, with exit 0; anything else lets the call go ahead.
    if (r.code !== 0) throw new Error(`exit ${r.code}`);
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: { permissionDecision: string } };
    put(c.name, "hook-cli", { decision: HOOK_ANSWER[out.hookSpecificOutput.permissionDecision] ?? "?" });
  } catch {
    put(c.name, "hook-cli", { failure: `hook answered ${r.stdout.slice(0, 300)} (exit ${r.code}) ${r.stderr.slice(0, 300)}` });
  }
}

async function hookInProcessDoor(c: Case): Promise<void> {
  const text = hookText(c);
  const parsed = parseStrictJson(text);
  const h = parsed.ok ? (parsed.value as { tool_name?: unknown; tool_input?: unknown; cwd?: unknown }) : undefined;
  if (!h || typeof h.tool_name !== "string") {
    put(c.name, "hook-inproc", { decision: "deny" });
    return;
  }
  // As the hook reads its policy: its guard of its own files first (project dir = the event's cwd here).
  const configDir = c.hookEnv?.CLAUDE_CONFIG_DIR;
  const sink = c.hookEnv?.SAFECLAW_AUDIT_SINK;
  const guard = hookGuardSource({
    policies: [join(DIR, c.policy)],
    cwd: process.cwd(),
    ...(typeof h.cwd === "string" ? { projectDir: h.cwd } : {}),
    ...(configDir ? { claudeConfigDir: configDir } : {}),
    ...(sink?.startsWith("/") ? { auditFile: sink } : {}),
  });
  const loaded = await loadPolicy([guard, ...readPolicySources([join(DIR, c.policy)])]);
  if (!loaded.ok) throw new Error(`${c.policy} does not load with the hook guard: ${loaded.errors.map((e) => e.message).join("; ")}`);
  const engine = createEngine(loaded.policy);
  const requests = mapToolCall(h.tool_name, h.tool_input, { ...(typeof h.cwd === "string" ? { cwd: h.cwd } : {}), agent: "claude-code" });
  put(c.name, "hook-inproc", { decision: strictest(requests.map((q) => engine.check(q))).decision });
}

/** A model's tool call through the SDK: OpenAI arguments are text the model wrote. */
async function openAIDoor(c: Case): Promise<void> {
  const engine = await engineFor(c.policy);
  const gate = withGuards({ check: async (q) => engine.check(q), checkBatch: async (qs) => qs.map((q) => engine.check(q)) });
  const calls = openAIToolCalls([{ type: "function", id: "call_1", function: c.openai }]);
  const d = calls.length === 1 ? await decideToolCall(gate, calls[0]!, undefined, { cwd: "/proj", agent: "openai" }) : undefined;
  put(c.name, "openai-inproc", d ? { decision: d.decision, ...(d.error ? { error: d.error } : {}) } : { failure: "no tool call read" });
}

/** The MCP proxy: one process per (policy, server), every message a line; forwarded = allow, answered by the proxy = deny. */
async function proxyDoors(policy: string, server: string, cases: Case[]): Promise<void> {
  const lines = cases.map((c) => (c.mcpRaw ?? JSON.stringify(c.mcp)).replaceAll("{DIR}", DIR.replace(/\/$/, "")));
  const r = await run(["mcp-proxy", "--policy", policy, "--server", server, "--", process.execPath, ECHO_SERVER], lines.join("\n") + "\n");
  const out = r.stdout.split("\n").filter((l) => l !== "");
  const forwarded = new Set(
    out
      .map((l) => JSON.parse(l) as { forwarded?: string })
      .filter((m) => m.forwarded !== undefined)
      .map((m) => m.forwarded!),
  );
  // As the proxy reads its policy: the guard of its own files first (policy, Claude Code settings in $HOME).
  const guard = hookGuardSource({ policies: [join(DIR, policy)], cwd: DIR, ...(ENV.HOME ? { home: ENV.HOME } : {}) });
  const loaded = await loadPolicy([guard, ...readPolicySources([join(DIR, policy)])]);
  if (!loaded.ok) throw new Error(`${policy} does not load with the proxy's guard: ${loaded.errors.map((e) => e.message).join("; ")}`);
  const engine = createEngine(loaded.policy);
  const gate = withGuards({ check: async (q) => engine.check(q), checkBatch: async (qs) => qs.map((q) => engine.check(q)) });
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    put(c.name, "proxy-cli", { decision: forwarded.has(lines[i]!) ? "allow" : "deny" });
    // The proxy reads each line strictly before gating it; so does this door.
    const parsed = parseStrictJson(lines[i]!);
    const v = parsed.ok ? await gateMcpMessage(gate, server, parsed.value) : { forward: false };
    put(c.name, "proxy-inproc", { decision: v.forward ? "allow" : "deny" });
  }
}

/**
 * `safeclaw validate` of the invalid policies: the single files in one process (validation
 * reports every file's errors as file:line:col, so each file's own error is found in the
 * output), each directory in its own; and `loadPolicy` of each on its own, in process.
 */
async function validateDoors(cases: Case[]): Promise<void> {
  const files = cases.filter((c) => c.policy.endsWith(".yaml"));
  const groups = [files, ...cases.filter((c) => !c.policy.endsWith(".yaml")).map((c) => [c])].filter((g) => g.length > 0);
  await Promise.all(
    groups.map(async (group) => {
      const r = await run(["validate", ...group.map((c) => c.policy)], "");
      for (const c of group) {
        // `discovery`: the directory is refused before validation (two policies in one place)
        const own = r.stderr
          .split("\n")
          .some(
            (l) =>
              (l.startsWith(c.policy) && l.includes(`error[${c.invalid}]`)) || (c.invalid === "discovery" && l.includes(`${c.policy}: more than one policy`)),
          );
        put(c.name, "validate-cli", {
          decision: r.code === 1 && own ? "invalid" : `no error[${c.invalid}] for it (exit ${r.code})`,
          ...(own ? { error: c.invalid } : {}),
        });
      }
    }),
  );
  for (const c of cases) {
    let sources;
    try {
      sources = readPolicySources([join(DIR, c.policy)]);
    } catch (e) {
      put(c.name, "validate-inproc", {
        decision: "invalid",
        ...(c.invalid === "discovery" && /more than one policy/.test((e as Error).message) ? { error: c.invalid } : {}),
      });
      continue;
    }
    const loaded = await loadPolicy(sources);
    put(
      c.name,
      "validate-inproc",
      loaded.ok ? { decision: "valid" } : { decision: "invalid", ...(loaded.errors.some((e) => e.code === c.invalid) ? { error: c.invalid } : {}) },
    );
  }
}

/** One trail per format, written by the real CLI, then edited per case. */
async function auditDoors(scratch: string): Promise<void> {
  const trails: Record<string, string> = {};
  await Promise.all(
    (["json", "ocsf"] as const).map(async (format) => {
      const file = join(scratch, `trail-${format}.log`);
      const requests = [
        { action: "env.read", key: "AWS_SECRET_ACCESS_KEY" },
        { action: "file.read", path: "/app/ok.txt" },
        { action: "network.request", url: "http://169.254.169.254/latest/" },
      ];
      const r = await new Promise<{ code: number | null }>((resolve, reject) => {
        const p = spawn(process.execPath, [BIN, "check", "--policy", "audit.yaml", "--audit", file], {
          env: { ...ENV, SAFECLAW_AUDIT_FORMAT: format },
          cwd: DIR,
        });
        p.on("error", reject);
        p.on("close", (code) => resolve({ code }));
        p.stdin.end(requests.map((q) => JSON.stringify(q)).join("\n") + "\n");
      });
      if (r.code !== 0) throw new Error(`writing the ${format} trail failed (exit ${r.code})`);
      trails[format] = readFileSync(file, "utf8");
    }),
  );
  await limited(
    AUDITS.map((a) => async () => {
      let text = trails[a.trail]!;
      for (const e of a.edits) {
        const re = new RegExp(e.find, e.flags ?? "");
        if (!re.test(text)) {
          auditResults.set(a.name, { failure: `edit /${e.find}/ does not apply to the ${a.trail} trail` });
          return;
        }
        text = text.replace(re, e.replace);
      }
      if (a.append) text += a.append.join("\n") + "\n";
      const file = join(scratch, `edited-${a.name.replace(/[^a-z0-9]+/gi, "-")}.log`);
      writeFileSync(file, text);
      const report = verifyLines(
        text
          .split("\n")
          .filter((l) => l !== "")
          .map((t, i) => ({ text: t, where: `line ${i + 1}` })),
      );
      const r = a.cli ? await run(["audit", "verify", file], "") : undefined;
      auditResults.set(a.name, {
        ...(r ? { cli: r.code === 0 ? "intact" : r.code === 1 ? "broken" : `exit ${r.code}` } : {}),
        inproc: report.ok ? "intact" : "broken",
      });
    }),
  );
}

/** The Worker door: test/fixtures/adversarial/worker-door.ts bundled by esbuild, run in workerd, one round trip per policy. */
async function workerDoor(cases: Case[]): Promise<void> {
  const { build } = await import("esbuild");
  const { Miniflare } = await import("miniflare");
  const out = await build({
    entryPoints: [join(DIR, "worker-door.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  const mf = new Miniflare({ modules: true, script: out.outputFiles[0]!.text, compatibilityDate: "2024-09-23" });
  try {
    const groups = new Map<string, Case[]>();
    for (const c of cases) groups.set(`${c.policy}|${c.tokens ?? ""}`, [...(groups.get(`${c.policy}|${c.tokens ?? ""}`) ?? []), c]);
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const first = group[0]!;
        const tokens =
          first.tokens === undefined
            ? []
            : first.tokens.split(",").map((t) => (t.includes(":") ? { agent: t.slice(0, t.indexOf(":")), token: t.slice(t.indexOf(":") + 1) } : t));
        const requests: Array<{ path: string; headers: Record<string, string>; body: string; base64?: boolean }> = [];
        const owners: Array<string | undefined> = [];
        for (const c of group) {
          const headers: Record<string, string> = { "content-type": c.contentType ?? "application/json" };
          if (c.bearer !== undefined) headers.authorization = `Bearer ${c.bearer}`;
          for (const b of beforeRequests(c)) {
            requests.push({ path: "/v1/check", headers, body: JSON.stringify(b) });
            owners.push(undefined);
          }
          requests.push(
            isBatch(c)
              ? { path: "/v1/check/batch", headers, body: JSON.stringify(c.batch) }
              : { path: "/v1/check", headers, body: requestBytes(c).toString("base64"), base64: true },
          );
          owners.push(c.name);
        }
        const res = await mf.dispatchFetch("http://door/", {
          method: "POST",
          body: JSON.stringify({ sources: readPolicySources([join(DIR, first.policy)]), tokens, requests }),
        });
        if (!res.ok) throw new Error(`worker door cannot load ${first.policy}: ${await res.text()}`);
        const answers = (await res.json()) as Array<{ status: number; body: Decision & { error?: unknown; decisions?: Decision[] } }>;
        answers.forEach(({ status, body }, i) => {
          const name = owners[i];
          if (name === undefined) return;
          const one = body.decisions ? strictest(body.decisions.length ? body.decisions : [{ decision: "deny" } as Decision]) : body;
          const error = typeof one.error === "string" ? one.error : (one.error as { code?: string } | undefined)?.code;
          put(name, "worker", { decision: one.decision ?? "deny", ...(error ? { error } : {}), status });
        });
      }),
    );
  } finally {
    await mf.dispose();
  }
}

let scratch = "";
const lambdaTrails: string[] = [];
let lambdaDecisions = 0;
beforeAll(async () => {
  // fsync per Lambda invocation is the handler's contract; on tmpfs it costs nothing
  scratch = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "safeclaw-adversarial-"));
  const decisionCases = CASES.filter(isDecisionCase);
  const byPolicy = new Map<string, Case[]>();
  for (const c of decisionCases) byPolicy.set(c.policy, [...(byPolicy.get(c.policy) ?? []), c]);
  const tasks: Array<() => Promise<void>> = [];
  // The longest first: workerd and the audit trails, then one process per policy.
  const viaWorker = decisionCases.filter((c) => doorsOf(c).includes("worker"));
  if (viaWorker.length) tasks.push(() => workerDoor(viaWorker));
  if (AUDITS.length) tasks.push(() => auditDoors(scratch));
  for (const [policy, cs] of byPolicy) {
    const cli = cs.filter((c) => doorsOf(c).includes("cli"));
    if (cli.length) tasks.push(() => cliDoor(policy, cli));
  }
  const proxies = new Map<string, Case[]>();
  for (const c of CASES.filter(isMcp)) {
    const k = `${c.policy}\u0000${c.mcpServer ?? "gh"}`;
    proxies.set(k, [...(proxies.get(k) ?? []), c]);
  }
  for (const [k, cs] of proxies) tasks.push(() => proxyDoors(k.split("\u0000")[0]!, k.split("\u0000")[1]!, cs));
  for (const c of CASES.filter((x) => isHook(x) && x.hookProcess)) tasks.push(() => hookProcessDoor(c));
  const invalid = CASES.filter((x) => x.invalid !== undefined);
  if (invalid.length) tasks.push(() => validateDoors(invalid));

  // In-process doors run after the processes are started, alongside them.
  const processes = limited(tasks, 4);
  for (const [policy, cs] of byPolicy) await inProcessDoors(policy, cs, scratch);
  for (const c of CASES.filter(isHook)) await hookInProcessDoor(c);
  for (const c of CASES.filter(isOpenAI)) await openAIDoor(c);
  await processes;
}, 120_000);

function doorsExpected(c: Case): string[] {
  if (c.invalid !== undefined) return ["validate-cli", "validate-inproc"];
  if (isHook(c)) return c.hookProcess ? ["hook-cli", "hook-inproc"] : ["hook-inproc"];
  if (isMcp(c)) return ["proxy-cli", "proxy-inproc"];
  if (isOpenAI(c)) return ["openai-inproc"];
  return doorsOf(c).filter((d) => d !== "engine" || c.request !== undefined || isBatch(c));
}

const title = (c: { name: string; known?: string; limitation?: string }) =>
  c.known ? `KNOWN (${c.known}): ${c.name}` : c.limitation ? `LIMITATION (${c.limitation}): ${c.name}` : c.name;

for (const file of [...new Set(CASES.map((c) => c.file))]) {
  describe(`adversarial ${file}`, () => {
    for (const c of CASES.filter((x) => x.file === file)) {
      it(title(c), () => {
        const got = results.get(c.name) ?? {};
        const seen: Record<string, string> = {};
        for (const door of doorsExpected(c)) {
          const o = (got as Record<string, Outcome | undefined>)[door];
          if (!o) seen[door] = "(door did not run)";
          else if (o.failure) seen[door] = `failure: ${o.failure}`;
          // The error code and status are compared where the case names them.
          else
            seen[door] =
              [o.decision, c.expectError !== undefined || c.invalid !== undefined ? o.error : undefined].filter(Boolean).join(" ") +
              (o.status !== undefined && c.status !== undefined ? ` ${o.status}` : "");
        }
        if (c.limitation !== undefined && (c.today === undefined || c.today === c.expect))
          throw new Error(`${c.name}: a limitation names the decision given today, and it differs from \`expect\``);
        const want =
          c.invalid !== undefined ? `invalid ${c.invalid}` : [c.limitation !== undefined ? c.today : c.expect, c.expectError].filter(Boolean).join(" ");
        // Only the HTTP door has a status to compare.
        const wanted = Object.fromEntries(
          Object.keys(seen).map((d) => [
            d,
            want + (c.status !== undefined && (got as Record<string, Outcome | undefined>)[d]?.status !== undefined ? ` ${c.status}` : ""),
          ]),
        );
        expect(seen, `${c.why}${c.known ? ` (known hole: ${c.known})` : ""}`).toEqual(wanted);
      });
    }
  });
}

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("adversarial doors keep their records", () => {
  it("the Lambda door recorded one decision per request it answered, in chains that verify", () => {
    let records = 0;
    for (const file of lambdaTrails) {
      const lines = readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "");
      const report = verifyLines(lines.map((text, i) => ({ text, where: `${file}:${i + 1}` })));
      expect(report.problem, file).toBeUndefined();
      records += lines.filter((l) => l.startsWith('{"type":"decision"')).length;
    }
    expect(records).toBe(lambdaDecisions);
  });
});

describe("adversarial audit.jsonl", () => {
  for (const a of AUDITS) {
    it(title(a), () => {
      const r = auditResults.get(a.name);
      expect(r?.failure, a.why).toBeUndefined();
      expect({ cli: r?.cli, inproc: r?.inproc }, a.why).toEqual({ cli: a.cli ? a.expect : undefined, inproc: a.expect });
    });
  }
});
