import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { loadPolicy, normalizeRequest, createEngine, type CompiledPolicy } from "../src/index.js";
import { actionPatternMatches } from "../src/engine/action-pattern.js";
import { LiteralSet } from "../src/match/aho-corasick.js";
import { compileWildcard } from "../src/match/wildcard.js";
import { compilePathPattern } from "../src/match/path-glob.js";
import { requiredRegexLiterals } from "../src/match/regex-literals.js";

// The factor index (engine/factor-lists.ts, rule-filing.ts) files rules under
// literal text they cannot match without. Everything here checks that claim
// against the matchers themselves, and the index's answers against a
// top-to-bottom scan, on small alphabets where texts overlap a lot.

const some = (factors: readonly string[], s: string) => factors.some((f) => s.includes(f));

describe("Aho–Corasick literal set", () => {
  it("finds exactly the strings String.includes finds", () => {
    const unit = fc.constantFrom("a", "b", "ab", "é", "\u{1F600}", "-");
    const word = fc.array(unit, { minLength: 1, maxLength: 4 }).map((x) => x.join(""));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 30 }), fc.array(unit, { maxLength: 40 }), (words, text) => {
        const t = text.join("");
        const set = new LiteralSet(words);
        const found = new Set<number>();
        set.scan(t, (id) => {
          expect(found.has(id)).toBe(false); // each id once per scan
          found.add(id);
        });
        // and again: marks from the previous scan must not leak into this one
        const again = new Set<number>();
        set.scan(t, (id) => again.add(id));
        const want = new Set(words.map((w, id) => (t.includes(w) ? id : -1)).filter((x) => x >= 0));
        expect(found).toEqual(want);
        expect(again).toEqual(want);
      }),
      { numRuns: 1500 },
    );
  });
  it("refuses the empty string (it would be in every text)", () => {
    expect(() => new LiteralSet(["a", ""])).toThrow(RangeError);
  });
});

