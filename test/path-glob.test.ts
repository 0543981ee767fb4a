import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accepts } from "../src/match/automaton.js";
import { compilePattern } from "../src/match/compiled-pattern.js";
import { compilePathPattern } from "../src/match/path-glob.js";
import { normalizePath } from "../src/request/normalize-path.js";
import { errorsOf } from "./helpers.js";

const matcher = (pattern: string, cwd?: string) => {
  const r = compilePathPattern(pattern, cwd);
  if (!r.ok) throw new Error(r.reason);
  return r.matcher;
};

describe("path glob semantics", () => {
  it.each([
    // pattern, path, matches
    ["/app/**", "/app", true],
    ["/app/**", "/app/x/y", true],
    ["/app/**", "/application/x", false],
    ["/app/*", "/app/x", true],
    ["/app/*", "/app/x/y", false],
    ["/app/*", "/app", false],
    ["/*", "/", false],
    ["/**", "/", true],
    ["/", "/", true],
    ["/", "/x", false],
    ["**/.env", "/.env", true],
    ["**/.env", "/a/b/.env", true],
    ["**/.env", "/a/b/x.env", false],
    ["/secrets/**", "/secrets/.key", true],
    ["/a/**/b", "/a/b", true],
    ["/a/**/b", "/a/x/y/b", true],
    ["/a/**/b", "/a/xb", false],
    ["/src/**/*.ts", "/src/a.ts", true],
    ["/src/**/*.ts", "/src/x/y/a.ts", true],
    ["/src/**/*.ts", "/src/x/a.tsx", false],
    ["/src/**/*.ts", "/src.ts", false],
    ["**/*.ts", "/.ts", true],
    ["/a/x**y", "/a/xzzy", true],
    ["/a/x**y", "/a/x/y", false],
    ["/a/?.md", "/a/é.md", true],
    ["/a/?.md", "/a/😀.md", true],
    ["/a/?.md", "/a/ab.md", false],
    ["/a/[a-c]", "/a/b", true],
    ["/a/[!a-c]", "/a/b", false],
    ["/a/[!a-c]", "/a/z", true],
    ["/a/[^a-c]", "/a/z", true],
    ["/a/[]x]", "/a/]", true],
    ["/a/[à-ö]", "/a/é", true],
    ["/a/{b,c}/d", "/a/c/d", true],
    ["/a/{b,c/d}/e", "/a/c/d/e", true],
    ["/a/{b,{c,d}}", "/a/d", true],
    ["/a/{x}", "/a/{x}", true],
    ["/a/\\{b,c\\}", "/a/{b,c}", true],
    // the index/matcher bypasses of issue 11: escapes, spaces and parentheses are literal
    ["/app/src/app/\\[id\\]/secret.ts", "/app/src/app/[id]/secret.ts", true],
    ["/app/\\[slug\\]/**", "/app/[slug]/page.tsx", true],
    ["/app/\\[slug\\]/**", "/app/s/page.tsx", false],
    ["/app/my\\ secrets/key", "/app/my secrets/key", true],
    ["/app/my secrets/key", "/app/my secrets/key", true],
    ["/app/(admin)/**", "/app/(admin)/users.ts", true],
    ["/app/(admin)/**", "/app/admin/users.ts", false],
    ["/app/a|b", "/app/a|b", true],
    ["/app/a+b", "/app/a+b", true],
    ["/app/\\*", "/app/*", true],
    ["/app/\\*", "/app/x", false],
    ["/app/a\\\\b", "/app/a\\b", true],
    // a trailing slash means the directory and everything under it
    ["/app/private/", "/app/private", true],
    ["/app/private/", "/app/private/key", true],
    ["/app/private/", "/app/privatex", false],
    ["/app/{a,b}/", "/app/b/x", true],
    // unicode is literal, code point by code point
    ["/données/**", "/données/x", true],
    ["/日本/*.txt", "/日本/a.txt", true],
  ])("%s vs %s → %s", (pattern, path, want) => {
    const m = matcher(pattern);
    expect(m.test(path)).toBe(want);
    expect(accepts(m.nfa, path)).toBe(want);
  });

  it("relative patterns anchor at cwd, and a cwd with glob characters is literal", () => {
    expect(matcher("src/*.ts", "/srv/[repo]").test("/srv/[repo]/src/a.ts")).toBe(true);
    expect(matcher("src/*.ts", "/srv/[repo]").test("/srv/r/src/a.ts")).toBe(false);
    expect(matcher("./**", "/srv/repo").test("/srv/repo/x")).toBe(true);
    expect(matcher("./**", "/srv/repo").test("/elsewhere/x")).toBe(false);
    expect(matcher("src/**").floating).toBe(true);
    expect(matcher("src/**").test("/deep/down/src/x")).toBe(true);
    expect(matcher("**/x").floating).toBe(false);
  });

  it("index bases are the unescaped literal directories", () => {
    expect(matcher("/app/\\[slug\\]/**").bases).toEqual(["/app/[slug]"]);
    expect(matcher("/app/my\\ secrets/key").bases).toEqual(["/app/my secrets/key"]);
    expect(matcher("/app/{a,b\\,c}/*").bases).toEqual(["/app/a", "/app/b,c"]);
    expect(matcher("**/.env").bases).toBeUndefined();
    expect(matcher("/app/*/x").bases).toEqual(["/app"]);
  });
});

