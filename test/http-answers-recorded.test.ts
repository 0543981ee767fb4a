import { describe, expect, it, vi } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import type { AuditSink } from "../src/audit/sink.js";
import { verifyLines } from "../src/audit/verify.js";
import type { Engine } from "../src/engine/engine.js";
import { createApp, unauthorizedTally } from "../src/http/create-app.js";
import { asLines, failingSink } from "./audit-helpers.js";
import { engineFromText } from "./helpers.js";

/**
 * Every answer the HTTP app gives has a record in the trail: decisions,
 * refusals before the engine (400/403/408/413/415), 401s (aggregated per
 * source), and 500s. Under `onAuditFailure: deny` the answer waits for its
 * record; `audit` names it, with `durable: false` when the answer had to go
 * out before it was durable.
 */
const POLICY = "rules:\n- {id: read-app, action: file.read, path: '/app/**', effect: allow}";
const TOKENS = [{ agent: "ci-bot", token: "t0ken-a" }];

type Setup = { sink?: "lines" | "failing" | "held"; tokens?: typeof TOKENS; engine?: Engine; clock?: () => number; onAuditFailure?: "deny" | "allow" };

async function setup(opts: Setup = {}) {
  const engine = opts.engine ?? (await engineFromText(POLICY));
  const lines: string[] = [];
  const state = { fail: opts.sink === "failing" };
  let release: () => void = () => undefined;
  let writeStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => (writeStarted = r));
  const held: AuditSink = {
    name: "held",
    async write(batch) {
      writeStarted();
      await new Promise<void>((r) => (release = r));
      for (const r of batch.records) lines.push(JSON.stringify(r));
      lines.push(JSON.stringify(batch.checkpoint));
    },
  };
  const sink = opts.sink === "failing" ? failingSink(state, lines) : opts.sink === "held" ? held : createLineSink((l) => void lines.push(l));
  // As the Node server runs it: group commit, no flush per request.
  const audit = new AuditLog({
    sink,
    chainId: "http",
    policy: engine.policy.digest,
    log: () => undefined,
    groupCommit: true,
    onAuditFailure: opts.onAuditFailure ?? "deny",
    retryMinMs: 5,
    retryMaxMs: 20,
  });
  const source = { address: "10.0.0.1" };
  const app = createApp({
    engine,
    audit,
    policy: { digest: engine.policy.digest, rules: engine.policy.rules.length, defaultAction: "deny", sources: ["test.yaml"] },
    ...(opts.tokens ? { tokens: opts.tokens } : {}),
    clientAddress: () => source.address,
    ...(opts.clock ? { unauthorized: unauthorizedTally(audit, { clock: opts.clock }) } : {}),
    log: () => undefined,
  });
  const post = async (body: string | ReadableStream, headers: Record<string, string> = {}, path = "/v1/check") =>
    app.request(path, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers },
      ...(typeof body === "string" ? {} : { duplex: "half" }),
    });
  const records = () => lines.map((l) => JSON.parse(l)).filter((r) => r.type !== "checkpoint");
  return { app, audit, post, lines, records, state, source, release: () => release(), started };
}

const AUTH = { authorization: "Bearer t0ken-a" };

/** [name, body, headers, status, error] — every kind of answer /v1/check gives */
const ANSWERS: Array<[string, string, Record<string, string>, number, string | undefined]> = [
  ["a policy decision", '{"action":"file.read","path":"/app/x"}', {}, 200, undefined],
  ["a request the engine refuses", '{"action":"file.read","path":42}', {}, 400, "invalid_request"],
  [
    "port 1e309 (JSON.parse reads Infinity; once a 500 without a record)",
    '{"action":"network.request","host":"example.com","port":1e309}',
    {},
    400,
    "invalid_request",
  ],
  ["not JSON", "{", {}, 400, "bad_json"],
  ["wrong content type", '{"action":"file.read"}', { "content-type": "text/plain" }, 415, "unsupported_media_type"],
  ["a body too large", '{"action":"file.read","path":"' + "a".repeat(70_000) + '"}', {}, 413, "body_too_large"],
  ["an agent the token is not", '{"action":"file.read","path":"/app/x","agent":"someone-else"}', AUTH, 403, "agent_mismatch"],
];

