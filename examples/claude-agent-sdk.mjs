// The Claude Agent SDK's permission doors from a SafeClaw gate. In an app:
//   query({ prompt, options: { canUseTool: claudeAgentCanUseTool(gate, { ask }), hooks: { PreToolUse: [claudeAgentPreToolUseHook(gate)] } } })
// Offline (no model, no Claude Code process), the two callbacks are called here the way the SDK calls them.
// Run: node examples/claude-agent-sdk.mjs
import { claudeAgentCanUseTool, claudeAgentPreToolUseHook } from "safeclaw-edge";
import { createSafeClawGate } from "safeclaw-edge/node";

const gate = createSafeClawGate({ policy: new URL("agents-policy.yaml", import.meta.url).pathname });
// A stand-in for your approval UI: approves restarts, nothing else.
const ask = ({ input }) => /rollout restart/.test(String(input.command));
const canUseTool = claudeAgentCanUseTool(gate, { cwd: "/app", ask });
const opts = { signal: new AbortController().signal, toolUseID: "toolu_1", requestId: "r1" };

for (const [tool, input] of [
  ["Read", { file_path: "/app/src/index.ts" }],
  ["Read", { file_path: "/app/.env" }],
  ["Bash", { command: "kubectl rollout restart deploy/web" }],
  ["Bash", { command: "kubectl delete ns prod" }],
  ["TodoWrite", { todos: [] }],
])
  console.log(JSON.stringify({ door: "canUseTool", tool, result: await canUseTool(tool, input, opts) }));

const [hook] = claudeAgentPreToolUseHook(gate).hooks;
const event = (tool_name, tool_input) => ({
  hook_event_name: "PreToolUse",
  session_id: "s1",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/app",
  tool_name,
  tool_input,
  tool_use_id: "toolu_2",
});
for (const [tool, input] of [
  ["Bash", { command: "cat .env" }],
  ["Bash", { command: "kubectl get pods" }],
])
  console.log(JSON.stringify({ door: "PreToolUse", tool, result: await hook(event(tool, input), "toolu_2", { signal: opts.signal }) }));
