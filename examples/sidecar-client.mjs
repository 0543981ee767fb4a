// An agent talking to the SafeClaw sidecar, as on the Kubernetes page.
// Run: node examples/sidecar-client.mjs   (starts a local sidecar on a free port for the demo)
import { Gate } from "safeclaw-edge";
import { startServer } from "safeclaw-edge/node";

const sidecar = await startServer({
  env: { SAFECLAW_API_TOKENS: "demo-token" },
  policyPath: new URL("./example-policy.yaml", import.meta.url).pathname,
  port: 0,
  audit: "stdout",
  log: () => {},
});
const gate = new Gate({ endpoint: sidecar.url, token: "demo-token" });

async function agentAction(action, params) {
  const decision = await gate.check({ action, ...params });
  if (!decision.allowed) throw new Error(`SafeClaw denied: ${decision.reason}`);
  return `${action} done`;
}

for (const [action, params] of [
  ["file.read", { path: "/app/a.txt" }],
  ["file.read", { path: "/app/.env" }],
]) {
  try {
    console.error(await agentAction(action, params));
  } catch (e) {
    console.error(e.message);
  }
}
await sidecar.close();
