import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { evaluate, loadPolicy, MemoryRateLimitStore, normalizeRequest, type CompiledPolicy } from "../src/index.js";
import { actionPatternMatches } from "../src/engine/action-pattern.js";
import { FactorSets } from "../src/engine/factor-lists.js";
import { accepts } from "../src/match/automaton.js";
import { foldCase } from "../src/match/fold.js";
import { compilePathPattern } from "../src/match/path-glob.js";
import type { Subject } from "../src/request/subject.js";

// Attack round 2 (segment-wise path globs, the policy-wide factor index), by a helper who
// read the source. Tests under FINDING failed on 6f2cace (FINDING 3 still fails: it.fails,
// a known limit of the case fold, see README Limits); the last blocks record attacks
// that held (the matcher agreed with the automaton, the index with a top-to-bottom scan).
// The two work findings are counted, never timed: the timings in the report come from
// scripts run by hand.

// Counts how often action patterns are tested (the real function runs underneath).
const work = vi.hoisted(() => ({ actionTests: 0 }));
vi.mock("../src/engine/action-pattern.js", async (importOriginal) => {
  const orig = await importOriginal<typeof import("../src/engine/action-pattern.js")>();
  return {
    ...orig,
    actionPatternMatches: (p: string, a: string) => {
      work.actionTests++;
      return orig.actionPatternMatches(p, a);
    },
  };
});

async function policyOf(text: string): Promise<CompiledPolicy> {
  const r = await loadPolicy([{ name: "p.yaml", text }]);
  if (!r.ok) throw new Error(r.errors[0]!.message);
  return r.policy;
}

function subjects(policy: CompiledPolicy, req: unknown): Subject[] {
  const n = normalizeRequest(req, policy.requestOptions);
  if (!n.ok) throw new Error(n.reason);
  return n.request.subjects.map((s) => (policy.caseInsensitivePaths && s.path !== undefined ? { ...s, path: foldCase(s.path) } : s));
}

/** Per subject: the first rule, top to bottom, for its action that matches now (schedules and expiry included). */
function linearRules(policy: CompiledPolicy, req: unknown, now: number): Array<string | null> {
  return subjects(policy, req).map((s) => policy.rules.find((r) => r.actions.some((a) => actionPatternMatches(a, s.action)) && r.matches(s, now))?.id ?? null);
}

function indexedRules(policy: CompiledPolicy, req: unknown, now: number): Array<string | null> {
  return subjects(policy, req).map((s) => {
    const i = policy.bucket(s.action).firstMatch(s, now);
    return i < 0 ? null : policy.rules[i]!.id;
  });
}

describe("FINDING 1: a decision walks every rule of the policy filed under a factor its value contains, whatever their action", () => {
  // 2,000 tenants, one rule each, all filed under `prod` of `context.env` (their only option).
  // A `t1.deploy` request's bucket holds one of them, yet its decision walks the policy-wide
  // list of 2,000 (sorted per new text, then filtered by membership): O(H log H) per decision
  // for H policy-wide hits. By hand (scripts in the report): 10,000 tenants ~0.68 ms per
  // decision against ~0.014 ms for a text without `prod`; 50,000 tenants ~10 ms.
  it("looks at no more policy-wide hits than the bucket holds rules", async () => {
    const rules = Array.from({ length: 2000 }, (_, i) => `  - {id: t${i}, action: t${i}.deploy, effect: deny, context.env: {contains: prod}}`);
    const p = await policyOf(`rules:\n${rules.join("\n")}\n  - {id: ok, action: "*", effect: allow}\n`);
    // Since the fix a value's factors are found once per policy (FactorSets.found) and each leads only to
    // the asking bucket's rules filed under it: count what the found factors hand back.
    const proto = FactorSets.prototype as unknown as { found: (...a: unknown[]) => readonly number[] };
    const orig = proto.found;
    let walked = 0;
    const spy = vi.spyOn(proto, "found").mockImplementation(function (this: unknown, ...a: unknown[]) {
      const ids = orig.apply(this, a);
      walked += ids.length;
      return ids;
    });
    try {
      for (let k = 0; k < 10; k++) {
        const d = evaluate(p, { action: "t1.deploy", context: { env: `prod-${k}` } }, { nowMs: 0 });
        expect(d.rule).toBe("t1"); // the index answers right; the work is the finding
      }
    } finally {
      spy.mockRestore();
    }
    expect(walked).toBeLessThan(100); // 20,000 on 6f2cace: ten decisions x 2,000 rules of other buckets
  });
});

