// OpenAI Agents SDK: a tool() gated by SafeClaw, run offline with the SDK's ScriptedModel
// playing the model. A denied call returns the denial to the model; require_approval pauses
// the run with the SDK's own approval item. Run: node examples/openai-agents.mjs
import { Agent, run, setTracingDisabled, tool } from "@openai/agents";
import { assistantMessage, functionCall, ScriptedModel } from "@openai/agents/testing";
import { gatedAgentsTool } from "safeclaw-edge";
import { createSafeClawGate } from "safeclaw-edge/node";

setTracingDisabled(true); // nothing leaves the machine
const gate = createSafeClawGate({ policy: new URL("agents-policy.yaml", import.meta.url).pathname });
const params = (name) => ({ type: "object", properties: { [name]: { type: "string" } }, required: [name], additionalProperties: false });
const readFile = tool(
  gatedAgentsTool(
    gate,
    { name: "read_file", description: "Read a file", parameters: params("path"), strict: true, execute: ({ path }) => `(contents of ${path})` },
    (i) => [{ action: "file.read", path: i.path }],
  ),
);
const shell = tool(
  gatedAgentsTool(
    gate,
    { name: "shell", description: "Run a command", parameters: params("command"), strict: true, execute: ({ command }) => `(ran ${command})` },
    (i) => [{ action: "shell.execute", command: i.command, cwd: "/app" }],
  ),
);

const model = new ScriptedModel([
  [functionCall("read_file", { path: "/app/.env" }, { callId: "call_1" }), functionCall("read_file", { path: "/app/README.md" }, { callId: "call_2" })],
  [functionCall("shell", { command: "kubectl rollout restart deploy/web" }, { callId: "call_3" })],
  [assistantMessage("done")],
]);
const agent = new Agent({ name: "ops", instructions: "Help with ops.", model, tools: [readFile, shell] });

let result = await run(agent, "Look around, then restart web.");
for (const item of result.interruptions) {
  console.log(JSON.stringify({ approval_requested: item.name, arguments: item.arguments }));
  result.state.approve(item); // your UI decides; approved here
}
result = await run(agent, result.state);
for (const item of result.newItems.filter((i) => i.type === "tool_call_output_item"))
  console.log(JSON.stringify({ call_id: item.rawItem.callId, output: item.output }));
console.log(JSON.stringify({ final: result.finalOutput }));
