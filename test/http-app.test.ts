import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { verifyLines } from "../src/audit/verify.js";
import { createApp } from "../src/http/create-app.js";
import { asLines, failingSink } from "./audit-helpers.js";
import { engineFromText } from "./helpers.js";

const POLICY =
  "rules:\n- {id: read-app, action: file.read, path: '/app/**', effect: allow}\n- {id: ask-write, action: file.write, path: '/app/**', effect: require_approval}";

async function setup(opts: { tokens?: string[]; failing?: boolean } = {}) {
  const engine = await engineFromText(POLICY);
  const lines: string[] = [];
  const state = { fail: opts.failing === true };
  const audit = new AuditLog({
    sink: opts.failing ? failingSink(state, lines) : createLineSink((l) => void lines.push(l)),
    chainId: "http",
    policy: engine.policy.digest,
    log: () => undefined,
  });
  const app = createApp({
    engine,
    audit,
    flushEachRequest: true,
    policy: { digest: engine.policy.digest, rules: engine.policy.rules.length, defaultAction: "deny", sources: ["test.yaml"] },
    ...(opts.tokens ? { tokens: opts.tokens } : {}),
    log: () => undefined,
  });
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    app.request(path, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { app, lines, post, digest: engine.policy.digest, state };
}

describe("POST /v1/check", () => {
  it("answers the decision with the policy digest and a request id, and records it", async () => {
    const { post, lines, digest } = await setup();
    const res = await post("/v1/check", JSON.stringify({ action: "file.read", path: "/app/x", agent: "a1" }), { "x-request-id": "req-42" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-safeclaw-policy")).toBe(digest);
    expect(res.headers.get("x-request-id")).toBe("req-42");
    expect(await res.json()).toMatchObject({ decision: "allow", allowed: true, rule: "read-app", policy: digest, audit: { chain: "http", seq: 2 } });
    const rec = lines.map((l) => JSON.parse(l)).find((r) => r.type === "decision");
    expect(rec).toMatchObject({ id: "req-42", decision: "allow", agent: "a1", target: { path: "/app/x" } });
    expect(verifyLines(asLines(lines)).ok).toBe(true);
  });

  it("require_approval and deny are 200 with allowed false; ?explain=true explains", async () => {
    const { post } = await setup();
    expect(await (await post("/v1/check", '{"action":"file.write","path":"/app/x"}')).json()).toMatchObject({ decision: "require_approval", allowed: false });
    const d = await (await post("/v1/check?explain=true", '{"action":"file.read","path":"/etc/x"}')).json();
    expect(d).toMatchObject({ decision: "deny", allowed: false, explain: [expect.objectContaining({ subject: "file.read /etc/x" })] });
  });

  it.each([
    ["not json", "application/json", 400, "bad_json"],
    ["", "application/json", 400, "bad_json"],
    ['{"action":"file.read"}', "text/plain", 415, "unsupported_media_type"],
    ['{"action":"file.read","path":"' + "a".repeat(70_000) + '"}', "application/json", 413, "body_too_large"],
  ])("refuses %j (%s) with %i %s, audited as a deny", async (body, type, status, code) => {
    const { app, lines } = await setup();
    const res = await app.request("/v1/check", { method: "POST", body, headers: { "content-type": type } });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ decision: "deny", allowed: false, error: code });
    expect(lines.map((l) => JSON.parse(l)).find((r) => r.type === "decision")).toMatchObject({ decision: "deny", error: code });
  });

  it.each([
    ["duplicate key (last-wins path swap)", '{"action":"file.read","path":"/etc/passwd","path":"/app/x"}', "path", /duplicate key `path`/],
    ["duplicate key in context", '{"action":"file.read","path":"/app/x","context":{"a":1,"a":2}}', "context.a", /duplicate key `context.a`/],
    ["port 1e309", '{"action":"network.request","host":"example.com","port":1e309}', "port", /out of range/],
    ["integer past 2^53", '{"action":"x.y","context":{"n":9007199254740993}}', "context.n", /not exactly representable/],
    ["lone surrogate", '{"action":"file.read","path":"/app/\\ud800"}', "path", /lone surrogate/],
  ])("JSON with two readings is a 400 invalid_request naming the place, audited: %s", async (_name, body, field, reason) => {
    const { post, lines } = await setup();
    const res = await post("/v1/check", body);
    expect(res.status).toBe(400);
    const d = await res.json();
    expect(d).toMatchObject({ decision: "deny", allowed: false, error: "invalid_request", field, audit: { chain: "http" } });
    expect(d.reason).toMatch(reason);
    const rec = lines.map((l) => JSON.parse(l)).find((r) => r.type === "decision");
    expect(rec).toMatchObject({ decision: "deny", error: "invalid_request", reason: d.reason });
    expect(verifyLines(asLines(lines)).ok).toBe(true);
  });

  it("an Infinity port from an in-process caller is a 400 with an audit record, never a 500", async () => {
    const { app, lines } = await setup();
    // the strict reader stops 1e309 first; this is the engine's own answer for the value, audited like any other
    const engine = await engineFromText(POLICY);
    expect(engine.check({ action: "network.request", host: "example.com", port: Infinity })).toMatchObject({ error: "invalid_request", field: "port" });
    const res = await app.request("/v1/check/batch", {
      method: "POST",
      body: '[{"action":"network.request","host":"example.com","port":1e309}]',
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(lines.some((l) => l.includes('"invalid_request"'))).toBe(true);
  });

  it("a request the engine cannot understand is a 400 deny naming the field", async () => {
    const { post } = await setup();
    const res = await post("/v1/check", '{"action":"file.read","path":42}');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      decision: "deny",
      allowed: false,
      error: "invalid_request",
      field: "path",
      reason: expect.stringContaining("`path` must be a string"),
    });
    expect((await post("/v1/check", "[1,2]")).status).toBe(400);
  });

  it("fails closed when the audit trail cannot be written", async () => {
    const { post, app } = await setup({ failing: true });
    const res = await post("/v1/check", '{"action":"file.read","path":"/app/x"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ decision: "deny", allowed: false, error: "audit_unavailable" });
    const ready = await app.request("/ready");
    expect(ready.status).toBe(503);
  });
});

describe("POST /v1/check/batch", () => {
  it("answers in order, invalid items denied in place", async () => {
    const { post } = await setup();
    const res = await post(
      "/v1/check/batch",
      JSON.stringify([{ action: "file.read", path: "/app/a" }, { action: "nope" }, { action: "file.read", path: "/etc/b" }]),
    );
    expect(res.status).toBe(200);
    const { decisions } = await res.json();
    expect(decisions.map((d: { decision: string }) => d.decision)).toEqual(["allow", "deny", "deny"]);
  });
  it("bounds the batch size and the shape", async () => {
    const { post } = await setup();
    const big = JSON.stringify(Array.from({ length: 101 }, () => ({ action: "file.read", path: "/app/a" })));
    expect((await post("/v1/check/batch", big)).status).toBe(413);
    expect(await (await post("/v1/check/batch", '{"action":"file.read"}')).json()).toMatchObject({ error: "bad_shape", field: "body" });
  });
});

describe("routes, methods, auth", () => {
  it("health, ready and policy", async () => {
    const { app, digest } = await setup();
    expect(await (await app.request("/health")).json()).toEqual({ status: "ok" });
    expect(await (await app.request("/ready")).json()).toMatchObject({ status: "ready", policy: digest });
    expect(await (await app.request("/v1/policy")).json()).toEqual({ digest, rules: 2, defaultAction: "deny", sources: ["test.yaml"] });
  });

  it("JSON 404 and 405 with Allow", async () => {
    const { app } = await setup();
    const nf = await app.request("/nope");
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ error: { code: "not_found" } });
    const m = await app.request("/v1/check");
    expect(m.status).toBe(405);
    expect(m.headers.get("allow")).toBe("POST");
    expect((await app.request("/health", { method: "DELETE" })).status).toBe(405);
  });

  it("bearer tokens guard /v1/* but not /health", async () => {
    const { post, app } = await setup({ tokens: ["t0ken-a", "t0ken-b"] });
    const body = '{"action":"file.read","path":"/app/x"}';
    expect((await post("/v1/check", body)).status).toBe(401);
    expect((await post("/v1/check", body, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await post("/v1/check", body, { authorization: "Basic dDBrZW4tYQ==" })).status).toBe(401);
    expect((await post("/v1/check", body, { authorization: "Bearer t0ken-b" })).status).toBe(200);
    expect((await app.request("/v1/policy")).status).toBe(401);
    expect((await app.request("/health")).status).toBe(200);
  });
});