describe("required literals are required", () => {
  const atom = fc.oneof(
    fc.constantFrom("a", "b", "c", "-", "\\.", ".", "[ab]", "[^a]", "\\d", "\\x61", "\\pL", "\\141", "^", "$", "\\b", "é", "\\Q", "(?i)", "(?i:a)", "(?:ab)"),
    fc.constantFrom("(a|b)", "(ab)", "(a|)", "x"),
  );
  const quant = fc.constantFrom("", "", "", "*", "+", "?", "{0,2}", "{1,2}", "{2}", "*?", "{1,}");
  const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
  const alt = fc.array(piece, { minLength: 1, maxLength: 6 }).map((x) => x.join(""));
  const regex = fc.array(alt, { minLength: 1, maxLength: 3 }).map((x) => x.join("|"));
  const text = fc.array(fc.constantFrom("a", "b", "c", "A", "-", ".", "1", "é", "x", "ab"), { maxLength: 12 }).map((x) => x.join(""));

  it("a regex that matches a text contains one of its literals (checked with RE2 itself)", () => {
    let checked = 0;
    fc.assert(
      fc.property(regex, fc.array(text, { minLength: 20, maxLength: 20 }), (src, texts) => {
        let re: RE2JS;
        try {
          re = RE2JS.compile(src);
        } catch {
          return; // not a regex RE2 accepts: validation refuses it
        }
        const lits = requiredRegexLiterals(src);
        if (!lits) return;
        for (const t of texts)
          if (re.test(t)) {
            checked++;
            expect(some(lits, t), `${src} matches ${JSON.stringify(t)} without any of ${JSON.stringify(lits)}`).toBe(true);
          }
      }),
      { numRuns: 4000 },
    );
    expect(checked).toBeGreaterThan(500); // the property was exercised, not vacuously true
  });

  it("the scanner reads what it claims and gives up on what it does not", () => {
    expect(requiredRegexLiterals("^api-[0-9]+\\.prod\\.example\\.com$")).toEqual([".prod.example.com"]);
    expect(requiredRegexLiterals("terraform (apply|destroy)")).toEqual(["terraform "]);
    expect(requiredRegexLiterals("ab+c")).toEqual(["ab"]);
    expect(requiredRegexLiterals("abc*d")).toEqual(["ab"]);
    expect(requiredRegexLiterals("foo|ba")).toEqual(["foo", "ba"]);
    expect(requiredRegexLiterals("\\x61bc")).toEqual(["bc"]); // \x61 is `a`, but not read as literal text
    expect(requiredRegexLiterals("\\pLabc")).toEqual(["abc"]);
    expect(requiredRegexLiterals("(?i)secret")).toBeUndefined();
    expect(requiredRegexLiterals("a(?i:b)c")).toBeUndefined();
    expect(requiredRegexLiterals("\\Qa.b\\E")).toBeUndefined();
    expect(requiredRegexLiterals("foo|.*")).toBeUndefined(); // one alternative needs no text
    expect(requiredRegexLiterals("[abc]+")).toBeUndefined();
  });

  it("a string glob that matches a text contains one of its factors", () => {
    const tok = fc.constantFrom("a", "b", "ab", "*", "?", "[ab]", "{a,b}", "{ab,*}", "\\*", "-");
    fc.assert(
      fc.property(fc.array(tok, { minLength: 1, maxLength: 6 }), fc.array(text, { minLength: 20, maxLength: 20 }), (toks, texts) => {
        const m = compileWildcard(toks.join(""));
        if (!m.factors) return;
        for (const t of texts) if (m.test(t)) expect(some(m.factors, t), `${toks.join("")} ~ ${t}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("a path glob that matches a path contains one of its factors (case-sensitive and case-insensitive)", () => {
    const seg = fc.constantFrom("a", "b", "ab", "*", "**", "*.log", "a*", "?b", "[ab]", "{a,b}", "x-a", "{a,**}");
    const p = fc.array(fc.constantFrom("a", "b", "ab", "x.log", "x-a", "A", "B.LOG"), { minLength: 0, maxLength: 5 }).map((x) => "/" + x.join("/"));
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(p, { minLength: 20, maxLength: 20 }),
        (segs, abs, ci, paths) => {
          const r = compilePathPattern((abs ? "/" : "") + segs.join("/"), abs ? undefined : "/a", { caseInsensitive: ci });
          if (!r.ok || !r.matcher.factors) return;
          for (const path of paths) {
            const v = ci ? path.toLowerCase() : path;
            if (r.matcher.test(v)) expect(some(r.matcher.factors, v), `${segs.join("/")} ~ ${v}`).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// ---- the index against the definition ----

const W = ["a", "ab", "b", "x-a", "log", "--f", "1"];
const word = fc.constantFrom(...W);
const words = fc.array(word, { minLength: 1, maxLength: 4 });

const glob = fc.array(fc.constantFrom(...W, "*", "?", "[ab]", "{a,b}"), { minLength: 1, maxLength: 4 }).map((x) => x.join(""));
const regex = fc.array(fc.constantFrom(...W, ".", "[ab]", "(a|b)", "\\.", "+", "*", "|"), { minLength: 1, maxLength: 5 }).map(
  (x) =>
    x
      .join("")
      .replace(/^[|+*]+/, "")
      .replace(/\|[|+*]*/g, "|")
      .replace(/\|$/, "") || "a",
);
const q = (s: string) => JSON.stringify(s);

/** A condition on one string field, as YAML flow text, in one of the operators the factor index reads. */
const condition = (valueOf: fc.Arbitrary<string>, pattern: fc.Arbitrary<string>) =>
  fc.oneof(
    pattern.map(q),
    fc.array(pattern, { minLength: 1, maxLength: 3 }).map((xs) => `[${xs.map(q).join(", ")}]`),
    valueOf.map((v) => `{eq: ${q(v)}}`),
    fc.array(valueOf, { minLength: 1, maxLength: 3 }).map((vs) => `{in: [${vs.map(q).join(", ")}]}`),
    word.map((w) => `{startsWith: ${q(w)}}`),
    word.map((w) => `{endsWith: ${q(w)}}`),
    word.map((w) => `{contains: ${q(w)}}`),
    regex.map((r) => `{matches: ${q(r)}}`),
    fc.tuple(word, pattern).map(([w, p]) => `{all: [{contains: ${q(w)}}, {glob: ${q(p)}}]}`),
    fc.tuple(word, regex).map(([w, r]) => `{any: [{startsWith: ${q(w)}}, {matches: ${q(r)}}]}`),
    pattern.map((p) => `{not: {glob: ${q(p)}}}`),
  );

const commandText = words.map((x) => x.join(" "));
const keyText = words.map((x) => x.join("_").toUpperCase());
const pathText = words.map((x) => "/" + x.join("/"));
const hostText = words.map((x) => x.map((l) => l.replace(/[^a-z0-9]/g, "q")).join("."));
const pathGlob = fc.array(fc.constantFrom(...W, "*", "**", "*.log", "a*", "{a,b}"), { minLength: 1, maxLength: 4 }).map((x) => "/" + x.join("/"));
const hostGlob = fc.array(fc.constantFrom("a", "ab", "b", "*", "a*", "*b"), { minLength: 1, maxLength: 3 }).map((x) => x.join("."));

const rule = fc.oneof(
  fc.tuple(condition(commandText, glob), fc.option(condition(commandText, glob), { nil: undefined })).map(([c, d]) => ({
    action: "shell.execute",
    when: d === undefined ? `command: ${c}` : `all: [{command: ${c}}, {command: ${d}}]`,
  })),
  condition(
    keyText,
    glob.map((g) => g.toUpperCase()),
  ).map((c) => ({ action: "env.read", when: `key: ${c}` })),
  condition(pathText, pathGlob).map((c) => ({ action: "file.read", when: `path: ${c}` })),
  fc
    .tuple(condition(hostText, hostGlob), condition(pathText, glob))
    .map(([h, u]) => ({ action: "network.request", when: `host: ${h}, url: ${u.replace(/^"/, '"*')}` })),
  fc
    .tuple(condition(hostText, hostGlob), fc.constantFrom(80, 443, 8080))
    .map(([h, p]) => ({ action: "network.request", when: `host: ${h}, port: {matches: "^${p}$"}` })),
  condition(commandText, glob).map((c) => ({ action: "mcp.call", when: `server: fs, tool: ${c}` })),
  condition(commandText, glob).map((c) => ({ action: "*", when: `context.note: ${c}` })),
);

const request = fc.oneof(
  commandText.map((command) => ({ action: "shell.execute", command, cwd: "/tmp" })),
  keyText.map((key) => ({ action: "env.read", key })),
  pathText.map((path) => ({ action: "file.read", path })),
  fc.tuple(hostText, pathText, fc.constantFrom(80, 443, 8080)).map(([h, p, port]) => ({ action: "network.request", url: `http://${h}:${port}${p}` })),
  fc.tuple(commandText).map(([tool]) => ({ action: "mcp.call", server: "fs", tool })),
  fc
    .tuple(commandText, fc.constantFrom("file.read", "env.read", "deploy.run"))
    .map(([note, action]) =>
      action === "file.read"
        ? { action, path: "/a", context: { note } }
        : action === "env.read"
          ? { action, key: "A", context: { note } }
          : { action, context: { note } },
    ),
  fc.constantFrom<unknown>({ action: "deploy.run", context: { note: 7 } }, { action: "deploy.run", context: { note: ["a"] } }, { action: "deploy.run" }),
);

async function compile(rules: Array<{ action: string; when: string }>, effects: string[]): Promise<CompiledPolicy | undefined> {
  const lines = rules.map((r, i) => `  - {id: r${i}, action: '${r.action}', effect: ${effects[i % effects.length]}, ${r.when}}`);
  const text = `defaultAction: deny\nrules:\n${lines.join("\n")}\n`;
  const r = await loadPolicy([{ name: "p.yaml", text }]);
  return r.ok ? r.policy : undefined;
}

/** The definition: the first rule, top to bottom, whose conditions hold, per subject. */
function linearRules(policy: CompiledPolicy, req: unknown): Array<string | null> | undefined {
  const n = normalizeRequest(req, policy.requestOptions);
  if (!n.ok) return undefined;
  return n.request.subjects.map((s) => policy.rules.find((r) => r.actions.some((a) => actionPatternMatches(a, s.action)) && r.test(s))?.id ?? null);
}

function indexedRules(policy: CompiledPolicy, req: unknown): Array<string | null> | undefined {
  const n = normalizeRequest(req, policy.requestOptions);
  if (!n.ok) return undefined;
  return n.request.subjects.map((s) => {
    const i = policy.bucket(s.action).firstMatch(s, 0);
    return i < 0 ? null : policy.rules[i]!.id;
  });
}

describe("the factor index finds exactly the rule a top-to-bottom scan finds", () => {
  it("on generated overlapping policies and requests (every operator the index reads, lists, all/any/not, numbers, absent fields)", async () => {
    let compiled = 0;
    let factored = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 40 }), fc.array(request, { minLength: 10, maxLength: 30 }), async (rules, reqs) => {
        const policy = await compile(rules, ["allow", "deny", "require_approval"]);
        if (!policy) return; // a generated regex RE2 refuses, or a field the action lacks: validation said so
        compiled++;
        for (const a of ["shell.execute", "env.read", "file.read", "network.request", "mcp.call", "deploy.run"]) factored += policy.bucket(a).stats().factored;
        const e = createEngine(policy);
        for (const r of reqs) {
          expect(indexedRules(policy, r), JSON.stringify(r)).toEqual(linearRules(policy, r));
          const d = e.check(r);
          const want = linearRules(policy, r);
          if (want && want.length === 1) expect(d.rule).toBe(want[0]);
        }
      }),
      { numRuns: 400 },
    );
    expect(compiled).toBeGreaterThan(200);
    expect(factored).toBeGreaterThan(1000); // the factor lists were what was tested
  });

  it("rules sharing one key are told apart by another condition, and unkeyed globs by their text", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++)
      lines.push(`- {id: h${i}, action: network.request, host: api.example.com, url: "https://api.example.com/v1/w${i}/*", effect: allow}`);
    for (let i = 0; i < 300; i++) lines.push(`- {id: g${i}, action: shell.execute, command: "git w${i} *", effect: allow}`);
    for (let i = 0; i < 300; i++) lines.push(`- {id: p${i}, action: file.read, path: "**/w${i}/*.log", effect: allow}`);
    for (let i = 0; i < 100; i++) lines.push(`- {id: m${i}, action: env.read, key: {matches: "^W${i}_[A-Z]+$"}, effect: deny}`);
    const r = await loadPolicy([{ name: "p.yaml", text: `defaultAction: deny\nrules:\n${lines.join("\n")}\n` }]);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    const p = r.policy;
    expect(p.bucket("network.request").stats()).toMatchObject({ always: 0, factored: 300 });
    expect(p.bucket("shell.execute").stats()).toMatchObject({ always: 0, factored: 300 });
    expect(p.bucket("file.read").stats()).toMatchObject({ always: 0, factored: 300 });
    expect(p.bucket("env.read").stats()).toMatchObject({ always: 0, factored: 100 });
    const e = createEngine(p);
    expect(e.check({ action: "network.request", url: "https://api.example.com/v1/w299/x" }).rule).toBe("h299");
    expect(e.check({ action: "network.request", url: "https://api.example.com/v1/w300/x" }).rule).toBeNull();
    expect(e.check({ action: "shell.execute", command: "git w17 log", cwd: "/tmp" }).rule).toBe("g17");
    expect(e.check({ action: "shell.execute", command: "git w1 log", cwd: "/tmp" }).rule).toBe("g1");
    expect(e.check({ action: "file.read", path: "/srv/x/w42/a.log" }).rule).toBe("p42");
    expect(e.check({ action: "file.read", path: "/srv/x/w42/a.txt" }).rule).toBeNull();
    expect(e.check({ action: "env.read", key: "W7_TOKEN" }).rule).toBe("m7");
    expect(e.check({ action: "env.read", key: "W77_TOKEN" }).rule).toBe("m77");
  });
});
