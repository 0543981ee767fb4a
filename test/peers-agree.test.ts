import { describe, expect, it } from "vitest";
import { createEngine, loadPolicy } from "../src/index.js";
import { casbinEngine, cedarEngine, toPeerRequest } from "./bench/peers.js";
import { generatePolicy, generateRequests } from "./bench/policy-gen.js";

// The benchmark compares engines only if they decide alike; this keeps that true in every CI run.
describe("safeclaw, Cedar and Casbin decide the benchmark's requests alike", () => {
  it.each([10, 100])("%i rules", async (n) => {
    const loaded = await loadPolicy([{ name: `gen-${n}.yaml`, text: generatePolicy(n) }]);
    if (!loaded.ok) throw new Error("policy");
    const engine = createEngine(loaded.policy);
    const cedar = cedarEngine(n);
    const casbin = await casbinEngine(n);
    const requests = generateRequests(n);
    const ours = requests.map((r) => engine.check(r).allowed);
    const peers = requests.map(toPeerRequest);
    expect(peers.map(cedar)).toEqual(ours);
    expect(peers.map(casbin)).toEqual(ours);
    expect(ours.filter(Boolean).length).toBeGreaterThan(0);
    expect(ours.filter((x) => !x).length).toBeGreaterThan(0);
  });
});
