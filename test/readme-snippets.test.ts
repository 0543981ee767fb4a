import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portFromOutput } from "./moto.js";

/**
 * The README's code blocks are run, against the package as `npm pack` builds
 * it, in a fresh directory holding the example policy (as safeclaw.config.yaml
 * and examples/safeclaw.config.yaml):
 * - js/ts blocks that import safeclaw-edge run with node (ts stripped by esbuild) and must exit 0;
 * - sh blocks that run `npx safeclaw` run command by command: exit 0, or 2/3 for a
 *   `safeclaw check` decision; `# {...}` right after a command is its expected output
 *   (a JSON subset, `...` for the rest); localhost:9800 is `npm start` of the package,
 *   started on a free port;
 * - yaml blocks are policies (a block that is a list is a `rules:` list) and must validate.
 * A block that only illustrates is marked with `<!-- not-run -->` (optionally
 * `<!-- not-run: why -->`) on the line before its fence. New blocks are picked up
 * without touching this file.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const README = readFileSync(join(ROOT, "README.md"), "utf8");

interface Block {
  line: number;
  lang: string;
  code: string;
  notRun: boolean;
}

function blocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence!)) body.push(lines[j++]!.slice(indent!.length));
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    out.push({ line: i + 1, lang: lang!.toLowerCase(), code: body.join("\n"), notRun: k >= 0 && /^<!--\s*not-run\b.*-->$/.test(lines[k]!.trim()) });
    i = j;
  }
  return out;
}

const ALL = blocks(README);
const runnable = (b: Block) => !b.notRun;
const JS = ALL.filter(
  (b) => runnable(b) && ["js", "javascript", "mjs", "ts", "typescript"].includes(b.lang) && /from\s+["']safeclaw-edge(\/[\w-]+)?["']/.test(b.code),
);
const SH = ALL.filter((b) => runnable(b) && ["sh", "bash", "shell", "console"].includes(b.lang) && /\bnpx safeclaw\b/.test(b.code));
const YAML = ALL.filter((b) => runnable(b) && ["yaml", "yml"].includes(b.lang));
const name = (b: Block) => `README.md:${b.line} (${b.lang})`;

let dir = "";
let pkgDir = "";
let server: ChildProcess | undefined;
let serverUrl: string | undefined;
const cleanEnv = () => {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("SAFECLAW_")) delete env[k];
  return { ...env, PATH: `${join(dir, "node_modules/.bin")}:${env.PATH}`, npm_config_update_notifier: "false" } as NodeJS.ProcessEnv;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "safeclaw-readme-"));
  // The package as published: npm pack over the dist/ the e2e setup just built.
  const packed = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const tarball = join(dir, JSON.parse(packed.stdout)[0].filename);
  pkgDir = join(dir, "node_modules/safeclaw-edge");
  mkdirSync(pkgDir, { recursive: true });
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"], { encoding: "utf8" });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  // Its dependencies are the repository's (npm ci installed them); no registry is reached.
  symlinkSync(join(ROOT, "node_modules"), join(pkgDir, "node_modules"));
  mkdirSync(join(dir, "node_modules/.bin"));
  symlinkSync("../safeclaw-edge/bin/safeclaw.js", join(dir, "node_modules/.bin/safeclaw"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "readme-snippets", private: true, type: "module" }));
  cpSync(join(pkgDir, "examples"), join(dir, "examples"), { recursive: true });
  cpSync(join(pkgDir, "examples/safeclaw.config.yaml"), join(dir, "safeclaw.config.yaml"));
}, 120_000);

afterAll(() => {
  server?.kill("SIGTERM");
});

/** `npm start` of the packed package (its start script, as npm runs it), on a free port. */
async function decisionServer(): Promise<string> {
  if (serverUrl) return serverUrl;
  const start = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).scripts.start as string;
  server = spawn("sh", ["-c", `exec ${start}`], { cwd: pkgDir, env: { ...cleanEnv(), PORT: "0" }, stdio: ["ignore", "ignore", "pipe"] });
  const port = await portFromOutput(server, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "npm start");
  serverUrl = `127.0.0.1:${port}`;
  return serverUrl;
}

describe("README code blocks", () => {
  it("has runnable blocks of every kind, and keeps illustrations few", () => {
    expect(JS.length).toBeGreaterThan(0);
    expect(SH.length).toBeGreaterThan(0);
    expect(YAML.length).toBeGreaterThan(0);
    expect(ALL.filter((b) => b.notRun).length).toBeLessThanOrEqual(Math.max(3, Math.floor(ALL.length / 4)));
  });

  it.each(JS.map((b) => [name(b), b] as const))("%s runs against the built package", (_name, b) => {
    const code = b.lang.startsWith("t") ? transformSync(b.code, { loader: "ts", format: "esm" }).code : b.code;
    const file = join(dir, `snippet-${b.line}.mjs`);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: "utf8", env: cleanEnv(), timeout: 30_000 });
    expect(r.status, `${name(b)} failed:\n${r.stderr}${r.stdout}`).toBe(0);
  });

  it.each(SH.map((b) => [name(b), b] as const))("%s runs, and prints what it says", async (_name, b) => {
    for (const { command, expected } of shellCommands(b.code)) {
      const resolved = /(localhost|127\.0\.0\.1):9800\b/.test(command) ? command.replace(/(localhost|127\.0\.0\.1):9800\b/g, await decisionServer()) : command;
      const r = spawnSync("bash", ["-c", resolved], { cwd: dir, encoding: "utf8", env: cleanEnv(), timeout: 60_000 });
      const allowed = /\bsafeclaw check\b/.test(command) ? [0, 2, 3] : [0];
      expect(allowed, `\`${command}\` exited ${r.status}:\n${r.stderr}${r.stdout}`).toContain(r.status);
      if (expected !== undefined) expect(JSON.parse(r.stdout.trim().split("\n")[0]!), `\`${command}\` printed ${r.stdout}`).toMatchObject(expected);
    }
  });

  it.each(YAML.map((b) => [name(b), b] as const))("%s is a valid policy", (_name, b) => {
    const text = /^\s*-\s/.test(b.code.split("\n").find((l) => l.trim() !== "" && !l.trim().startsWith("#")) ?? "") ? `rules:\n${b.code}` : b.code;
    const file = join(dir, `snippet-${b.line}.yaml`);
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [join(pkgDir, "bin/safeclaw.js"), "validate", file], {
      cwd: dir,
      encoding: "utf8",
      env: cleanEnv(),
      timeout: 30_000,
    });
    expect(r.status, `${name(b)} does not validate:\n${r.stderr}`).toBe(0);
  });
});

/** The commands of a shell block (continuation lines joined), each with the output its `# {...}` comment promises. */
function shellCommands(code: string): Array<{ command: string; expected?: Record<string, unknown> }> {
  const out: Array<{ command: string; expected?: Record<string, unknown> }> = [];
  let pending = "";
  for (const line of code.split("\n")) {
    if (pending === "" && /^\s*#/.test(line)) {
      const promised = /^\s*#\s*(\{.*\})\s*$/.exec(line);
      const last = out[out.length - 1];
      if (promised && last && last.expected === undefined) last.expected = JSON.parse(promised[1]!.replace(/,\s*\.\.\.\s*\}$/, "}"));
      continue;
    }
    if (line.trim() === "" && pending === "") continue;
    if (line.endsWith("\\")) {
      pending += line + "\n"; // bash reads the backslash-newline as the continuation it is
      continue;
    }
    out.push({ command: pending + line });
    pending = "";
  }
  return out;
}
