import { bench, describe } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { Chain } from "../../src/audit/chain.js";
import { createLineSink } from "../../src/audit/line-sink.js";
import { decisionBody } from "../../src/audit/record.js";
import { createEngine, loadPolicy } from "../../src/index.js";
import { generatePolicy, generateRequests } from "./policy-gen.js";

// Audit cost in process: chaining alone, and decisions with and without a record.
const loaded = await loadPolicy([{ name: "gen-1000.yaml", text: generatePolicy(1000) }]);
if (!loaded.ok) throw new Error("policy");
const engine = createEngine(loaded.policy);
const requests = generateRequests(1000);
const sample = engine.check(requests[0]);

describe("audit", () => {
  const chain = new Chain("bench", Date.now);
  bench("redact + cap + hash-chain one decision record", () => {
    chain.append(decisionBody(requests[0], sample));
  });

  let k = 0;
  bench("decision, audit off (1,000 rules)", () => {
    engine.check(requests[k++ % requests.length]);
  });

  let n = 0;
  const log = new AuditLog({ sink: createLineSink(() => undefined), chainId: "bench", policy: loaded.policy.digest, onAuditFailure: "allow" });
  bench("decision + audit record, batches of 100 serialized (1,000 rules)", () => {
    const req = requests[n++ % requests.length];
    log.record(decisionBody(req, engine.check(req)));
    if (n % 100 === 0) void log.flush();
  });
});