describe("every answer names a record that is in the trail", () => {
  it.each(ANSWERS)("%s", async (_name, body, headers, status, error) => {
    const s = await setup({ tokens: TOKENS });
    const res = await s.post(body, { ...AUTH, ...headers });
    expect(res.status).toBe(status);
    const d = await res.json();
    expect(d.audit).toEqual({ chain: "http", seq: expect.any(Number) }); // durable: no `durable: false`
    const rec = s.records().find((r) => r.seq === d.audit.seq);
    expect(rec).toMatchObject({ type: "decision", decision: d.decision, ...(error ? { error } : {}) });
    expect(verifyLines(asLines(s.lines)).ok).toBe(true);
  });

  it.each(ANSWERS)("sink failing: %s is answered with `durable: false`, and the record lands when the sink is back", async (_name, body, headers, status) => {
    const s = await setup({ tokens: TOKENS, sink: "failing" });
    const res = await s.post(body, { ...AUTH, ...headers });
    expect(res.status).toBe(status);
    const d = await res.json();
    expect(d.decision).toBe("deny"); // fail closed: a policy allow became audit_unavailable
    expect(d.audit).toEqual({ chain: "http", seq: expect.any(Number), durable: false });
    expect(s.records()).toEqual([]);
    s.state.fail = false; // the background retry delivers it, no traffic needed
    await vi.waitFor(() => expect(s.records().find((r) => r.seq === d.audit.seq)).toMatchObject({ type: "decision" }));
  });

  it.each([
    ["bad_json", "{"],
    ["invalid_request", '{"a":1,"a":2}'],
  ])("a refusal (%s) waits for its record under onAuditFailure: deny, like a decision", async (_code, body) => {
    const s = await setup({ sink: "held" });
    let answered = false;
    const res = s.post(body).then((r) => ((answered = true), r));
    await s.started; // the record's batch is being written...
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false); // ...and the answer is not out before it is durable
    s.release();
    expect((await res).status).toBe(400);
    expect(s.records().some((r) => r.type === "decision")).toBe(true);
  });

  it("under onAuditFailure: allow a refusal does not wait (and claims nothing about durability)", async () => {
    const s = await setup({ sink: "held", onAuditFailure: "allow" });
    const res = await s.post("{");
    expect(res.status).toBe(400);
    expect((await res.json()).audit).toEqual({ chain: "http", seq: 2 });
    await s.started;
    s.release();
  });

  it("a body that stops arriving (client gone, request timeout) is a recorded 408 body_incomplete, not a 500", async () => {
    const s = await setup();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"action":"file.read",'));
        c.error(new Error("aborted"));
      },
    });
    const res = await s.post(body);
    expect(res.status).toBe(408);
    const d = await res.json();
    expect(d).toMatchObject({ decision: "deny", error: "body_incomplete", audit: { chain: "http" } });
    expect(s.records().find((r) => r.seq === d.audit.seq)).toMatchObject({ error: "body_incomplete" });
  });
});

describe("500: an internal error is a recorded deny", () => {
  const throwing = async () => {
    const real = await engineFromText(POLICY);
    // A collaborator that fails (the unit under test is the app's error path, not the engine).
    return {
      ...real,
      check: () => {
        throw new Error("engine bug");
      },
    } as unknown as Engine;
  };

  it("records internal_error with what was asked and answers only once it is durable", async () => {
    const s = await setup({ engine: await throwing() });
    const res = await s.post('{"action":"file.read","path":"/app/secret","agent":"a1"}');
    expect(res.status).toBe(500);
    const d = await res.json();
    expect(d).toMatchObject({ decision: "deny", error: "internal_error", audit: { chain: "http", seq: 2 } });
    expect(d.audit.durable).toBeUndefined();
    expect(s.records()[1]).toMatchObject({
      seq: 2,
      decision: "deny",
      error: "internal_error",
      action: "file.read",
      agent: "a1",
      target: { path: "/app/secret" },
    });
  });

  it("in a batch too, and with the sink failing it says the record is not durable", async () => {
    const s = await setup({ engine: await throwing(), sink: "failing" });
    const res = await s.post('[{"action":"file.read","path":"/app/x"}]', {}, "/v1/check/batch");
    expect(res.status).toBe(500);
    expect((await res.json()).audit).toEqual({ chain: "http", seq: 2, durable: false });
    s.state.fail = false;
    await vi.waitFor(() => expect(s.records().find((r) => r.seq === 2)).toMatchObject({ error: "internal_error" }));
  });
});