describe("FINDING 2: once 4,096 action names are cached, every other name re-filters the whole policy on every decision", () => {
  // compile.ts caches a bucket per action name, first come, up to 4,096; past that, `bucket()`
  // runs `rules.filter(actionPatternMatches)` over every rule for each decision. A caller that
  // sends 4,096 invented names first leaves every action not yet seen, built-ins included, on
  // that path for good. By hand, 10,000 rules: `file.read` ~1.6 ms per decision after the
  // flood against ~0.02 ms cached.
  it("decides a built-in action seen after the flood without testing every rule's actions", async () => {
    const rules = Array.from({ length: 200 }, (_, i) => `  - {id: n${i}, action: ns${i}.run, effect: deny}`);
    const p = await policyOf(`rules:\n${rules.join("\n")}\n  - {id: ok, action: "*", effect: allow}\n`);
    for (let k = 0; k < 4096; k++) evaluate(p, { action: `junk${k}.x` }, { nowMs: 0 });
    work.actionTests = 0;
    for (let k = 0; k < 10; k++) expect(evaluate(p, { action: "file.read", path: "/a" }, { nowMs: 0 }).rule).toBe("ok");
    expect(work.actionTests).toBeLessThan(201); // 2,010 on 6f2cace: 201 rules tested for each of the ten decisions
  });
});

describe("FINDING 3 (low): a case-insensitive policy misses an NFD name that the case-sensitive one denies", () => {
  // fold.ts composes the request path to NFC, so `id_rsa` + U+0301 becomes `id_rs` + `á`, and
  // `id_rsa*` no longer matches; the same policy without `caseInsensitive` denies the path
  // (its bytes start with `id_rsa`, as a shell glob on macOS sees them). The README says the
  // fold only makes a deny catch more ("takes the coarser reading"); here it catches less.
  // Not fixed: the fold's NFC step is what joins `é` typed either way (the names a file system
  // treats as one file); dropping it would let `/proj/.ENV`-style spellings apart again.
  it.fails("denies /x/id_rsa\\u0301.pub in both modes", async () => {
    const rules = `  - {id: d, action: file.read, effect: deny, path: "/x/id_rsa*"}\n  - {id: ok, action: "*", effect: allow}\n`;
    const cs = await policyOf(`rules:\n${rules}`);
    const ci = await policyOf(`paths: {caseInsensitive: true}\nrules:\n${rules}`);
    const req = { action: "file.read", path: "/x/id_rsa\u0301.pub" };
    expect(evaluate(cs, req, { nowMs: 0 }).rule).toBe("d");
    expect(evaluate(ci, req, { nowMs: 0 }).rule).toBe("d"); // "ok" on 6f2cace
  });
});

