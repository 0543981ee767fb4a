import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEngine, loadPolicy, normalizeHost, normalizePath, normalizeUrl, normalizeRequest, type CompiledPolicy } from "../src/index.js";
import { actionPatternMatches } from "../src/engine/action-pattern.js";
import { compileWildcard } from "../src/match/wildcard.js";

const actions = ["file.read", "file.write", "file.delete", "shell.execute", "network.request", "env.read", "mcp.call"];
const segment = fc.constantFrom("app", "etc", "tmp", "secrets", ".env", "..", ".", "", "data", "x");
const path = fc.array(segment, { maxLength: 6 }).map((s) => "/" + s.join("/"));
const host = fc.constantFrom("api.openai.com", "db.internal", "a.b.internal", "internal", "169.254.169.254", "0xa9fea9fe", "evil.com", "smtp.gmail.com", "EVIL.com.");
const command = fc.constantFrom("ls", "ls -la", "terraform plan", "terraform destroy", "rm -rf /", "cat .env", "echo hi > /tmp/x", "sudo rm x", "a && b", "$(x)");
const key = fc.constantFrom("HOME", "AWS_SECRET_ACCESS_KEY", "FLY_API_TOKEN", "DEV_X");

const request = fc.oneof(
  fc.record({ action: fc.constantFrom("file.read", "file.write", "file.delete"), path }),
  fc.record({ action: fc.constant("network.request"), host, method: fc.constantFrom("GET", "POST") }),
  fc.record({ action: fc.constant("shell.execute"), command, cwd: fc.constant("/tmp") }),
  fc.record({ action: fc.constant("env.read"), key }),
  fc.record({ action: fc.constant("mcp.call"), server: fc.constantFrom("github", "fs"), tool: fc.constantFrom("get_x", "rm") }),
);

const ruleLine = (effects: readonly string[]) =>
  fc.oneof(
    fc.record({ a: fc.constantFrom("file.read", "file.*", "*"), p: fc.constantFrom("/app/**", "/etc/*", "**/.env", "/tmp/**", "/secrets/**", "/**"), e: fc.constantFrom(...effects) }).map((r) => `- {action: '${r.a}', path: '${r.p}', effect: ${r.e}}`),
    fc.record({ h: fc.constantFrom("*.internal", "api.openai.com", "169.254.169.254", "smtp.*", "*", "169.254.0.0/16"), e: fc.constantFrom(...effects) }).map((r) => `- {action: network.request, host: '${r.h}', effect: ${r.e}}`),
    fc.record({ c: fc.constantFrom("terraform plan*", "rm *", "ls*", "*", "{ls,cat} *", "echo *"), e: fc.constantFrom(...effects) }).map((r) => `- {action: shell.execute, command: '${r.c}', effect: ${r.e}}`),
    fc.record({ k: fc.constantFrom("AWS_*", "HOME", "FLY_API_TOKEN"), e: fc.constantFrom(...effects) }).map((r) => `- {action: env.read, key: '${r.k}', effect: ${r.e}}`),
    fc.record({ a: fc.constantFrom(...actions, "*"), e: fc.constantFrom(...effects) }).map((r) => `- {action: '${r.a}', effect: ${r.e}, agent: {exists: false}}`),
  );

async function compile(lines: string[], def = "deny"): Promise<CompiledPolicy> {
  const r = await loadPolicy([{ name: "p.yaml", text: `defaultAction: ${def}\nrules:\n${lines.join("\n")}` }]);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.policy;
}

/** The definition, without the index: scan every rule in order. */
function linearDecision(policy: CompiledPolicy, req: unknown): string {
  const n = normalizeRequest(req, policy.requestOptions);
  if (!n.ok) return "deny";
  // a part the engine cannot decide yet (NormalizedRequest.uncertain) denies the line, by a rule or as uncertain
  if (n.request.uncertain !== undefined) return "deny";
  let worst = "allow";
  const rank = { allow: 0, require_approval: 1, deny: 2 } as const;
  for (const subject of n.request.subjects) {
    const rule = policy.rules.find((r) => r.actions.some((a) => actionPatternMatches(a, subject.action)) && r.test(subject));
    // a possible effect of a command (Subject.possible) is decided by rules only, not by the default
    const eff = rule ? rule.effect : subject.possible ? "allow" : policy.ir.defaultAction;
    if (rank[eff] > rank[worst as keyof typeof rank]) worst = eff;
  }
  return worst;
}

