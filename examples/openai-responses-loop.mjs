// OpenAI Responses API output items through the gate: each item the client would run
// (function_call, custom_tool_call, local_shell_call, ...) is decided, and the output item
// the next request must carry is built with the item's call_id. An item type SafeClaw does
// not know is refused, not skipped. Offline: the model output is written out below.
// Run: node examples/openai-responses-loop.mjs
import { decideToolCall, denialMessage, openAIToolCalls } from "safeclaw-edge";
import { createSafeClawGate } from "safeclaw-edge/node";

const gate = createSafeClawGate({ policy: new URL("agents-policy.yaml", import.meta.url).pathname });
const mappings = { read_file: (i) => [{ action: "file.read", path: i.path }] };
const output = [
  { type: "reasoning", id: "rs_1", summary: [] },
  { type: "function_call", id: "fc_1", call_id: "call_1", name: "read_file", arguments: '{"path":"/app/README.md"}' },
  { type: "function_call", id: "fc_2", call_id: "call_2", name: "read_file", arguments: '{"path":"/app/.env"}' },
  {
    type: "local_shell_call",
    id: "lsh_1",
    call_id: "call_3",
    status: "completed",
    action: { type: "exec", command: ["ls", "-la"], env: {}, working_directory: "/app" },
  },
  { type: "local_shell_call", id: "lsh_2", call_id: "call_4", status: "completed", action: { type: "exec", command: ["bash", "-c", "ls; cat .env"], env: {} } },
  { type: "custom_tool_call", call_id: "call_5", name: "run_sql", input: "DROP TABLE users" },
  { type: "teleport_call", call_id: "call_6" },
];
const OUTPUT_TYPE = { local_shell_call: "local_shell_call_output", custom_tool_call: "custom_tool_call_output" };

for (const call of openAIToolCalls(output)) {
  const d = await decideToolCall(gate, call, mappings, { cwd: "/app" });
  const type = OUTPUT_TYPE[call.builtin ?? (call.text ? "custom_tool_call" : "")] ?? "function_call_output";
  console.log(JSON.stringify({ type, call_id: call.id, decision: d.decision, output: d.allowed ? `(would run ${call.name})` : denialMessage(d) }));
}
