import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizePath } from "../src/index.js";
import { engineFromText } from "./helpers.js";

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;

const policy = `
version: 1
defaultAction: deny
rules:
  - id: no-secrets
    action: file.*
    path: "/app/secrets/**"
    effect: deny
  - id: no-dotenv
    action: file.read
    path: "**/.env"
    effect: deny
  - id: app
    action: [file.read, file.write]
    path: "/app/**"
    effect: allow
`;

describe("paths are resolved before matching", async () => {
  const e = await engineFromText(policy);
  it.each([
    ["/app/../etc/passwd", "deny", null],
    ["/app/./../../etc/shadow", "deny", null],
    ["/app//secrets/key", "deny", "no-secrets"],
    ["/app/public/../secrets/key", "deny", "no-secrets"],
    ["/app/secrets/.hidden", "deny", "no-secrets"],
    ["/app/secrets", "deny", "no-secrets"],
    ["/app/secrets/", "deny", "no-secrets"],
    ["/app/./secrets/./a", "deny", "no-secrets"],
    ["/app/sub/.env", "deny", "no-dotenv"],
    ["/.env", "deny", "no-dotenv"],
    ["/app/src/index.ts", "allow", "app"],
    ["/app/.config/x", "allow", "app"],
    ["/App/src/index.ts", "deny", null],
    ["/application/x", "deny", null],
    ["/../../app/x", "allow", "app"],
  ])("file.read %s → %s (%s)", (path, want, rule) => {
    const d = e.check({ action: "file.read", path });
    expect(d.decision).toBe(want);
    expect(d.rule).toBe(rule);
  });

  it("resolves relative paths against the request's cwd", () => {
    expect(e.check({ action: "file.read", path: "../secrets/k", cwd: "/app/src" }).rule).toBe("no-secrets");
    expect(e.check({ action: "file.read", path: "src/x.ts", cwd: "/app" }).decision).toBe("allow");
  });

  it.each([
    [{ path: "src/x.ts" }, /relative and no `cwd`/],
    [{ path: "/app/x\u0000/../secrets" }, /NUL/],
    [{ path: "~/.ssh/id_rsa" }, /home directory/],
    [{ path: "" }, /empty/],
    [{ path: 42 }, /must be a string/],
    [{ path: ["/app/x"] }, /must be a string/],
    [{ path: "/app/" + "a".repeat(5000) }, /longer/],
    [{ path: "x", cwd: "relative" }, /absolute/],
    [{}, /needs `path`/],
  ])("refuses %j", (fields, reason) => {
    const d = e.check({ action: "file.read", ...fields });
    expect(d.decision).toBe("deny");
    expect(d.reason).toMatch(reason);
    expect(d.error).toBe("invalid_request");
  });
});

describe("a policy cwd anchors relative patterns and paths", async () => {
  const e = await engineFromText(`
cwd: /srv/repo
rules:
  - action: file.write
    path: "infra/**/*.tf"
    effect: allow
`);
  it("anchors", () => {
    expect(e.check({ action: "file.write", path: "infra/net/main.tf" }).decision).toBe("allow");
    expect(e.check({ action: "file.write", path: "/srv/repo/infra/main.tf" }).decision).toBe("allow");
    expect(e.check({ action: "file.write", path: "/elsewhere/infra/main.tf" }).decision).toBe("deny");
  });
});

describe("normalizePath", () => {
  it.each([
    ["/a/b/../c", "/a/c"],
    ["//a///b/", "/a/b"],
    ["/..", "/"],
    ["/a/./b/.", "/a/b"],
    ["/", "/"],
  ])("%s → %s", (raw, want) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: want });
  });
});

/**
 * Issue 11: the rule index filed deny rules under their escaped text, so they
 * were never checked and a later allow decided; parentheses were regex groups;
 * a trailing slash never matched; control characters split paths.
 */
