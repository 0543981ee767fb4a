// A Lambda agent with the gate in process (no network), as on the AWS page.
// Run: node examples/lambda-agent.mjs   (invokes the handler once, locally)
import { createSafeClawGate } from "safeclaw-edge/node";

const gate = createSafeClawGate({ policy: new URL("./example-policy.yaml", import.meta.url).pathname });

export const handler = async (event) => {
  const results = [];
  for (const step of event.steps) {
    const decision = await gate.check(step);
    results.push({ step, decision: decision.decision, reason: decision.reason });
    if (!decision.allowed) break; // the agent stops at the first refused action
  }
  return results;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await handler({
    steps: [
      { action: "file.read", path: "/app/data.csv" },
      { action: "network.request", url: "http://0xa9fea9fe/latest/meta-data/" },
      { action: "file.read", path: "/app/other.csv" },
    ],
  });
  for (const r of out) console.log(JSON.stringify(r));
}
