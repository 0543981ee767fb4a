import { describe, expect, it } from "vitest";
import { decideSubjects } from "../src/engine/evaluate.js";
import { MemoryRateLimitStore } from "../src/engine/rate-limit.js";
import { mapToolCall } from "../src/sdk/tool-mapping.js";
import { template, templateSource, type TemplatePart } from "../src/match/template.js";
import { treeTemplates } from "../src/request/tree-template.js";
import type { Subject } from "../src/request/subject.js";
import { engineFromText } from "./helpers.js";

/**
 * A recursive search reads every file below the directory it searches
 * (Claude Code's Grep, `grep -r`, `rg`): a request with `recursive: true` is
 * the directory and a template for the tree below it (a `below` hole, which
 * stays under the directory), narrowed by a name glob where one is given.
 * A deny on anything below may-match it; an allow of the whole tree must-match it.
 */
const POLICY = `
rules:
  - {id: no-dotenv, action: file.*, path: "**/.env", effect: deny}
  - {id: no-secrets, action: file.*, path: "/proj/secrets/**", effect: deny}
  - {id: proj, action: file.*, path: "/proj/**", effect: allow}
  - {id: sh, action: shell.execute, command: "*", effect: allow}
`;
const ALLOW_PROJ = `
rules:
  - {id: proj, action: file.*, path: "/proj/**", effect: allow}
  - {id: sh, action: shell.execute, command: "*", effect: allow}
`;

describe("the tree a name glob narrows to (a superset of what ripgrep's --glob selects)", () => {
  it.each([
    [undefined, ["/proj/**"]],
    ["*.ts", ["/proj/**/*.ts"]],
    [".env", ["/proj/**/.env"]],
    ["**/*.ts", ["/proj/**/*.ts"]],
    ["*.{ts,tsx}", ["/proj/**/*.ts", "/proj/**/*.tsx"]],
    ["*.ts *.tsx", ["/proj/**/*.ts", "/proj/**/*.tsx"]],
    ["*.ts,.env", ["/proj/**/*.ts", "/proj/**/.env"]],
    ["test_*.py", ["/proj/**/test_*.py"]],
    [".e[n]v", ["/proj/**/.e[n]v"]],
    // whatever the narrowing cannot read safely is the whole tree
    ["*", ["/proj/**"]],
    ["*.ts *", ["/proj/**"]],
    ["!*.ts", ["/proj/**"]],
    ["src/*.ts", ["/proj/**"]],
    ["\\*.ts", ["/proj/**"]],
    ["{a,b", ["/proj/**"]],
    ["{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}", ["/proj/**"]],
    ["", ["/proj/**"]],
  ])("names %j → %j", (names, want) => {
    expect(treeTemplates("/proj", names).map(templateSource)).toEqual(want);
  });

  it("the narrowed tree ends in the glob's literal text, with a below hole before it", () => {
    expect(treeTemplates("/proj", "*.ts")).toEqual([["/proj/", { hole: "below", source: "**/*" }, ".ts"]]);
    expect(treeTemplates("/", undefined)).toEqual([["/", { hole: "below", source: "**" }]]);
  });
});

