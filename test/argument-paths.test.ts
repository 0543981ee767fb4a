import { posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { engineFromText, errorsOf } from "./helpers.js";

/**
 * Tests on `arguments.*` / `context.*` written as paths (a glob starting with
 * `/` or `**\/`, an operand starting with `/`) see the value resolved as a
 * path, every way a tool may read it (engine/argument-paths.ts); everything
 * else compares the value as sent.
 */
const denyEtc = `
version: 1
defaultAction: deny
rules:
  - id: no-mcp-etc
    action: mcp.call
    effect: deny
    arguments.path: "/etc/**"
  - id: mcp-docs
    action: mcp.call
    effect: allow
    server: docs
`;

const call = (path: unknown, extra: Record<string, unknown> = {}) => ({ action: "mcp.call", server: "docs", tool: "fetch", arguments: { path, ...extra } });

describe("a path deny on arguments holds however the path is spelled", async () => {
  const e = await engineFromText(denyEtc);
  it.each([
    ["as written", "/etc/passwd"],
    ["dotdot", "/srv/../etc/passwd"],
    ["dotdot above the root", "/../../etc/passwd"],
    ["double slash", "//etc/passwd"],
    ["dot segment", "/etc/./passwd"],
    ["trailing slash", "/etc/"],
    ["the directory itself", "/etc"],
    ["percent-encoded dotdot", "/srv/%2e%2e/etc/passwd"],
    ["percent-encoded upper-case dotdot", "/srv/%2E%2E/etc/passwd"],
    ["percent-encoded slash", "/srv/..%2fetc/passwd"],
    ["double percent-encoding", "/srv/%252e%252e/etc/passwd"],
    ["percent escape that is not UTF-8", "/srv/%e9"],
    ["backslash dotdot (a Windows server)", "/srv\\..\\etc\\passwd"],
    ["percent-encoded backslash", "/srv/..%5cetc/passwd"],
    ["relative path (resolved against a directory the engine does not know)", "etc/passwd"],
    ["relative dotdot", "../../etc/passwd"],
    ["home directory", "~/../../etc/passwd"],
    ["control character", "/etc/pass\nwd"],
    ["line separator", "/srv/x\u2028/../../etc/passwd"],
    ["a list with one path under /etc", ["/srv/docs/a", "/etc/passwd"]],
    ["a nested list", [["/srv/docs/a"], ["//etc/shadow"]]],
    ["an empty list", []],
    ["a number", 0],
    ["null", null],
    ["an object", { path: "/etc/passwd" }],
    ["an empty string", ""],
  ])("%s", (_attack, path) => {
    expect(e.check(call(path))).toMatchObject({ decision: "deny", rule: "no-mcp-etc" });
  });

  it.each([
    ["a path elsewhere", "/srv/docs/a.md"],
    ["a path elsewhere, spelled loosely", "/srv//docs/./a.md/"],
    ["a list of paths elsewhere", ["/srv/docs/a", "/srv/docs/b"]],
    ["an escape that stays elsewhere", "/srv/docs/%C3%A9t%C3%A9.md"],
    ["a name that only starts like /etc", "/etcetera/x"],
  ])("%s is not denied: %s", (_what, path) => {
    expect(e.check(call(path))).toMatchObject({ decision: "allow", rule: "mcp-docs" });
  });

  it("a missing argument is not a path (a glob on a missing field does not hold)", () => {
    expect(e.check({ action: "mcp.call", server: "docs", tool: "fetch", arguments: { other: "/etc/passwd" } })).toMatchObject({
      decision: "allow",
      rule: "mcp-docs",
    });
  });

  it("the reason says what is unsure and what to send", () => {
    expect(e.check(call("etc/passwd")).reason).toBe(
      "rule no-mcp-etc (deny): `arguments.path` (`etc/passwd`) is not an absolute path (the tool resolves it against a directory the engine does not know), so a path it may name could match it; send one absolute path, as the tool will read it",
    );
    expect(e.check(call("/srv/%2e%2e/etc/passwd")).reason).toMatch(/reads as 2 paths \(`\/srv\/%2e%2e\/etc\/passwd`, `\/etc\/passwd`\)/);
    expect(e.check(call("//etc/passwd")).reason).toBe("rule no-mcp-etc (deny)");
  });

  it("in a case-sensitive policy `/ETC` is another directory, as for file requests (Linux)", () => {
    expect(e.check(call("/ETC/passwd"))).toMatchObject({ decision: "allow", rule: "mcp-docs" });
  });
});

describe("a path allow on arguments needs every reading inside it", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: deny
rules:
  - id: docs
    action: mcp.call
    effect: allow
    arguments.path: "/srv/docs/**"
`);
  it.each([
    ["climbs out", "/srv/docs/../../etc/passwd", "deny"],
    ["climbs out by backslashes", "/srv/docs/a\\..\\..\\..\\etc\\passwd", "deny"],
    ["climbs out percent-encoded", "/srv/docs/%2e%2e/%2e%2e/etc/passwd", "deny"],
    ["relative", "docs/a.md", "deny"],
    ["a list with one path outside", ["/srv/docs/a", "/srv/other"], "deny"],
    ["not a string", 7, "deny"],
    ["inside", "/srv/docs/a.md", "allow"],
    ["inside, spelled loosely", "//srv/docs/sub/../a.md", "allow"],
    ["a backslash that stays inside", "/srv/docs/a\\b.md", "allow"],
    ["a list inside", ["/srv/docs/a", "/srv/docs/b/c"], "allow"],
  ])("%s: %j", (_what, path, decision) => {
    expect(e.check({ action: "mcp.call", server: "fs", tool: "read", arguments: { path } }).decision).toBe(decision);
  });

  it("a relative path is denied with the fix in the reason", () => {
    expect(e.check({ action: "mcp.call", server: "fs", tool: "read", arguments: { path: "docs/a.md" } }).reason).toBe(
      "no rule matches every path the value may name: `arguments.path` (`docs/a.md`) is not an absolute path (the tool resolves it against a directory the engine does not know); send one absolute path, as the tool will read it; the policy default is deny",
    );
  });
});

describe("string operators, eq and in with absolute operands read the value as a path", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: allow
rules:
  - id: starts
    action: mcp.call
    effect: deny
    arguments.a: { startsWith: "/etc" }
  - id: ends
    action: mcp.call
    effect: deny
    arguments.b: { endsWith: "/id_rsa" }
  - id: contains
    action: mcp.call
    effect: deny
    arguments.c: { contains: "/.ssh/" }
  - id: eq
    action: mcp.call
    effect: deny
    arguments.d: { eq: "/etc/shadow" }
  - id: in-mixed
    action: mcp.call
    effect: deny
    arguments.e: { in: ["/etc/shadow", "shadow"] }
  - id: outside-srv
    action: mcp.call
    effect: deny
    arguments.f: { exists: true, notIn: ["/srv/ok"] }
  - id: not-under-srv
    action: mcp.call
    effect: deny
    arguments.g: { exists: true }
    not: { arguments.g: "/srv/**" }
  - id: context-cwd
    action: "*"
    effect: deny
    context.cwd: "/root/**"
`);
  const check = (args: Record<string, unknown>, context?: Record<string, unknown>) =>
    e.check({ action: "mcp.call", server: "s", tool: "t", arguments: args, ...(context ? { context } : {}) });
  it.each([
    ["startsWith, double slash", { a: "//etc/passwd" }, "starts"],
    ["startsWith, dotdot", { a: "/tmp/../etc/passwd" }, "starts"],
    ["endsWith, trailing slash", { b: "/home/a/.ssh/id_rsa/" }, "ends"],
    ["endsWith, trailing dot segment", { b: "/home/a/.ssh/id_rsa/." }, "ends"],
    ["contains, doubled slashes", { c: "/home/a//.ssh//config" }, "contains"],
    ["eq, dot segment", { d: "/etc/./shadow" }, "eq"],
    ["in, the path operand spelled loosely", { e: "/etc//shadow" }, "in-mixed"],
    ["in, the text operand as sent", { e: "shadow" }, "in-mixed"],
    ["notIn, relative", { f: "ok" }, "outside-srv"],
    ["not a path glob, climbing out", { g: "/srv/../etc" }, "not-under-srv"],
    ["not a path glob, relative", { g: "srv/x" }, "not-under-srv"],
    ["context, dotdot", {}, "context-cwd", { cwd: "/tmp/../root/.ssh" }],
  ])("%s", (_attack, args, rule, context?: Record<string, unknown>) => {
    expect(check(args, context)).toMatchObject({ decision: "deny", rule });
  });
  it.each([
    ["notIn, the listed path spelled loosely", { f: "/srv/./ok/" }],
    ["not a path glob, inside", { g: "/srv/a" }],
    ["endsWith, another name", { b: "/home/a/.ssh/id_rsa.pub" }],
  ])("%s is not denied", (_what, args) => {
    expect(check(args)).toMatchObject({ decision: "allow", rule: null });
  });
});

