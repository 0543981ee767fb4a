// npm run bench:shell: the worst case of the shell gate, measured (not asserted).
// Each case is a command line of about 64 KB of one adversarial shape; the
// figure is the time of one full decision (parse, analysis, subjects, rules)
// and the heap it allocates. Target (issue 10): under 2 ms and 10 MB each.
// Writes build/bench-shell.json; the table in BENCHMARKS.md comes from it.
import { mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createEngine, loadPolicy } from "../../dist/index.js";

const SIZE = 64 * 1024;
const fill = (unit, head = "", tail = "") => head + unit.repeat(Math.max(1, Math.floor((SIZE - head.length - tail.length) / unit.length))) + tail;

const CASES = {
  "env env env … ls": fill("env ", "", "ls"),
  "sudo timeout 1 nice … ls": fill("sudo timeout 1 nice ", "", "ls"),
  "$($($(… ls)))": "echo " + "$(".repeat(8000) + "ls" + ")".repeat(8000),
  "((((… ls))))": "(".repeat(16000) + "ls" + ")".repeat(16000),
  "a | a | a …": fill("a | ", "", "a"),
  "ls; ls; ls …": fill("ls; "),
  "one 64 KB word": "echo " + "a".repeat(SIZE - 5),
  "'a''a''a' … quotes": "echo " + fill("'a'"),
  '"$x$x$x…" expansions': 'echo "' + fill("$x") + '"',
  "{a,b}{a,b}… braces": "echo " + fill("{a,b}"),
  "{{{{… unmatched braces": "echo " + fill("{"),
  "here-documents": fill("cat <<E\nx\nE\n"),
  "here-document to a shell": "bash <<'E'\n" + fill("ls; ") + "\nE",
  "cd a && cd a && … cat x": fill("cd a && ", "", "cat x"),
  "X=1 X=1 … cmd": fill("X=1 ", "", "ls"),
  "cat f1 f2 … (files)": "cat " + Array.from({ length: 9000 }, (_, i) => `f${i}`).join(" "),
  "jq . a1 a2 … (possible files)": "jq . " + Array.from({ length: 9000 }, (_, i) => `a${i}`).join(" "),
  "bash -c 'bash -c \"…\"'": "bash -c " + "'".repeat(1) + 'bash -c "'.repeat(1) + fill("ls; ").slice(0, SIZE - 40) + "\"'",
  "eval eval eval … ls": fill("eval ", "", "ls"),
  "if … fi nesting": fill("if a; then ", "", "b") + "; fi".repeat(2000),
  "for … done nesting": fill("for x in a; do ", "", "b") + "; done".repeat(2000),
  "sed script": "sed '" + fill("s/a/b/;") + "' f",
  "awk program": "awk '" + fill("{print $1}") + "' f",
  "getopt clusters": "sort " + fill("-bdfgiMhnRrsuVz "),
  "$'\\x41\\x41…'": "echo $'" + fill("\\x41") + "'",
  backticks: fill("`ls` "),
  newlines: fill("ls\n"),
  comments: fill("# comment\n"),
  // large lines that are allowed, not refused at a bound
  "echo w1 … w2000 (2000 words)": "echo " + Array.from({ length: 2000 }, (_, i) => `w${i}`.padEnd(30, "x")).join(" "),
  "git commit -m <64 KB message>": "git commit -m \"$(cat <<'EOF'\n" + "a commit message line\n".repeat(Math.floor((SIZE - 40) / 22)) + 'EOF\n)"',
  "250 commands: ls -la a && …": Array.from({ length: 250 }, () => "ls -la " + "d/".repeat(60) + "f").join(" && "),
  "cat of 500 files": "cat " + Array.from({ length: 500 }, (_, i) => `src/dir${i}/file${i}.ts`.padEnd(120, "x")).join(" "),
};

const policy = await loadPolicy([
  {
    name: "bench.yaml",
    text: `cwd: /app
rules:
  - {id: no-dotenv, action: file.*, path: "**/.env", effect: deny}
  - {id: app, action: file.read, path: "/app/**", effect: allow}
  - {id: tools, action: shell.execute, command: ["ls*", "cat*", "echo*", "jq*", "sort*", "sed*", "awk*", "git *"], effect: allow}
`,
  },
]);
if (!policy.ok) throw new Error(JSON.stringify(policy.errors));
const engine = createEngine(policy.policy);

const results = [];
for (const [name, command] of Object.entries(CASES)) {
  const req = { action: "shell.execute", command: command.slice(0, SIZE), cwd: "/app" };
  for (let i = 0; i < 30; i++) engine.check(req); // warm up (JIT)
  const times = [];
  for (let i = 0; i < 51; i++) {
    const t0 = performance.now();
    engine.check(req);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const d = engine.check(req);
  const allocated = process.memoryUsage().heapUsed - before;
  results.push({
    name,
    bytes: req.command.length,
    medianMs: times[25],
    p90Ms: times[45],
    heapMB: Math.max(0, allocated) / 1e6,
    decision: d.decision,
    error: d.error ?? null,
    reason: d.reason.slice(0, 100),
  });
}

const pad = (s, n) => String(s).padEnd(n);
console.log(pad("case", 34), pad("bytes", 7), pad("median ms", 10), pad("p90 ms", 8), pad("heap MB", 8), "decision");
for (const r of results)
  console.log(
    pad(r.name, 34),
    pad(r.bytes, 7),
    pad(r.medianMs.toFixed(3), 10),
    pad(r.p90Ms.toFixed(3), 8),
    pad(r.heapMB.toFixed(2), 8),
    `${r.decision}${r.error ? ` (${r.error})` : ""}: ${r.reason}`,
  );
const worst = results.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
const heaviest = results.reduce((a, b) => (b.heapMB > a.heapMB ? b : a));
console.log(`worst median ${worst.medianMs.toFixed(3)} ms (${worst.name}); most heap ${heaviest.heapMB.toFixed(2)} MB (${heaviest.name})`);
mkdirSync("build", { recursive: true });
writeFileSync("build/bench-shell.json", JSON.stringify({ node: process.version, results }, null, 2));
