import { bench, describe } from "vitest";
import { createEngine, loadPolicy } from "../../src/index.js";
import { decideSubjects } from "../../src/engine/evaluate.js";
import { template } from "../../src/match/template.js";
import type { Subject } from "../../src/request/subject.js";
import { generatePolicy } from "./policy-gen.js";

// Path patterns off the fast paths (run by the automaton), and subjects with
// run-time values (templates), as the rule count grows. Run with
// `npx vitest bench --run test/bench/paths.bench.ts`.
for (const n of [10, 100, 1_000, 10_000]) {
  const general = Array.from(
    { length: n },
    (_, i) => `- {id: g${i}, action: file.read, path: '/srv/app${i}/{src,lib}/**/[a-z]*.{ts,js}', effect: ${i % 3 === 0 ? "deny" : "allow"}}`,
  ).join("\n");
  const loadedGeneral = await loadPolicy([{ name: "g.yaml", text: `rules:\n${general}\n` }]);
  const loadedMixed = await loadPolicy([{ name: "m.yaml", text: generatePolicy(n) }]);
  if (!loadedGeneral.ok || !loadedMixed.ok) throw new Error("policy");
  const g = createEngine(loadedGeneral.policy);
  const mixed = loadedMixed.policy;
  const requests = Array.from({ length: 64 }, (_, k) => ({
    action: "file.read",
    path: `/srv/app${(k * 7) % n}/${k % 2 ? "src" : "lib"}/deep/x/${k % 3 ? "main" : "Main"}.ts`,
  }));
  // A fresh template per decision, as requests bring them (no automaton is reused).
  const templated = (k: number): Subject =>
    k % 2
      ? { action: "shell.execute", command: "", templates: { command: template([`tool${(k * 5 + 3) % n} plan `, { hole: "any", source: "$X" }]) } }
      : { action: "file.read", path: "", templates: { path: template([`/srv/app${(k * 5) % n}/src/`, { hole: "segment", source: "*" }, ".ts"]) } };
  let i = 0;
  let j = 0;
  describe(`${n} rules`, () => {
    bench(`general path globs (${n} rules)`, () => {
      g.check(requests[i++ % requests.length]);
    });
    bench(`templated subjects (${n} rules)`, () => {
      const s = templated(j++ % 64);
      decideSubjects(mixed, s.action, [s], { nowMs: 0 });
    });
  });
}