describe("tests not written as paths compare the value as sent", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: deny
rules:
  - id: md-text
    action: mcp.call
    effect: allow
    arguments.name: "*.md"
  - id: regex
    action: mcp.call
    effect: allow
    arguments.id: { matches: "^[a-z]+$" }
  - id: eq-text
    action: mcp.call
    effect: allow
    arguments.mode: { eq: "../raw" }
`);
  const check = (args: Record<string, unknown>) => e.check({ action: "mcp.call", server: "s", tool: "t", arguments: args }).rule;
  it.each([
    [{ name: "notes/a.md" }, "md-text"],
    [{ name: "../a.md" }, "md-text"],
    [{ id: "abc" }, "regex"],
    [{ mode: "../raw" }, "eq-text"],
    [{ name: "a.md/" }, null],
  ])("%j", (args, rule) => {
    expect(check(args)).toBe(rule);
  });
});

describe("in a case-insensitive policy path tests on arguments fold, as for files", async () => {
  const e = await engineFromText(denyEtc.replace("defaultAction: deny", "defaultAction: deny\npaths: { caseInsensitive: true }"));
  it.each([
    ["upper case", "/ETC/passwd", "deny"],
    ["Windows drops a trailing dot", "/etc./passwd", "deny"],
    ["an NTFS stream", "/srv/x::$DATA/../../etc/passwd", "deny"],
    ["elsewhere", "/Srv/Docs/A.md", "allow"],
  ])("%s: %s", (_what, path, decision) => {
    expect(e.check(call(path)).decision).toBe(decision);
  });
});

describe("validation reads path tests on arguments as paths", () => {
  it.each([
    ["a pattern with a dotdot segment", `arguments.path: "/srv/../etc/**"`, /contains `\.` or `\.\.` segments/],
    ["path and text alternatives in one pattern", `arguments.path: "{/etc,etc}/**"`, /mixes path alternatives/],
    ["an extglob", `arguments.path: "/srv/+(a|b)"`, /extglob/],
    ["startsWith with a dotdot segment", `arguments.path: { startsWith: "/srv/../etc" }`, /`startsWith` on `arguments.path`.*never matches/],
    ["endsWith with a trailing slash", `arguments.path: { endsWith: "/etc/" }`, /`endsWith` on `arguments.path`.*trailing `\/`/],
  ])("%s is an error", (_what, condition, message) => {
    const errors = errorsOf(`version: 1\nrules:\n  - action: mcp.call\n    effect: deny\n    ${condition}\n`).filter((x) => x.severity === "error");
    expect(errors.map((x) => x.message).join("\n")).toMatch(message);
    expect(errors[0]).toMatchObject({ line: 5 });
  });

  it("a regex written for paths on arguments is warned about: it sees the value as sent", async () => {
    const { loadPolicy } = await import("../src/index.js");
    const r = await loadPolicy([
      { name: "p.yaml", text: `version: 1\nrules:\n  - action: mcp.call\n    effect: deny\n    arguments.path: { matches: "^/etc/" }\n` },
    ]);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.message).join("\n")).toMatch(/`matches` on `arguments.path` compares the value as sent/);
  });
});

/**
 * Independently of the engine: the readings of a value as a tool may resolve
 * it (node's posix.normalize, then `\` as `/`, then percent-decoded), and the
 * decision for the value is never more permissive than the decision for any
 * reading sent on its own as a plain absolute path.
 */
describe("a value is never allowed where one of its readings is not (property)", async () => {
  const e = await engineFromText(`
version: 1
defaultAction: deny
rules:
  - id: no-etc
    action: mcp.call
    effect: deny
    arguments.path: "/etc/**"
  - id: approve-secrets
    action: mcp.call
    effect: require_approval
    arguments.path: "**/secrets/**"
  - id: srv
    action: mcp.call
    effect: allow
    arguments.path: "/srv/**"
`);
  const SEVERITY = { allow: 0, require_approval: 1, deny: 2 } as const;
  const segment = fc.constantFrom("srv", "etc", "secrets", "a", ".", "..", "", "%2e%2e", "%2F", "..\\etc", "\\", "x%5c..");
  const readings = (v: string): string[] => {
    const texts = new Set([v, v.replaceAll("\\", "/")]);
    for (const t of [...texts]) {
      try {
        const d = decodeURIComponent(t);
        texts.add(d);
        texts.add(d.replaceAll("\\", "/"));
      } catch {
        /* not decodable: the raw readings stay */
      }
    }
    return [...texts]
      .filter((t) => t.startsWith("/"))
      .map((t) =>
        posix
          .normalize(t)
          .replace(/(.)\/+$/, "$1")
          .replace(/^\/+/, "/"),
      );
  };
  it("readings compose: `\\` read as `/` after `..` was resolved (found by this property)", () => {
    // resolved first: `/..\\etc/secrets`; that with `\\` as `/` is `/etc/secrets`, under the /etc deny
    expect(e.check(call("/..\\etc/..\\etc/../secrets")).decision).toBe("deny");
    expect(e.check(call("/..\\etc/\\/../secrets")).decision).toBe("deny");
  });

  it("holds on generated paths", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (segs, rooted) => {
        const value = (rooted ? "/" : "") + segs.join("/");
        const absolute = value.startsWith("/");
        const got = e.check(call(value)).decision;
        const wanted = absolute ? readings(value) : ["/etc/passwd", "/srv/a"];
        for (const r of wanted) expect(SEVERITY[got], `${value} vs ${r}`).toBeGreaterThanOrEqual(SEVERITY[e.check(call(r)).decision]);
      }),
      { numRuns: 500 },
    );
  });
});
