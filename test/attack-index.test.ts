import { describe, expect, it, vi } from "vitest";
import { createEngine, loadPolicy, normalizeRequest, type CompiledPolicy } from "../src/index.js";
import { actionPatternMatches } from "../src/engine/action-pattern.js";
import { foldCase } from "../src/match/fold.js";
import type { Subject } from "../src/request/subject.js";

// Attacks on the factor index (engine/factor-lists.ts, rule-filing.ts, match/aho-corasick.ts),
// by a helper who read the source. The tests marked FINDING failed on the first version
// (eaab08b) and pass since the fixes; the last block records attempted bypasses that held
// (the index agreed with a top-to-bottom scan). A fourth finding (a trie built by linear
// search over children: 40,000 one-character `in` values took ~2 s to the first decision)
// has no test, since speed is not asserted in tests; the trie is now built from one map.

// Counts the work the index's literal sets do: strings they are built from, text they read.
// The real LiteralSet runs underneath; only the counting is added.
const work = vi.hoisted(() => ({ built: 0, scanned: 0 }));
vi.mock("../src/match/aho-corasick.js", async (importOriginal) => {
  const orig = await importOriginal<typeof import("../src/match/aho-corasick.js")>();
  class CountingLiteralSet extends orig.LiteralSet {
    constructor(words: readonly string[]) {
      super(words);
      work.built += words.length;
    }
    override scan(text: string, found: (id: number) => void): void {
      work.scanned += text.length;
      super.scan(text, found);
    }
  }
  return { ...orig, LiteralSet: CountingLiteralSet };
});

async function policyOf(text: string): Promise<CompiledPolicy> {
  const r = await loadPolicy([{ name: "p.yaml", text }]);
  if (!r.ok) throw new Error(r.errors[0]!.message);
  return r.policy;
}

/** The request's subjects as the rules see them (a case-insensitive policy folds the path, as evaluate.ts does). */
function subjects(policy: CompiledPolicy, req: unknown): Subject[] | undefined {
  const n = normalizeRequest(req, policy.requestOptions);
  if (!n.ok) return undefined;
  return n.request.subjects.map((s) => (policy.caseInsensitivePaths && s.path !== undefined ? { ...s, path: foldCase(s.path) } : s));
}

/** The definition: per subject, the first rule top to bottom whose conditions hold. */
function linearRules(policy: CompiledPolicy, req: unknown): Array<string | null> | undefined {
  return subjects(policy, req)?.map((s) => policy.rules.find((r) => r.actions.some((a) => actionPatternMatches(a, s.action)) && r.test(s))?.id ?? null);
}

function indexedRules(policy: CompiledPolicy, req: unknown): Array<string | null> | undefined {
  return subjects(policy, req)?.map((s) => {
    const i = policy.bucket(s.action).firstMatch(s, 0);
    return i < 0 ? null : policy.rules[i]!.id;
  });
}

describe("FINDING 1: a field-level `all` whose part has >~125k factors makes policy load throw", () => {
  // compile-test.ts `shortest` spreads the factor list into Math.min(...): past V8's argument
  // limit that is a RangeError, and loadPolicy throws. The commit before loads this policy.
  it("loads a blocklist written as `all: [startsWith, any: [in-lists]]` (130,000 values)", async () => {
    const lists = Array.from({ length: 130 }, (_, j) => `{in: [${Array.from({ length: 1000 }, (_, i) => `"v${j}x${i}"`).join(",")}]}`);
    const text = `defaultAction: allow\nrules:\n  - {id: d, action: "*", effect: deny, context.x: {all: [{startsWith: "v"}, {any: [${lists.join(",")}]}]}}\n`;
    const p = await policyOf(text);
    expect(createEngine(p).check({ action: "deploy.run", context: { x: "v5x7" } }).rule).toBe("d");
  }, 120_000);
});

describe("FINDING 2: every subject re-reads shared free-form text, even when no factor rule can decide", () => {
  // A shell line is up to 511 subjects; each carries the request's `context`. gather() scans
  // every factor field of every subject, and its cap only trims the rule lists, not the scan:
  // here the allows (keyed, earlier) decide every subject and the context rule comes last,
  // yet the 60 KB note is read 511 times (30 MB of text per decision; before the change: 0).
  // Measured: `node .atk/dos3.mjs 510 60000` in this worktree, 4.9 ms -> 111 ms per decision.
  it("reads a 60 KB context note at most once for a 511-subject command decided by earlier rules", async () => {
    const p = await policyOf(`defaultAction: deny
rules:
  - {id: no-rm, action: shell.execute, effect: deny, command: "rm *"}
  - {id: no-etc, action: file.*, effect: deny, path: "/etc/**"}
  - {id: ok-true, action: shell.execute, effect: allow, command: "true*"}
  - {id: ok-tmp, action: file.write, effect: allow, path: "/t/**"}
  - {id: no-secret, action: "*", effect: deny, context.note: {contains: "BEGIN PRIVATE KEY"}}
`);
    const note = "x".repeat(60_000);
    const req = { action: "shell.execute", command: "true " + Array.from({ length: 510 }, (_, i) => `>/t/${i}`).join(" "), context: { note } };
    const e = createEngine(p);
    e.check(req); // builds the buckets
    work.scanned = 0;
    const d = e.check(req);
    expect(d.decision).toBe("allow");
    expect(d.rule).toBe("ok-true");
    expect(work.scanned).toBeLessThanOrEqual(note.length);
  });
});

