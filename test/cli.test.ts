import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "./helpers.js";

// The real CLI as a user runs it: `node bin/safeclaw.js` over the built dist/ (npm test builds first).
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const EXAMPLE = new URL("../examples/safeclaw.config.yaml", import.meta.url).pathname;

function run(args: string[], opts: { input?: string; cwd?: string } = {}) {
  const env = { ...process.env };
  delete env.SAFECLAW_AUDIT_SINK;
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? "", cwd: opts.cwd ?? process.cwd(), encoding: "utf8", timeout: 20_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("safeclaw CLI", () => {
  it("prints help for the tool and each command", () => {
    expect(run(["--help"])).toMatchObject({ code: 0, stdout: expect.stringContaining("usage: safeclaw <command>") });
    for (const c of ["init", "validate", "check"]) expect(run([c, "--help"]).stdout).toContain(`usage: safeclaw ${c}`);
    expect(run([])).toMatchObject({ code: 64 });
    expect(run(["frobnicate"])).toMatchObject({ code: 64, stderr: expect.stringContaining("unknown command") });
    expect(run(["check", "--bogus"])).toMatchObject({ code: 64, stderr: expect.stringContaining("bogus") });
  });

  it("init writes a deny-by-default policy that validates, and refuses to overwrite it", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-init-"));
    expect(run(["init", dir]).code).toBe(0);
    const text = readFileSync(join(dir, "safeclaw.config.yaml"), "utf8");
    expect(text).toContain("defaultAction: deny");
    expect(run(["validate"], { cwd: dir })).toMatchObject({ code: 0, stdout: expect.stringContaining("ok: 0 rules") });
    const again = run(["init", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect(readFileSync(join(dir, "safeclaw.config.yaml"), "utf8")).toBe(text);
    // Every commented example in the template is itself a valid rule.
    const uncommented = text.replace(/^(\s*)# (- |  [a-zA-Z])/gm, "$1$2").replace(/^  # (?=\s)/gm, "  ");
    writeFileSync(join(dir, "safeclaw.config.yaml"), uncommented);
    const v = run(["validate"], { cwd: dir });
    expect(v.stderr).toBe("");
    expect(v.stdout).toMatch(/ok: 1\d rules/);
  });

  it("validate reports file:line:col and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-bad-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, "rules:\n- action: netwrok.request\n  effect: deny\n");
    const r = run(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2:11: error[unknown_action]: unknown action \`netwrok.request\``);
    expect(r.stderr).toContain("did you mean `network.request`?");
    expect(r.stdout).toBe("");
  });

  it("validate finds a .safeclaw/policies directory", () => {
    const r = run(["validate", join(FIXTURES, "seeds/devops")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 13 rules");
  });

  it("check --request prints one decision and exits by its verdict", () => {
    const policy = EXAMPLE;
    const allow = run(["check", "--policy", policy, "--request", '{"action":"file.read","path":"/app/x"}']);
    expect(allow.code).toBe(0);
    expect(JSON.parse(allow.stdout)).toMatchObject({ decision: "allow", allowed: true, rule: "rule-1-01a8db38" });
    const deny = run(["check", "-p", policy, "-r", '{"action":"network.request","url":"http://0xa9fea9fe/"}', "--explain"]);
    expect(deny.code).toBe(2);
    expect(JSON.parse(deny.stdout)).toMatchObject({ decision: "deny", reason: "Block instance metadata access", explain: expect.any(Array) });
    const ask = run(["check", "-p", join(FIXTURES, "seeds/devops"), "-r", "not json"]);
    expect(ask.code).toBe(2);
    expect(JSON.parse(ask.stdout)).toMatchObject({ error: "bad_json", reason: expect.stringMatching(/not valid JSON/) });
  });

  it("check streams JSON lines in order; a bad line is denied and the stream goes on", () => {
    const input = [
      '{"action":"file.read","path":"/app/a"}',
      "{oops",
      "",
      '{"action":"env.read","key":"FLY_API_TOKEN"}',
      '{"action":"file.write","path":"/tmp/b"}',
    ].join("\n");
    const r = run(["check", "--policy", EXAMPLE], { input });
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((d) => d.decision)).toEqual(["allow", "deny", "deny", "allow"]);
    expect(out[1]).toMatchObject({ error: "bad_json", reason: expect.stringMatching(/not valid JSON/) });
  });

  it("a policy whose audit file cannot be written denies everything (fail closed)", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-nodir-"));
    const missing = join(dir, "no-such-dir", "audit.log");
    writeFileSync(join(dir, "p.yaml"), readFileSync(join(FIXTURES, "seeds/fly.yaml"), "utf8").replace("/data/audit.log", missing));
    const d = JSON.parse(run(["check", "-p", join(dir, "p.yaml"), "-r", '{"action":"file.read","path":"/app/x"}']).stdout);
    expect(d).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    expect(d.reason).toContain(missing);
  });

  it("check with an invalid policy decides nothing and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-bad-"));
    writeFileSync(join(dir, "safeclaw.yaml"), "rules:\n- action: file.read\n  effect: alow\n");
    const r = run(["check", "--policy", dir], { input: '{"action":"file.read","path":"/x"}\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("safeclaw.yaml:3:11");
  });
});

describe("safeclaw check reads JSON Lines: \\n ends a line, nothing else does", async () => {
  const { jsonLines } = await import("../src/cli/check.js");
  const lines = async (chunks: Array<string | Buffer>) => {
    const out: string[] = [];
    for await (const l of jsonLines(
      (async function* () {
        yield* chunks;
      })(),
    ))
      out.push(l);
    return out;
  };
  it.each([
    ["CR inside a line", ['{"a":1,\r"b":2}\n{"c":3}\n'], ['{"a":1,\r"b":2}', '{"c":3}']],
    ["CRLF endings keep the CR (JSON whitespace)", ['{"a":1}\r\n{"b":2}\r\n'], ['{"a":1}\r', '{"b":2}\r']],
    ["U+2028 and U+0085 are not line ends", ['{"a":"x\u2028y\u0085z"}\n'], ['{"a":"x\u2028y\u0085z"}']],
    ["a line split across chunks", ['{"a"', ':1}\n{"b"', ":2}"], ['{"a":1}', '{"b":2}']],
    ["a UTF-8 character split across chunks", [Buffer.from([0x7b, 0x22, 0xc3]), Buffer.from([0xa9, 0x22, 0x3a, 0x31, 0x7d, 0x0a])], ['{"é":1}']],
  ])("%s", async (_n, chunks, want) => {
    expect(await lines(chunks as Array<string | Buffer>)).toEqual(want);
  });
});
