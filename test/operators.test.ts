import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { engineFromText } from "./helpers.js";

/** One rule with the given condition block; allow when it matches, default deny otherwise. */
async function ruleWith(action: string, conditions: string) {
  return engineFromText(`rules:\n- id: r\n  action: ${action}\n  effect: allow\n  conditions:\n${conditions.replace(/^/gm, "    ")}`);
}

describe("operators", () => {
  it.each([
    ["glob", "path:\n  glob: /app/**", { path: "/app/a/b" }, { path: "/etc/x" }],
    ["pattern", "path:\n  pattern: /app/*.ts", { path: "/app/a.ts" }, { path: "/app/a/b.ts" }],
    ["list of patterns", "path: [/a/**, /b/**]", { path: "/b/x" }, { path: "/c/x" }],
    ["eq (normalized operand)", "path:\n  eq: /app/./x/../y", { path: "/app/y" }, { path: "/app/x" }],
    ["neq", "path:\n  neq: /app/y", { path: "/app/z" }, { path: "/app/y" }],
    ["in", "path:\n  in: [/a, /b]", { path: "/b" }, { path: "/c" }],
    ["notIn", "path:\n  notIn: [/a, /b]", { path: "/c" }, { path: "/a" }],
    ["startsWith", "path:\n  startsWith: /app/", { path: "/app/x" }, { path: "/application" }],
    ["endsWith", "path:\n  endsWith: .md", { path: "/x/README.md" }, { path: "/x/README.txt" }],
    ["contains", "path:\n  contains: /docs/", { path: "/x/docs/a" }, { path: "/x/doc/a" }],
    ["matches (RE2)", "path:\n  matches: '^/app/[a-z]+\\.ts$'", { path: "/app/main.ts" }, { path: "/app/Main.ts" }],
    ["all", "path:\n  all: [{startsWith: /app}, {endsWith: .ts}]", { path: "/app/x.ts" }, { path: "/app/x.js" }],
    ["any", "path:\n  any: [{endsWith: .md}, {endsWith: .txt}]", { path: "/a.txt" }, { path: "/a.js" }],
    ["not", "path:\n  not: {endsWith: .env}", { path: "/a.txt" }, { path: "/a/.env" }],
    ["several operators are all required", "path:\n  startsWith: /app\n  endsWith: .ts", { path: "/app/x.ts" }, { path: "/lib/x.ts" }],
  ])("%s", async (_name, cond, yes, no) => {
    const e = await ruleWith("file.read", cond);
    expect(e.check({ action: "file.read", ...yes }).decision).toBe("allow");
    expect(e.check({ action: "file.read", ...no }).decision).toBe("deny");
  });

  it("host operands are normalized like request hosts", async () => {
    const e = await ruleWith("network.request", "host:\n  in: [API.OpenAI.com., 0xa9fea9fe]");
    expect(e.check({ action: "network.request", host: "api.openai.com" }).decision).toBe("allow");
    expect(e.check({ action: "network.request", url: "http://169.254.169.254/" }).decision).toBe("allow");
    expect(e.check({ action: "network.request", host: "openai.com" }).decision).toBe("deny");
  });

  it("methods compare case-insensitively, ports as numbers", async () => {
    const e = await ruleWith("network.request", "method: get\nport:\n  in: [443, '8443']");
    expect(e.check({ action: "network.request", url: "https://x.com/", method: "GET" }).decision).toBe("allow");
    expect(e.check({ action: "network.request", url: "https://x.com:8443/", method: "get" }).decision).toBe("allow");
    expect(e.check({ action: "network.request", url: "http://x.com/", method: "GET" }).decision).toBe("deny");
  });

  it("exists, and dotted paths into context", async () => {
    const e = await ruleWith("file.read", "context.ticket:\n  exists: true\ncontext.env.name: staging");
    expect(e.check({ action: "file.read", path: "/x", context: { ticket: "OPS-1", env: { name: "staging" } } }).decision).toBe("allow");
    expect(e.check({ action: "file.read", path: "/x", context: { env: { name: "staging" } } }).decision).toBe("deny");
    expect(e.check({ action: "file.read", path: "/x", context: { ticket: 1, env: { name: "prod" } } }).decision).toBe("deny");
    expect(e.check({ action: "file.read", path: "/x", context: { ticket: 1, env: "staging" } }).decision).toBe("deny");
  });

  it("context lookups never reach the prototype", async () => {
    const e = await ruleWith("file.read", "context.constructor:\n  exists: true");
    expect(e.check({ action: "file.read", path: "/x", context: {} }).decision).toBe("deny");
  });

  it("agent identity and condition-level all/any/not", async () => {
    const e = await ruleWith("env.read", "any:\n  - agent: 'ci-*'\n  - all:\n    - agent: dev\n    - key: 'DEV_*'\nnot:\n  key: '*SECRET*'");
    expect(e.check({ action: "env.read", key: "HOME", agent: "ci-42" }).decision).toBe("allow");
    expect(e.check({ action: "env.read", key: "DEV_URL", agent: "dev" }).decision).toBe("allow");
    expect(e.check({ action: "env.read", key: "PROD_URL", agent: "dev" }).decision).toBe("deny");
    expect(e.check({ action: "env.read", key: "MY_SECRET", agent: "ci-1" }).decision).toBe("deny");
    expect(e.check({ action: "env.read", key: "HOME" }).decision).toBe("deny");
  });

  it("mcp calls match on server and tool", async () => {
    const e = await ruleWith("mcp.call", "server: github\ntool: 'get_*'");
    expect(e.check({ action: "mcp.call", server: "github", tool: "get_issue" }).decision).toBe("allow");
    expect(e.check({ action: "mcp.call", server: "github", tool: "delete_repo" }).decision).toBe("deny");
  });

  it("command globs: * spans spaces and slashes, braces expand", async () => {
    const e = await ruleWith("shell.execute", "command: 'helm {install,upgrade} * --namespace dev*'");
    expect(e.check({ action: "shell.execute", command: "helm install web ./charts/web --namespace dev" }).decision).toBe("allow");
    expect(e.check({ action: "shell.execute", command: "helm upgrade web ./charts/web --namespace dev --wait" }).decision).toBe("allow");
    expect(e.check({ action: "shell.execute", command: "helm delete web --namespace dev" }).decision).toBe("deny");
  });

  it("a regex that backtracks catastrophically elsewhere runs in linear time here", async () => {
    const e = await ruleWith("shell.execute", "command:\n  matches: '^(\\w+\\s?)*$'");
    // No speed bound: a backtracking engine needs about 2^n steps to reject n letters and a `!` (1.6 s
    // at n = 25 in V8's own RegExp), so at n = 10,000 it never answers, while RE2 answers in milliseconds.
    // The vm timeout only turns such a hang into a failure (a synchronous loop cannot be stopped by the
    // test's timeout); it is thousands of times what the check takes, so load cannot make it flake.
    const hangGuard = <T>(run: () => T): T => runInNewContext("run()", { run }, { timeout: 20_000 });
    const n = 10_000;
    expect(hangGuard(() => e.check({ action: "shell.execute", command: "a".repeat(n) + "!" })).decision).toBe("deny");
    // (a command line holds at most 2,048 words; a long run of words goes through one command)
    expect(hangGuard(() => e.check({ action: "shell.execute", command: Array(2000).fill("a").join(" ") })).decision).toBe("allow");
  });
});
