import { describe, expect, it } from "vitest";
import { normalizePath } from "../src/index.js";
import { engineFromText } from "./helpers.js";

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