describe("invariants", () => {
  it("the evaluator never throws, whatever it is given", async () => {
    const e = createEngine(await compile(["- {action: '*', effect: allow, path: '/**'}"]));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ action: fc.oneof(fc.string(), fc.constantFrom(...actions)), path: fc.anything(), command: fc.string(), url: fc.string(), host: fc.string(), context: fc.anything() }, { requiredKeys: ["action"] })), (input) => {
        const d = e.check(input);
        expect(["allow", "deny", "require_approval"]).toContain(d.decision);
        expect(d.allowed).toBe(d.decision === "allow");
      }),
      { numRuns: 2000 },
    );
  });

  it("shell command lines of arbitrary text never throw and only allow what parses", async () => {
    const e = createEngine(await compile(["- {action: shell.execute, command: '*', effect: allow}"]));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab $()`'\"\\;&|<>{}*\n#=-cx".split("")), maxLength: 40 }), (command) => {
        const d = e.check({ action: "shell.execute", command, cwd: "/tmp" });
        expect(["allow", "deny"]).toContain(d.decision);
      }),
      { numRuns: 3000 },
    );
  });

  it("a policy with no allow rule never allows", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(ruleLine(["deny", "require_approval"]), { minLength: 1, maxLength: 12 }), fc.array(request, { minLength: 1, maxLength: 20 }), async (lines, reqs) => {
        const e = createEngine(await compile(lines));
        for (const r of reqs) expect(e.check(r).allowed).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("the indexed evaluator decides exactly as a top-to-bottom scan", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(ruleLine(["allow", "deny", "require_approval"]), { minLength: 1, maxLength: 25 }), fc.constantFrom("allow", "deny"), fc.array(request, { minLength: 1, maxLength: 25 }), async (lines, def, reqs) => {
        const policy = await compile(lines, def);
        const e = createEngine(policy);
        for (const r of reqs) expect(e.check(r).decision).toBe(linearDecision(policy, r));
      }),
      { numRuns: 300 },
    );
  });

  it("normalization is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(path, fc.string().map((s) => "/" + s)), (p) => {
        const once = normalizePath(p);
        if (once.ok) expect(normalizePath(once.path)).toEqual(once);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(host, fc.domain(), fc.ipV4(), fc.ipV4Extended(), fc.ipV6()), (h) => {
        const once = normalizeHost(h);
        if (once.ok) expect(normalizeHost(once.host.includes(":") ? `[${once.host}]` : once.host)).toEqual(once);
      }),
    );
    fc.assert(
      fc.property(fc.webUrl({ withFragments: true, withQueryParameters: true }), (u) => {
        const once = normalizeUrl(u);
        if (once.ok && once.target.url) expect(normalizeUrl(once.target.url)).toEqual(once);
      }),
    );
  });

  it("path resolution (with its fast path) equals a plain segment-by-segment resolver", () => {
    const reference = (p: string) => {
      const out: string[] = [];
      for (const seg of p.split("/")) {
        if (seg === "" || seg === ".") continue;
        if (seg === "..") out.pop();
        else out.push(seg);
      }
      return "/" + out.join("/");
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", ".", "..", "", ".x", "..y", "z."), { maxLength: 8 }), (segs) => {
        const p = "/" + segs.join("/");
        expect(normalizePath(p)).toEqual({ ok: true, path: reference(p) });
      }),
      { numRuns: 3000 },
    );
  });

  it("every IPv4 spelling fast-check knows normalizes to its dotted quad", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4Extended(), (plain, extended) => {
        expect(normalizeHost(plain)).toEqual({ ok: true, host: plain.split(".").map(Number).join(".") });
        const r = normalizeHost(extended);
        expect(r.ok && /^\d+\.\d+\.\d+\.\d+$/.test(r.host)).toBe(true);
      }),
    );
  });

  it("the linear-time wildcard agrees with a regular-expression reading of the glob", () => {
    const toRegex = (p: string) => new RegExp("^" + p.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]") + "$");
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "*", "?", " ", "/"), maxLength: 8 }), fc.string({ unit: fc.constantFrom("a", "b", " ", "/"), maxLength: 10 }), (p, s) => {
        expect(compileWildcard(p).test(s)).toBe(toRegex(p).test(s));
      }),
      { numRuns: 5000 },
    );
  });
});