const nextjs = `
version: 1
defaultAction: deny
rules:
  - {id: secret-id, action: file.read, path: '/app/src/app/\\[id\\]/secret.ts', effect: deny}
  - {id: slug, action: file.*, path: '/app/\\[slug\\]/**', effect: deny}
  - {id: spaced, action: file.read, path: '/app/my\\ secrets/key', effect: deny}
  - {id: admin, action: file.*, path: '/app/(admin)/**', effect: deny}
  - {id: private, action: file.*, path: '/app/private/', effect: deny}
  - {id: catch-all, action: file.read, path: '/app/\\[...slug\\]/**', effect: deny}
  - {id: etc, action: file.*, path: '/etc/**', effect: deny}
  - {id: app, action: file.*, path: '/app/**', effect: allow}
`;

const ATTACKS: Array<[string, string, string, string | null]> = [
  // attack, path, decision, rule
  ["escaped brackets in a deny, read through a later allow", "/app/src/app/[id]/secret.ts", "deny", "secret-id"],
  ["escaped brackets on a directory", "/app/[slug]/page.tsx", "deny", "slug"],
  ["escaped brackets, deep below", "/app/[slug]/a/b/c.ts", "deny", "slug"],
  ["escaped space", "/app/my secrets/key", "deny", "spaced"],
  ["parentheses are literal (Next.js route groups)", "/app/(admin)/users.ts", "deny", "admin"],
  ["parentheses do not mean the bare name", "/app/admin/users.ts", "allow", "app"],
  ["a trailing-slash pattern covers the directory itself", "/app/private", "deny", "private"],
  ["a trailing-slash pattern covers what is under it", "/app/private/.key", "deny", "private"],
  ["a catch-all route directory", "/app/[...slug]/x.ts", "deny", "catch-all"],
  ["the class reading of `[slug]` is not what the escaped pattern means", "/app/s/page.tsx", "allow", "app"],
  ["resolution before matching: `..` into the escaped directory", "/app/x/../[slug]/page.tsx", "deny", "slug"],
];

describe("index and matcher agree: the bypasses of issue 11", async () => {
  const e = await engineFromText(nextjs);
  it.each(ATTACKS)("%s: %s → %s", (_attack, path, decision, rule) => {
    expect(e.check({ action: "file.read", path })).toMatchObject({ decision, rule });
  });

  it.each([
    ["newline", "/etc/pass\nwd"],
    ["newline to fake a second line", "/app/x\n/etc/shadow"],
    ["carriage return", "/etc/\rpasswd"],
    ["tab", "/etc/\tshadow"],
    ["escape (ANSI)", "/app/\u001b[2Kx"],
    ["DEL", "/etc/pa\u007fsswd"],
    ["C1 next-line", "/etc/pa\u0085sswd"],
    ["line separator", "/etc/pa\u2028sswd"],
  ])("a control character in a segment is uncertain: %s", (_what, path) => {
    const d = e.check({ action: "file.read", path });
    expect(d).toMatchObject({ decision: "deny", error: "uncertain", field: "path" });
    expect(d.reason).toMatch(/^uncertain: the path segment `.*` contains the control character U\+[0-9A-F]{4}/);
    expect(d.reason).not.toMatch(/[\n\r\t]/);
  });

  it("a control character in the cwd is uncertain too", () => {
    expect(e.check({ action: "file.read", path: "x", cwd: "/app/a\nb" })).toMatchObject({ decision: "deny", error: "uncertain" });
  });

  it("a control character in a file a command names is uncertain", () => {
    const d = e.check({ action: "shell.execute", command: "cat '/etc/pass\nwd'", cwd: "/app" });
    expect(d.decision).toBe("deny");
  });
});

describe("the same attacks through `safeclaw check --policy P`", () => {
  it("answers one decision line per request line, each as in process", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-paths-"));
    writeFileSync(join(dir, "p.yaml"), nextjs);
    const lines = ATTACKS.map(([, path]) => JSON.stringify({ action: "file.read", path }));
    lines.push(JSON.stringify({ action: "file.read", path: "/etc/pass\nwd" }));
    const r = spawnSync(process.execPath, [BIN, "check", "--policy", join(dir, "p.yaml")], {
      input: lines.join("\n") + "\n",
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "" },
    });
    const answers = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { decision: string; rule: string | null; error?: string });
    expect(answers).toHaveLength(lines.length);
    ATTACKS.forEach(([, , decision, rule], k) => expect(answers[k]).toMatchObject({ decision, rule }));
    expect(answers[answers.length - 1]).toMatchObject({ decision: "deny", error: "uncertain" });
  });
});
