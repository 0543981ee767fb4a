// An OpenAI Chat Completions tool loop whose tool calls go through the gate.
// Offline: the model side is a recorded transcript. Run: node examples/openai-loop.mjs
import { readFileSync } from "node:fs";
import { decideToolCall, denialMessage, openAIToolCalls } from "safeclaw-edge";
import { createSafeClawGate } from "safeclaw-edge/node";
import { IMPLEMENTATIONS, MAPPINGS } from "./tools.mjs";

const here = new URL(".", import.meta.url).pathname;
const gate = createSafeClawGate({ policy: here + "example-policy.yaml" });
const transcript = JSON.parse(readFileSync(here + "transcripts/openai-chat.json", "utf8"));

for (const turn of transcript.turns) {
  for (const call of openAIToolCalls(turn.tool_calls)) {
    const d = await decideToolCall(gate, call, MAPPINGS);
    const content = d.allowed ? IMPLEMENTATIONS[call.name](call.input) : denialMessage(d);
    console.log(JSON.stringify({ role: "tool", tool_call_id: call.id, content }));
  }
}