describe("held: the segment matcher agrees with the pattern's automaton", () => {
  const seg = fc.constantFrom(
    "a",
    "b",
    "ab",
    "*",
    "**",
    "?",
    "a*",
    "*b",
    "[ab]",
    "[!a]",
    "{a,b}",
    "{a,**}",
    "{**,b}",
    "\\*",
    "{a/b,c}",
    ".a",
    "ß",
    "İ",
    "e\u0301",
    "\u212a",
    "😀?",
  );
  const pathSeg = fc.constantFrom("a", "b", "ab", "ba", ".a", "*", "ss", "ß", "é", "e\u0301", "i\u0307", "k", "😀x");
  it("on relative (floating and cwd-anchored), trailing-slash and case-insensitive patterns", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("/", "", "./", "**/"),
        fc.array(seg, { minLength: 1, maxLength: 7 }),
        fc.boolean(),
        fc.constantFrom(undefined, "/w", "/a/b"),
        fc.boolean(),
        fc.array(fc.tuple(fc.boolean(), fc.array(pathSeg, { maxLength: 8 })), { minLength: 20, maxLength: 20 }),
        (lead, segs, slash, cwd, ci, paths) => {
          const pattern = lead + segs.join("/") + (slash ? "/" : "");
          const r = compilePathPattern(pattern, cwd, { caseInsensitive: ci });
          if (!r.ok) return;
          for (const [under, ps] of paths) {
            let p = (under && cwd ? cwd : "") + "/" + ps.join("/");
            if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
            if (ci) p = foldCase(p);
            expect(r.matcher.test(p), `${pattern} (cwd ${cwd}, ci ${ci}) ~ ${p}`).toBe(accepts(r.matcher.nfa, p));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
  it("on pieces longer than one 32-bit word of shift-and state", () => {
    const glob = fc.constantFrom("a", "?", "[ab]", "*", "b*");
    fc.assert(
      fc.property(
        fc.array(glob, { minLength: 31, maxLength: 40 }),
        fc.array(fc.array(fc.constantFrom("a", "b", "ab"), { maxLength: 48 }), { minLength: 10, maxLength: 10 }),
        (piece, paths) => {
          const r = compilePathPattern(`/a/**/${piece.join("/")}/**/b`);
          if (!r.ok) throw new Error(r.reason);
          for (const ps of paths) {
            const p = "/a/" + [...ps, "b"].join("/");
            expect(r.matcher.test(p), p).toBe(accepts(r.matcher.nfa, p));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
  it("when calls for several paths interleave (the last split is kept in a module variable)", () => {
    const m1 = compilePathPattern("/**/a/*/b/**");
    const m2 = compilePathPattern("/x/**/[ab]/**/y");
    if (!m1.ok || !m2.ok) throw new Error("compile");
    const p1 = "/q/a/z/b/c";
    const p2 = "/x/a/y";
    const same = ["/q/a/z/b", "c"].join("/"); // equal text, another string object
    expect([m1.matcher.test(p1), m2.matcher.test(p2), m1.matcher.test(p2), m2.matcher.test(p1), m1.matcher.test(same)]).toEqual([
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(m1.matcher.test("/")).toBe(false);
    const deep = "/" + Array.from({ length: 2000 }, () => "a").join("/") + "/z/b"; // ~4 KB
    expect(m1.matcher.test(deep)).toBe(accepts(m1.matcher.nfa, deep));
  });
});

describe("held: the policy-wide factor index agrees with a top-to-bottom scan", () => {
  it("memo across fields, actions and value types; action families; expiry; free-form paths", async () => {
    const p = await policyOf(`rules:
  - {id: old, action: "*", effect: deny, context.a: {contains: "7"}, expiresAt: "2000-01-01T00:00:00Z"}
  - {id: fr, action: file.read, effect: deny, context.a: {contains: "zz"}}
  - {id: fs, action: "file.*", effect: deny, context.b: {contains: "zz"}}
  - {id: num, action: "x.*", effect: deny, context.a: {matches: "^7$"}}
  - {id: str, action: "x.*", effect: deny, context.b: {eq: "7"}}
  - {id: arg, action: "*", effect: deny, arguments.f: {all: ["/etc/**", {contains: "pass"}]}}
  - {id: ok, action: "*", effect: allow}
`);
    const now = Date.parse("2024-06-01T00:00:00Z");
    const reqs = [
      { action: "file.read", path: "/a", context: { a: "zz", b: "zz" } },
      { action: "file.write", path: "/a", context: { a: "zz", b: "q" } }, // same text in `a`, another bucket
      { action: "file.write", path: "/a", context: { a: "q", b: "zz" } }, // same text, another field
      { action: "x.run", context: { a: 7 } },
      { action: "x.run", context: { a: "7" } },
      { action: "x.run", context: { b: 7 } }, // the number is not the text `7`, though its text is
      { action: "x.run", context: { b: "7" } },
      { action: "y.run", arguments: { f: "/srv/../etc/passwd" } },
      { action: "y.run", arguments: { f: "/etc/x/../pass" } }, // read as /etc/pass; the raw text holds `pass`
      { action: "y.run", arguments: { f: "/etc/x/../p" } },
    ];
    const want = [["fr"], ["ok"], ["fs"], ["num"], ["num"], ["ok"], ["str"], ["arg"], ["arg"], ["ok"]];
    reqs.forEach((r, k) => {
      expect(linearRules(p, r, now), JSON.stringify(r)).toEqual(want[k]);
      expect(indexedRules(p, r, now), JSON.stringify(r)).toEqual(want[k]);
    });
  });
  it("templated shell subjects, explain mode and rate limits decide as with every rule of the bucket", async () => {
    const p = await policyOf(`rules:
  - {id: lim, action: shell.execute, effect: allow, command: "echo hi*", rateLimit: {maxRequests: 1, window: "1 minute"}}
  - {id: ctx, action: shell.execute, effect: deny, context.note: {contains: "prod"}, command: "*--force*"}
  - {id: rm, action: shell.execute, effect: deny, command: "*rm -rf*"}
  - {id: ok, action: "*", effect: allow}
`);
    const cases: Array<[unknown, string]> = [
      [{ action: "shell.execute", command: "docker run $X", context: { note: "prod" } }, "ctx"], // `$X` may be --force
      [{ action: "shell.execute", command: "docker run $X", context: { note: "dev" } }, "rm"], // or rm -rf
      [{ action: "shell.execute", command: "$CMD /", context: { note: "dev" } }, "rm"],
      [{ action: "shell.execute", command: "git push --force; ls", context: { note: "prod" } }, "ctx"],
      [{ action: "shell.execute", command: "echo hi there" }, "lim"],
    ];
    for (const [req, rule] of cases) {
      expect(evaluate(p, req, { nowMs: 0 }).rule, JSON.stringify(req)).toBe(rule);
      expect(evaluate(p, req, { nowMs: 0, explain: true }).rule, JSON.stringify(req)).toBe(rule);
    }
    const rateLimits = new MemoryRateLimitStore();
    const echo = { action: "shell.execute", command: "echo hi" };
    expect(evaluate(p, echo, { nowMs: 0, rateLimits }).decision).toBe("allow");
    expect(evaluate(p, echo, { nowMs: 1, rateLimits })).toMatchObject({ decision: "deny", rule: "lim" });
  });
});
