import { bench, describe } from "vitest";
import { createEngine, loadPolicy } from "../../src/index.js";
import { generatePolicy, generateRequests } from "./policy-gen.js";

// Decision latency as the rule count grows. Each iteration decides one request,
// cycling through a fixed mix (file, network, shell, env; allowed and denied).
for (const n of [10, 100, 1_000, 10_000]) {
  const loaded = await loadPolicy([{ name: `gen-${n}.yaml`, text: generatePolicy(n) }]);
  if (!loaded.ok) throw new Error(loaded.errors[0]!.message);
  const engine = createEngine(loaded.policy);
  const requests = generateRequests(n);
  let k = 0;
  describe(`${n} rules`, () => {
    bench(`check (${n} rules)`, () => {
      engine.check(requests[k++ % requests.length]);
    });
  });
}