describe("recursive requests, decided", async () => {
  const guarded = await engineFromText(POLICY);
  const open = await engineFromText(ALLOW_PROJ);
  it.each([
    // [request fields, decision under POLICY, decision under ALLOW_PROJ]
    [{ path: "/proj", recursive: true }, "deny", "allow"],
    [{ path: "/proj/src", recursive: true }, "deny", "allow"],
    [{ path: "/proj/src", recursive: true, names: "*.ts" }, "allow", "allow"],
    [{ path: "/proj", recursive: true, names: "*.ts" }, "deny", "allow"], // /proj/secrets/x.ts
    [{ path: "/proj", recursive: true, names: ".env" }, "deny", "allow"],
    [{ path: "/proj/src", recursive: true, names: "*.ts .env" }, "deny", "allow"],
    [{ path: "/proj/src", recursive: false }, "allow", "allow"],
    [{ path: "/etc", recursive: true, names: "*.conf" }, "deny", "deny"],
    [{ path: "/", recursive: true }, "deny", "deny"],
    [{ path: "src", cwd: "/proj", recursive: true, names: "*.ts" }, "allow", "allow"],
    [{ path: "src/../secrets", cwd: "/proj", recursive: true, names: "*.ts" }, "deny", "allow"],
  ])("file.read %j → %s / %s", (fields, want, wantOpen) => {
    expect(guarded.check({ action: "file.read", ...fields }).decision).toBe(want);
    expect(open.check({ action: "file.read", ...fields }).decision).toBe(wantOpen);
  });

  it("a deny below names the tree in its reason", () => {
    expect(guarded.check({ action: "file.read", path: "/proj", recursive: true, names: "*.ts" })).toMatchObject({
      rule: "no-secrets",
      reason: expect.stringContaining("/proj/**/*.ts"),
    });
  });

  it.each([
    [{ path: "/proj", recursive: "yes" }, "recursive", /true or false/],
    [{ path: "/proj", recursive: 1 }, "recursive", /true or false/],
    [{ path: "/proj", names: "*.ts" }, "names", /recursive: true/],
    [{ path: "/proj", recursive: false, names: "*.ts" }, "names", /recursive: true/],
    [{ path: "/proj", recursive: true, names: ["*.ts"] }, "names", /must be a string/],
    [{ path: "/proj", recursive: true, names: "*.ts\n.env" }, "names", /control character/],
  ])("a malformed recursive request %j is refused, naming `%s`", (fields, field, reason) => {
    expect(guarded.check({ action: "file.read", ...fields })).toMatchObject({
      decision: "deny",
      error: "invalid_request",
      field,
      reason: expect.stringMatching(reason),
    });
  });
});

describe("Claude Code's Grep and the shell's recursive searches are the same reads", async () => {
  const guarded = await engineFromText(POLICY);
  const open = await engineFromText(ALLOW_PROJ);
  const grep = (e: typeof guarded, input: Record<string, unknown>) => mapToolCall("Grep", input, { cwd: "/proj" }).map((r) => e.check(r).decision);
  const sh = (e: typeof guarded, command: string) => e.check({ action: "shell.execute", command, cwd: "/proj" }).decision;
  it.each([
    [{ pattern: "KEY", path: "/proj/src" }, "rg KEY /proj/src"],
    [{ pattern: "KEY", path: "/proj/src" }, "grep -r KEY /proj/src"],
    [{ pattern: "KEY" }, "rg KEY ."],
    [{ pattern: "KEY", path: "/proj/secrets" }, "grep -R KEY secrets"],
  ])("Grep %j and `%s` decide alike", (input, command) => {
    for (const e of [guarded, open]) {
      const g = grep(e, input).includes("deny") ? "deny" : "allow";
      expect(g).toBe(sh(e, command));
    }
  });

  it("an allow of the tree allows a recursive delete or copy below it too (the shell's trees stay under their directory)", () => {
    expect(sh(open, "rm -r /proj/build")).toBe("allow");
    expect(sh(open, "cp -r /proj/src /proj/backup")).toBe("allow");
    expect(sh(guarded, "rm -r /proj/build")).toBe("deny"); // /proj/build/.env may exist
    expect(sh(open, "rm -r /proj/../etc")).toBe("deny");
  });
});

describe("a below hole stays under its directory, unless a step up follows it", async () => {
  const e = await engineFromText(`
rules:
  - {id: secret, action: file.read, path: "/app/a/*", effect: deny}
  - {id: app, action: file.read, path: "/app/**", effect: allow}
`);
  const rateLimits = new MemoryRateLimitStore();
  const read = (...parts: TemplatePart[]): Subject => {
    const t = template(parts);
    return { action: "file.read", path: templateSource(t), templates: { path: t } };
  };
  const decide = (s: Subject) => decideSubjects(e.policy, s.action, [s], { nowMs: 0, rateLimits });
  const below = { hole: "below" as const, source: "**" };
  it.each([
    // `/app/` + names + `.txt`: under /app, so allowed unless a name may sit in /app/a
    [["/app/b/", below, ".txt"], "allow"],
    [["/app/", below, ".txt"], "deny"],
    // a `..` after the hole removes an unknown number of its names: `/app/a/b/../x` is `/app/a/x`
    [["/app/b/", below, "/../x"], "deny"],
    [["/app/b/", below, "/.."], "deny"],
    // `.` and empty segments after it remove nothing
    [["/app/b/", below, "/./x"], "allow"],
  ])("%j → %s", (parts, want) => {
    expect(decide(read(...(parts as TemplatePart[]))).decision).toBe(want);
  });
});