describe("path patterns refused at validation, each with the fix", () => {
  it.each([
    ["/app/+(a|b)/**", /extglob.*\{a,b\}/],
    ["/app/@(x)", /extglob/],
    ["/app/*(x)", /extglob/],
    ["/app/?(x)", /extglob/],
    ["/app/x!(y)", /extglob/],
    ["!/app/**", /use `not:`/],
    ["/app/[x", /unterminated `\[`.*\\\[/],
    ["/app/x\\", /ends with `\\`/],
    ["/app/[[:alpha:]]", /POSIX character classes/],
    ["/app/[a/b]", /`\/` inside `\[...\]`/],
    ["/app/[z-a]", /reversed/],
    ["/app//x", /empty segment/],
    ["/app/../x", /`\.` or `\.\.`/],
    ["/app/./x", /`\.` or `\.\.`/],
    ["/app/x\ny", /control character U\+000A/],
    ["/app/x\ty", /control character U\+0009/],
    ["/app/{1..3}", /brace ranges/],
    [".", /names no file/],
    ["/app/\ud800", /lone UTF-16 surrogate/],
  ])("%j", (pattern, reason) => {
    const r = compilePattern("path", pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("a policy with such a pattern is an error at its position", () => {
    const errs = errorsOf(`rules:\n  - action: file.read\n    effect: deny\n    path: "/app/+(a|b)/**"\n`);
    expect(errs[0]).toMatchObject({ code: "bad_glob", line: 4 });
  });

  it("a class that reads like a Next.js directory name is a warning that says how to escape it", async () => {
    const { parsePolicy } = await import("../src/index.js");
    const r = parsePolicy([{ name: "p.yaml", text: `rules:\n  - {action: file.read, effect: deny, path: "/app/[slug]/**"}\n` }]);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.message).join("\n")).toMatch(/`\[slug\]` is a character class.*write `\\\[slug\\\]`/);
  });
});

describe("the matcher's direct tests agree with its automaton", () => {
  const seg = fc.constantFrom("a", "b", ".env", "x.ts", "[x]", "(a)", "a b", "é", "日", "..x", ".a");
  const path = fc.array(seg, { maxLength: 5 }).map((s) => "/" + s.join("/"));
  const patSeg = fc.constantFrom(
    "a",
    "b",
    "*",
    "**",
    "*.ts",
    ".env",
    "\\[x\\]",
    "(a)",
    "a\\ b",
    "?",
    "[a-b]",
    "{a,b}",
    "x*",
    "é",
    "*a*b*a*",
    "[!a]*?b",
    "*.{ts,js}",
  );
  const pattern = fc.array(patSeg, { minLength: 1, maxLength: 4 }).map((s) => "/" + s.join("/"));
  it("on every normalized path, for patterns of every fast-path shape", () => {
    fc.assert(
      fc.property(pattern, path, (p, x) => {
        const n = normalizePath(x);
        if (!n.ok) return;
        const m = matcher(p);
        expect(m.test(n.path)).toBe(accepts(m.nfa, n.path));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("pattern relations, for shadowing analysis", async () => {
  const { overlapWitness, uncoveredWitness } = await import("../src/match/pattern-relations.js");
  const p = (field: string, pattern: string) => {
    const r = compilePattern(field, pattern);
    if (!r.ok) throw new Error(r.reason);
    return r.pattern;
  };
  it.each([
    // field, earlier allow, later deny, a value both match (null: none), a value of the deny the allow leaves alone (null: fully shadowed)
    ["path", "/app/**", "**/.env", "/app/.env", "/.env"],
    ["path", "/app/**", "/app/secrets/**", "/app/secrets", null],
    ["path", "/app/*.ts", "/app/\\[id\\]/**", null, "/app/[id]"],
    ["command", "git *", "git push*", "git push", null],
    ["command", "git status*", "git push*", null, "git push"],
  ])("%s: allow %s, deny %s", (field, allow, deny, overlap, uncovered) => {
    expect(overlapWitness(p(field, allow), p(field, deny))).toBe(overlap);
    expect(uncoveredWitness(p(field, allow), p(field, deny))).toBe(uncovered);
  });
  it("hosts have no automaton: could not tell", () => {
    expect(overlapWitness(p("host", "*.internal"), p("host", "db.internal"))).toBeUndefined();
  });
});

describe("a policy whose IR skipped validation is refused, never read as no-match", async () => {
  const { compilePolicy } = await import("../src/engine/compile.js");
  // Rules compile on first use (engine/compile.ts): the error comes with the first decision that
  // reaches the rule, as a deny, even where the policy's default would allow.
  it("an invalid path pattern in a hand-made IR denies every request that reaches it", async () => {
    const { createEngine } = await import("../src/engine/engine.js");
    const ir = {
      defaultAction: "allow" as const,
      sources: [],
      rules: [
        {
          id: "d",
          actions: ["file.read"],
          effect: "deny" as const,
          when: [{ kind: "field" as const, field: "path", test: { op: "glob" as const, pattern: "/app/+(a|b)/**" } }],
          source: { file: "x", line: 1, column: 1 },
        },
      ],
    };
    const engine = createEngine(compilePolicy(ir, "sha256:x"));
    for (const path of ["/app/a/x", "/app/c/x", "/elsewhere"]) {
      const d = engine.check({ action: "file.read", path });
      expect(d).toMatchObject({ decision: "deny", error: "internal_error" });
      expect(d.reason).toMatch(/extglob/);
    }
    // A request the rule's action does not cover is the default's, as before.
    expect(engine.check({ action: "env.read", key: "HOME" })).toMatchObject({ decision: "allow", rule: null });
  });
});
