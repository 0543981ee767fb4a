// npm run bench:wildcard: adversarial glob shapes against ~60 KB requests (issue 14),
// measured (not asserted). Each case is one policy of 100 rules of one shape and one
// request that matches none of them (paths: 4 KB, the longest accepted), so every rule's matcher runs to its end; the
// figure is the time of one full decision. Target: under 2 ms per decision.
// Writes build/bench-wildcard.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createEngine, loadPolicy } from "../../dist/index.js";

const RULES = 100;
const N = 60 * 1024;
const q = (s) => JSON.stringify(s);
const rules = (make, field, action) =>
  Array.from({ length: RULES }, (_, i) => `  - {id: r${i}, action: ${action}, ${field}: ${q(make(i))}, effect: allow}`).join("\n");
const shell = (make) => ({ rules: rules(make, "command", "shell.execute"), action: "shell.execute", field: "command" });
const path = (make) => ({ rules: rules(make, "path", "file.read"), action: "file.read", field: "path" });

const A = "a".repeat(N);
const CASES = [
  // the case: the last segment is anchored at the end
  { name: "*a*a*a*a*a*a*a*a*b<i> (issue 14)", ...shell((i) => "*a".repeat(8) + "*b" + i), value: "echo " + A },
  { name: "*a*a*a*a*a*a*a*a*b<i>* (unanchored)", ...shell((i) => "*a".repeat(8) + "*b" + i + "*"), value: "echo " + A },
  { name: "*?*?*?*?*?*?*?*?b<i>*", ...shell((i) => "*?".repeat(8) + "*b" + i + "*"), value: "echo " + A },
  { name: "*[ab]*[ab]*…*[ab]c<i>*", ...shell((i) => "*[ab]".repeat(8) + "*c" + i + "*"), value: "echo " + "ab".repeat(N / 2) },
  { name: "*a?a?…(x100)b<i>* (mixed segment)", ...shell((i) => "*" + "a?".repeat(100) + "b" + i + "*"), value: "echo " + A },
  { name: "*a?a?…(x100)[b<i>]* (anchor everywhere)", ...shell((i) => "*" + "a?".repeat(100) + "[b" + i + "]*"), value: "echo " + A },
  { name: "*?a?a…(x16)[b<i>]* (one-word scan)", ...shell((i) => "*" + "?a".repeat(16) + "[b" + i + "]*"), value: "echo " + A },
  { name: "*aaa…(x200)b<i>* (near-miss literal)", ...shell((i) => "*" + "a".repeat(200) + "b" + i + "*"), value: "echo " + A },
  { name: "echo *aaa…(x200)b<i>", ...shell((i) => "echo *" + "a".repeat(200) + "b" + i), value: "echo " + A },
  { name: "*😀?😀?…b<i>* (astral)", ...shell((i) => "*" + "😀?".repeat(20) + "b" + i + "*"), value: "echo " + "😀".repeat(N / 2) },
  { name: "path /**/a*a*a*a*b<i>/**", ...path((i) => "/**/" + "a*".repeat(4) + "b" + i + "/**"), value: "/" + "a/".repeat(2000) + "x" },
  { name: "path /d/*a?a?…(x100)b<i>* (DFA cap)", ...path((i) => "/d/*" + "a?".repeat(100) + "b" + i + "*"), value: "/d/" + "a".repeat(4000) },
  { name: "path /d/*?[ab]?[ab]…(x50)[c<i>]* (no literal)", ...path((i) => "/d/*" + "?[ab]".repeat(50) + "[c" + i + "]*"), value: "/d/" + "ab".repeat(2000) },
  {
    name: "path /**/[ab]/[ab]/…(x30)[c<i>]/** (segments)",
    ...path((i) => "/**/" + "[ab]/".repeat(30) + "[c" + i + "]/**"),
    value: "/" + "a/b/".repeat(1000) + "x",
  },
  { name: "path /d/*a*a*a*a*b<i>* (one segment)", ...path((i) => "/d/*" + "a*".repeat(4) + "b" + i + "*"), value: "/d/" + "a".repeat(4000) },
];

// The rule index skips a rule whose required literal text (its `b<i>`) the request lacks: an attacker who
// reads the policy puts every such text in the request, so each shell case also runs with them all present
// ("factors present"), which makes every rule's matcher scan the whole input. That is the worst case.
const lits = (c) => Array.from({ length: RULES }, (_, i) => (c.name.includes("[b<i>]") ? `b${i}` : c.name.includes("c<i>") ? `c${i}` : `b${i}`));
const ALL = [];
for (const c of CASES) {
  ALL.push({ ...c, name: c.name + (c.field === "command" ? " [factors absent]" : "") });
  if (c.field === "command") ALL.push({ ...c, name: c.name + " [factors present]", value: "echo " + lits(c).join(" ") + " " + c.value.slice(5) });
}

const results = [];
for (const c of ALL) {
  const policy = await loadPolicy([{ name: "bench.yaml", text: `cwd: /app\nrules:\n${c.rules}\n` }]);
  if (!policy.ok) throw new Error(c.name + ": " + JSON.stringify(policy.errors));
  const engine = createEngine(policy.policy);
  const req = { action: c.action, [c.field]: c.value, cwd: "/app" };
  for (let i = 0; i < 3; i++) engine.check(req); // warm up (JIT)
  const times = [];
  const t00 = performance.now();
  while (times.length < 51 && (times.length < 5 || performance.now() - t00 < 5000)) {
    const t0 = performance.now();
    engine.check(req);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const d = engine.check(req);
  results.push({
    name: c.name,
    bytes: c.value.length,
    samples: times.length,
    medianMs: times[Math.floor(times.length / 2)],
    p90Ms: times[Math.floor(times.length * 0.9)],
    decision: d.decision,
    reason: d.reason.slice(0, 60),
  });
}

const pad = (s, n) => String(s).padEnd(n);
console.log(pad("case", 58), pad("bytes", 7), pad("n", 4), pad("median ms", 10), pad("p90 ms", 9), "decision");
for (const r of results)
  console.log(pad(r.name, 58), pad(r.bytes, 7), pad(r.samples, 4), pad(r.medianMs.toFixed(3), 10), pad(r.p90Ms.toFixed(3), 9), `${r.decision}: ${r.reason}`);
const worst = results.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
console.log(`worst median ${worst.medianMs.toFixed(3)} ms (${worst.name})`);
mkdirSync("build", { recursive: true });
writeFileSync("build/bench-wildcard.json", JSON.stringify({ node: process.version, results }, null, 2));
