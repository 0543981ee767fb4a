import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEngine, loadPolicy, normalizeHost, normalizePath, normalizeUrl, normalizeRequest, type CompiledPolicy } from "../src/index.js";
import { actionPatternMatches } from "../src/engine/action-pattern.js";
import { compileWildcard } from "../src/match/wildcard.js";
import { compilePattern } from "../src/match/compiled-pattern.js";
import { foldCase } from "../src/match/fold.js";

const actions = ["file.read", "file.write", "file.delete", "shell.execute", "network.request", "env.read", "mcp.call"];
const segment = fc.constantFrom("app", "etc", "tmp", "secrets", ".env", "..", ".", "", "data", "x");
const path = fc.array(segment, { maxLength: 6 }).map((s) => "/" + s.join("/"));
const host = fc.constantFrom(
  "api.openai.com",
  "db.internal",
  "a.b.internal",
  "internal",
  "169.254.169.254",
  "0xa9fea9fe",
  "evil.com",
  "smtp.gmail.com",
  "EVIL.com.",
);
const command = fc.constantFrom(
  "ls",
  "ls -la",
  "terraform plan",
  "terraform destroy",
  "rm -rf /",
  "cat .env",
  "echo hi > /tmp/x",
  "sudo rm x",
  "a && b",
  "$(x)",
);
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
    fc
      .record({
        a: fc.constantFrom("file.read", "file.*", "*"),
        p: fc.constantFrom("/app/**", "/etc/*", "**/.env", "/tmp/**", "/secrets/**", "/**"),
        e: fc.constantFrom(...effects),
      })
      .map((r) => `- {action: '${r.a}', path: '${r.p}', effect: ${r.e}}`),
    fc
      .record({ h: fc.constantFrom("*.internal", "api.openai.com", "169.254.169.254", "smtp.*", "*", "169.254.0.0/16"), e: fc.constantFrom(...effects) })
      .map((r) => `- {action: network.request, host: '${r.h}', effect: ${r.e}}`),
    fc
      .record({ c: fc.constantFrom("terraform plan*", "rm *", "ls*", "*", "{ls,cat} *", "echo *"), e: fc.constantFrom(...effects) })
      .map((r) => `- {action: shell.execute, command: '${r.c}', effect: ${r.e}}`),
    fc
      .record({ k: fc.constantFrom("AWS_*", "HOME", "FLY_API_TOKEN"), e: fc.constantFrom(...effects) })
      .map((r) => `- {action: env.read, key: '${r.k}', effect: ${r.e}}`),
    fc
      .record({ a: fc.constantFrom(...actions, "*"), e: fc.constantFrom(...effects) })
      .map((r) => `- {action: '${r.a}', effect: ${r.e}, agent: {exists: false}}`),
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
  let worst = "allow";
  const rank = { allow: 0, require_approval: 1, deny: 2 } as const;
  const contribute = (eff: keyof typeof rank) => {
    if (rank[eff] > rank[worst as keyof typeof rank]) worst = eff;
  };
  for (const subject of n.request.subjects) {
    const rules = policy.rules.filter((r) => r.actions.some((a) => actionPatternMatches(a, subject.action)));
    // a possible effect of a command (Subject.possible) is decided by rules only, not by the default
    const fallback = subject.possible ? "allow" : policy.ir.defaultAction;
    if (subject.templates) {
      // run-time values, by definition: every rule that may match contributes, up to the first that must
      let stopped = false;
      for (const r of rules) {
        if (!r.may(subject, 0)) continue;
        contribute(r.effect);
        if (r.must(subject, 0)) {
          stopped = true;
          break;
        }
      }
      if (!stopped) contribute(fallback);
      continue;
    }
    const rule = rules.find((r) => r.test(subject));
    contribute(rule ? rule.effect : fallback);
  }
  return worst;
}

