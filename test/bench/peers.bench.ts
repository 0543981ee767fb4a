import { bench, describe } from "vitest";
import { createEngine, loadPolicy } from "../../src/index.js";
import { casbinEngine, cedarEngine, floorEngine, toPeerRequest } from "./peers.js";
import { generatePolicy, generateRequests } from "./policy-gen.js";

// Side by side on the same rule table and requests. Before timing, the three
// engines must agree on every request of the mix: a benchmark of engines that
// disagree proves nothing.
const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000,10000").split(",").map(Number);
for (const n of SIZES) {
  const loaded = await loadPolicy([{ name: `gen-${n}.yaml`, text: generatePolicy(n) }]);
  if (!loaded.ok) throw new Error(loaded.errors[0]!.message);
  const engine = createEngine(loaded.policy);
  const requests = generateRequests(n);
  const peerRequests = requests.map(toPeerRequest);
  const cedarCheck = cedarEngine(n);
  const casbinCheck = await casbinEngine(n);
  const floor = floorEngine(n);
  const disagreements: string[] = [];
  requests.forEach((r, i) => {
    const ours = engine.check(r).allowed;
    const c = cedarCheck(peerRequests[i]!);
    const k = casbinCheck(peerRequests[i]!);
    if (ours !== c || ours !== k) disagreements.push(`${JSON.stringify(r)}: safeclaw ${ours}, cedar ${c}, casbin ${k}`);
  });
  if (disagreements.length > 0) throw new Error(`engines disagree at ${n} rules:\n${disagreements.slice(0, 5).join("\n")}`);
  const allowedCount = requests.filter((r) => engine.check(r).allowed).length;
  console.log(`${n} rules: ${requests.length} requests, ${allowedCount} allowed; safeclaw, cedar and casbin agree on all`);

  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  describe(`peers ${n} rules`, () => {
    bench(`safeclaw ${n}`, () => {
      engine.check(requests[a++ % requests.length]);
    });
    bench(`cedar-wasm ${n}`, () => {
      cedarCheck(peerRequests[b++ % peerRequests.length]!);
    });
    bench(
      `casbin ${n}`,
      () => {
        casbinCheck(peerRequests[c++ % peerRequests.length]!);
      },
      n >= 1_000 ? { time: 300, iterations: 5 } : {},
    );
    bench(`floor ${n}`, () => {
      floor(peerRequests[d++ % peerRequests.length]!);
    });
  });
}
