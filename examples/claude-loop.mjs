// A Claude Messages API tool loop whose tool calls go through the gate.
// Offline: the model side is a recorded transcript. Run: node examples/claude-loop.mjs
import { readFileSync } from "node:fs";
import { anthropicToolCalls, decideToolCall, denialMessage } from "safeclaw-edge";
import { createSafeClawGate } from "safeclaw-edge/node";
import { IMPLEMENTATIONS, MAPPINGS } from "./tools.mjs";

const here = new URL(".", import.meta.url).pathname;
const gate = createSafeClawGate({ policy: here + "example-policy.yaml" });
const transcript = JSON.parse(readFileSync(here + "transcripts/claude-messages.json", "utf8"));

for (const turn of transcript.turns) {
  for (const call of anthropicToolCalls(turn.content)) {
    const d = await decideToolCall(gate, call, MAPPINGS);
    // The tool_result block sent back to the model.
    const result = d.allowed ? IMPLEMENTATIONS[call.name](call.input) : denialMessage(d);
    console.log(JSON.stringify({ type: "tool_result", tool_use_id: call.id, is_error: !d.allowed, content: result }));
  }
}