describe("invariants", () => {
  it("the evaluator never throws, whatever it is given", async () => {
    const e = createEngine(await compile(["- {action: '*', effect: allow, path: '/**'}"]));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record(
            {
              action: fc.oneof(fc.string(), fc.constantFrom(...actions)),
              path: fc.anything(),
              command: fc.string(),
              url: fc.string(),
              host: fc.string(),
              context: fc.anything(),
            },
            { requiredKeys: ["action"] },
          ),
        ),
        (input) => {
          const d = e.check(input);
          expect(["allow", "deny", "require_approval"]).toContain(d.decision);
          expect(d.allowed).toBe(d.decision === "allow");
        },
      ),
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
      fc.asyncProperty(
        fc.array(ruleLine(["deny", "require_approval"]), { minLength: 1, maxLength: 12 }),
        fc.array(request, { minLength: 1, maxLength: 20 }),
        async (lines, reqs) => {
          const e = createEngine(await compile(lines));
          for (const r of reqs) expect(e.check(r).allowed).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the indexed evaluator decides exactly as a top-to-bottom scan", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleLine(["allow", "deny", "require_approval"]), { minLength: 1, maxLength: 25 }),
        fc.constantFrom("allow", "deny"),
        fc.array(request, { minLength: 1, maxLength: 25 }),
        async (lines, def, reqs) => {
          const policy = await compile(lines, def);
          const e = createEngine(policy);
          for (const r of reqs) expect(e.check(r).decision).toBe(linearDecision(policy, r));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("normalization is idempotent", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          path,
          fc.string().map((s) => "/" + s),
        ),
        (p) => {
          const once = normalizePath(p);
          if (once.ok) expect(normalizePath(once.path)).toEqual(once);
        },
      ),
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
    const toRegex = (p: string) =>
      new RegExp(
        "^" +
          p
            .replace(/[.+^${}()|\\]/g, "\\$&")
            .replace(/\*/g, "[\\s\\S]*")
            .replace(/\?/g, "[\\s\\S]") +
          "$",
      );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "b", "*", "?", " ", "/"), maxLength: 8 }),
        fc.string({ unit: fc.constantFrom("a", "b", " ", "/"), maxLength: 10 }),
        (p, s) => {
          expect(compileWildcard(p).test(s)).toBe(toRegex(p).test(s));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

/**
 * Path patterns: the index, a top-to-bottom scan and the matcher agree, and the
 * matcher agrees with an independent reading of each pattern. Patterns are
 * generated as structures (segments of literals, `*`, `?`, classes, brace
 * groups, `**`) and written out with escapes, brackets, parentheses, braces,
 * spaces and unicode; the structure also gives the reference regular
 * expression and paths that match it.
 */
describe("path patterns: index ≡ linear scan ≡ matcher ≡ reference", () => {
  type Tok = { lit: string } | { star: true } | { one: true } | { cls: string[]; negate: boolean } | { alts: Tok[][] };
  type Seg = "**" | Tok[];
  const chars = ["a", "b", "x", ".", " ", "[", "]", "(", ")", "{", "}", ",", "*", "?", "\\", "!", "+", "@", "é", "日", "😀", "-", "e\u0301"];
  const lit = fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 3 }).map((cs) => ({ lit: cs.join("") }));
  const tok: fc.Arbitrary<Tok> = fc.oneof(
    { weight: 5, arbitrary: lit },
    { weight: 1, arbitrary: fc.constant({ star: true as const }) },
    { weight: 1, arbitrary: fc.constant({ one: true as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ cls: fc.array(fc.constantFrom("a", "b", "x", "é", "(", "]", "-", "日"), { minLength: 1, maxLength: 3 }), negate: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.array(fc.array(lit, { minLength: 1, maxLength: 2 }), { minLength: 2, maxLength: 3 }).map((alts) => ({ alts })) },
  );
  // Adjacent stars are one star (`**` written inside a segment would read as the globstar).
  const noDoubleStar = (ts: Tok[]) => ts.filter((t, k) => !("star" in t && k > 0 && "star" in ts[k - 1]!));
  const seg: fc.Arbitrary<Seg> = fc.oneof(
    { weight: 1, arbitrary: fc.constant("**" as const) },
    { weight: 4, arbitrary: fc.array(tok, { minLength: 1, maxLength: 3 }).map(noDoubleStar) },
  );
  const pattern = fc.array(seg, { minLength: 1, maxLength: 4 });

  // Written out: every special character of a literal escaped (parentheses only
  // where they could read as extglob, to test both spellings).
  const writeLit = (s: string, prev: string) =>
    [...s]
      .map((c, k, cs) => {
        const before = k === 0 ? prev : cs[k - 1]!;
        if ("*?[]{}\\,".includes(c)) return "\\" + c;
        if (c === "(" && "?*+@!".includes(before)) return "\\(";
        if (c === "!" && before === "") return "\\!";
        return c;
      })
      .join("");
  const writeCls = (c: { cls: string[]; negate: boolean }) =>
    "[" + (c.negate ? "!" : "") + c.cls.map((x) => (x === "]" || x === "-" || x === "\\" ? "\\" + x : x)).join("") + "]";
  function writeToks(ts: Tok[]): string {
    let out = "";
    for (const t of ts) {
      if ("lit" in t) out += writeLit(t.lit, out.slice(-1));
      else if ("star" in t) out += "*";
      else if ("one" in t) out += "?";
      else if ("cls" in t) out += writeCls(t);
      else out += "{" + t.alts.map((a) => writeToks(a)).join(",") + "}";
    }
    return out;
  }
  const write = (p: Seg[]) => "/" + p.map((s) => (s === "**" ? "**" : writeToks(s))).join("/");

  // The reference: a regular expression over code points, built from the structure.
  const reLit = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const reCls = (cs: string[]) => cs.map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("");
  function reToks(ts: Tok[]): string {
    return ts
      .map((t) => {
        if ("lit" in t) return reLit(t.lit);
        if ("star" in t) return "[^/]*";
        if ("one" in t) return "[^/]";
        if ("cls" in t) return (t.negate ? "(?![" : "(?=[") + reCls(t.cls) + "])[^/]";
        return "(?:" + t.alts.map(reToks).join("|") + ")";
      })
      .join("");
  }
  const reference = (p: Seg[]) => {
    // `**` is any number of segments; `/` (no segment) matches only when every segment is `**`.
    const body = p.map((s) => (s === "**" ? "(?:/[^/]+)*" : "/" + reToks(s))).join("");
    const re = new RegExp("^" + body + "$", "u");
    const root = p.every((s) => s === "**");
    return (path: string) => (path === "/" ? root : re.test(path));
  };

  // Paths that exercise the pattern: one instance of it (random choices), mutated or not.
  const instance = (p: Seg[]): fc.Arbitrary<string> => {
    const toks = (ts: Tok[]): fc.Arbitrary<string> =>
      fc
        .tuple(
          ...ts.map((t): fc.Arbitrary<string> => {
            if ("lit" in t) return fc.constant(t.lit);
            if ("star" in t) return fc.string({ unit: fc.constantFrom("a", "x", ".", "é"), maxLength: 3 });
            if ("one" in t) return fc.constantFrom("a", "(", "😀", "é");
            if ("cls" in t) return t.negate ? fc.constantFrom("z", "a", "(") : fc.constantFrom(...t.cls);
            return fc.constantFrom(...t.alts).chain(toks);
          }),
        )
        .map((xs) => xs.join(""));
    return fc
      .tuple(...p.map((s) => (s === "**" ? fc.array(fc.constantFrom("a", "(x)", "[id]", "sp ace"), { maxLength: 2 }).map((xs) => xs.join("/")) : toks(s))))
      .map((xs) => "/" + xs.filter((x) => x !== "").join("/"));
  };
  const mutate = (s: string) => fc.constantFrom(s, s + "/y", s.slice(0, -1), s.toUpperCase(), s.replace(/\//g, "//").replace(/^\/\//, "/"), s.normalize("NFC"));

  it("the matcher reads every generated pattern as the reference does", () => {
    fc.assert(
      fc.property(
        pattern.chain((p) => fc.tuple(fc.constant(p), fc.array(instance(p).chain(mutate), { minLength: 1, maxLength: 6 }))),
        ([p, paths]) => {
          const text = write(p);
          const r = compilePattern("path", text);
          // The one refusal a generated pattern can meet: an alternative with a `.` or `..` segment.
          if (!r.ok) return void expect(r.reason).toMatch(/`\.` or `\.\.` segments/);
          const c = r.pattern;
          const ref = reference(p);
          for (const raw of paths) {
            const n = normalizePath(raw);
            if (!n.ok) continue;
            expect(c.test(n.path), `${text} vs ${n.path}`).toBe(ref(n.path));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("the index decides as a top-to-bottom scan, on generated patterns (case-sensitive and folded)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(pattern, fc.constantFrom("allow", "deny", "require_approval")), { minLength: 1, maxLength: 12 }),
        fc.constantFrom("allow", "deny"),
        fc.boolean(),
        async (rules, def, ci) => {
          const lines = rules.map(([p, e]) => `- {action: file.read, path: ${JSON.stringify(write(p))}, effect: ${e}}`);
          const r = await loadPolicy([
            { name: "p.yaml", text: `defaultAction: ${def}\n${ci ? "paths: {caseInsensitive: true}\n" : ""}rules:\n${lines.join("\n")}` },
          ]);
          if (!r.ok) return; // folding can refuse a class (a letter that folds to several); validation says so
          const e = createEngine(r.policy);
          const paths = rules.flatMap(([p]) => fc.sample(instance(p).chain(mutate), { numRuns: 4 }));
          for (const raw of paths) {
            const d = e.check({ action: "file.read", path: raw });
            if (d.error) continue;
            expect(d.decision, `${raw} under ${lines.join(" ")}`).toBe(
              linearDecision(r.policy, {
                action: "file.read",
                path: ci ? foldCase(normalizePath(raw).ok ? (normalizePath(raw) as { path: string }).path : raw) : raw,
              }),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