describe("FINDING 3: each custom action's bucket builds its own automaton over the same `*` rules", () => {
  // compile.ts shares a bucket only between action names with identical members. A policy
  // with namespace rules (`ns<i>.*`) gives every namespace its own member set, and each bucket
  // builds a LiteralSet over all the `*` rules' factors again: for 1,000 namespaces and 2,000
  // `*` rules, 1,000 requests grew the heap by 1.3 GB (before: 49 MB) and cost 39 ms each
  // (before: 1.5 ms): `node --expose-gc .atk/mem.mjs new 1000 2000 1000` vs `... base ...`.
  it("builds the factor set of the shared `*` rules once, not once per namespace", async () => {
    const F = 200;
    const NS = 100;
    const lines: string[] = [];
    for (let i = 0; i < F; i++) lines.push(`  - {id: f${i}, action: "*", effect: deny, context.x: {contains: "secret-${i}-"}}`);
    for (let i = 0; i < NS; i++) lines.push(`  - {id: n${i}, action: "ns${i}.*", effect: allow}`);
    const p = await policyOf(`defaultAction: deny\nrules:\n${lines.join("\n")}\n`);
    const e = createEngine(p);
    work.built = 0;
    for (let i = 0; i < NS; i++) expect(e.check({ action: `ns${i}.run`, context: { x: "hello" } }).rule).toBe(`n${i}`);
    expect(work.built).toBeLessThanOrEqual(2 * F);
  });
});

describe("held: attempted bypasses where the index agrees with the top-to-bottom scan", () => {
  const cases: Array<{ policy: string; reqs: unknown[]; denied: number }> = [
    {
      // regex syntax the literal scanner must not misread
      policy: `rules:
  - {id: r1, action: "*", effect: deny, context.x: {matches: "\\\\x41BC"}}
  - {id: r2, action: "*", effect: deny, context.x: {matches: "a(?i)bc"}}
  - {id: r3, action: "*", effect: deny, context.x: {matches: "x[[:alpha:]]yz"}}
  - {id: r4, action: "*", effect: deny, context.x: {matches: "\\\\Qa.b\\\\E"}}
  - {id: r5, action: "*", effect: deny, context.x: {matches: "q\\\\pNrs"}}
  - {id: r6, action: "*", effect: deny, context.x: {matches: "(?P<n>tu)vw{0}"}}
  - {id: r7, action: "*", effect: deny, context.n: {matches: "^1e\\\\+21$"}}
  - {id: ok, action: "*", effect: allow}
`,
      reqs: [
        ...["ABC", "aBC", "xQyz", "a.b", "q7rs", "tuv", "tu"].map((x) => ({ action: "deploy.run", context: { x } })),
        { action: "deploy.run", context: { n: 1e21 } },
      ],
      denied: 7, // all but `tu`
    },
    {
      // case and Unicode: host globs over canonical hosts, case-insensitive paths (ß, Kelvin sign, NFD, final sigma)
      policy: `paths: {caseInsensitive: true}
rules:
  - {id: h1, action: network.request, effect: deny, host: "*EVIL*"}
  - {id: p1, action: file.read, effect: deny, path: "/data/Straße*/**"}
  - {id: p2, action: file.read, effect: deny, path: "**/KEYS/*"}
  - {id: p3, action: file.read, effect: deny, path: "/x/é*"}
  - {id: p4, action: file.read, effect: deny, path: "/g/ΣΑ*"}
  - {id: ok, action: "*", effect: allow}
`,
      reqs: [
        { action: "network.request", url: "https://WWW.EVIL.COM/" },
        { action: "network.request", url: "https://www.\u212Aevil.com/" },
        { action: "file.read", path: "/DATA/STRASSE-1/a" },
        { action: "file.read", path: "/srv/\u212Aeys/a" },
        { action: "file.read", path: "/x/e\u0301tc" },
        { action: "file.read", path: "/g/σας" },
      ],
      denied: 6,
    },
    {
      // free-form values: numbers, lists, objects, path-shaped tests read as paths
      policy: `rules:
  - {id: a1, action: "*", effect: deny, arguments.f: "/etc/**"}
  - {id: a2, action: "*", effect: deny, context.v: {in: ["7", "x"]}}
  - {id: a3, action: "*", effect: deny, context.v: {all: [{contains: "se"}, {glob: "*cret"}]}}
  - {id: ok, action: "*", effect: allow}
`,
      reqs: [
        { action: "mcp.call", server: "s", tool: "t", arguments: { f: "/srv/../etc/passwd" } },
        { action: "mcp.call", server: "s", tool: "t", arguments: { f: "//etc//passwd" } },
        { action: "deploy.run", context: { v: 7 } },
        { action: "deploy.run", context: { v: ["x"] } },
        { action: "deploy.run", context: { v: "secret" } },
      ],
      denied: 3, // the number 7 is not the text "7", and a list is not a member
    },
  ];
  it("agrees on every case", async () => {
    for (const c of cases) {
      const p = await policyOf(c.policy);
      let denied = 0;
      for (const r of c.reqs) {
        const want = linearRules(p, r);
        expect(indexedRules(p, r), JSON.stringify(r)).toEqual(want);
        if (want?.some((id) => id !== "ok")) denied++;
      }
      expect(denied).toBe(c.denied); // the cases reach the deny rules: the agreement is not vacuous
    }
  });
});