describe("401: recorded per source, a flood counted in one notice", () => {
  const bad = { authorization: "Bearer wrong" };

  it("the first 10 per source per minute are records; the rest are counted in an unauthorized-aggregated notice when the minute ends", async () => {
    let now = Date.parse("2026-12-01T10:00:00Z");
    const s = await setup({ tokens: TOKENS, clock: () => now });
    for (let i = 0; i < 25; i++) expect((await s.post("{}", bad)).status).toBe(401);
    s.source.address = "10.0.0.2";
    for (let i = 0; i < 3; i++) await s.post("{}", bad);
    const unauthorized = () => s.records().filter((r) => r.error === "unauthorized");
    expect(unauthorized().filter((r) => r.reason.includes("source 10.0.0.1"))).toHaveLength(10);
    expect(unauthorized().filter((r) => r.reason.includes("source 10.0.0.2"))).toHaveLength(3);
    expect(s.records().filter((r) => r.type === "notice")).toEqual([]);
    now += 60_000;
    s.source.address = "10.0.0.1";
    await s.post("{}", bad); // the next minute: recorded again, and the last minute's count is told
    await s.audit.flush();
    const notice = s.records().find((r) => r.type === "notice");
    expect(notice).toMatchObject({ notice: "unauthorized-aggregated", count: 15, since: "2026-12-01T10:00:00.000Z", until: "2026-12-01T10:01:00.000Z" });
    expect(notice.message).toContain("10.0.0.1 (15)");
    expect(unauthorized()).toHaveLength(14);
    expect(verifyLines(asLines(s.lines)).ok).toBe(true);
  });

  it("source rotation (a new address per request) writes at most 100 records a minute, the rest in the notice", async () => {
    const now = Date.parse("2026-12-01T10:00:00Z");
    const s = await setup({ tokens: TOKENS, clock: () => now });
    for (let i = 0; i < 300; i++) {
      s.source.address = `10.1.${i >> 8}.${i & 255}`;
      await s.post("{}", bad);
    }
    expect(s.records().filter((r) => r.error === "unauthorized")).toHaveLength(100);
    const app = s.app;
    expect((await app.request("/health")).status).toBe(200);
  });

  it("a client-set header does not choose the source: without a platform address every caller is `unknown`", async () => {
    const engine = await engineFromText(POLICY);
    const lines: string[] = [];
    const audit = new AuditLog({ sink: createLineSink((l) => void lines.push(l)), chainId: "h", policy: engine.policy.digest, groupCommit: true });
    const app = createApp({ engine, audit, tokens: TOKENS, policy: { digest: "d", rules: 1, defaultAction: "deny", sources: [] }, log: () => undefined });
    for (let i = 0; i < 12; i++) {
      await app.request("/v1/check", {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json", "x-forwarded-for": `192.0.2.${i}`, "cf-connecting-ip": `192.0.2.${i}` },
      });
    }
    const recs = lines.map((l) => JSON.parse(l)).filter((r) => r.error === "unauthorized");
    expect(recs).toHaveLength(10);
    expect(recs.every((r) => r.reason.includes("source unknown"))).toBe(true);
  });

  it("a 401 under a failing sink still answers (at once) and its record is delivered when the sink is back", async () => {
    const s = await setup({ tokens: TOKENS, sink: "failing" });
    expect((await s.post("{}", bad)).status).toBe(401);
    s.state.fail = false;
    await vi.waitFor(() => expect(s.records().filter((r) => r.error === "unauthorized")).toHaveLength(1));
  });
});
