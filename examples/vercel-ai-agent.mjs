// A Vercel AI SDK (v7) tool loop gated by SafeClaw: `toolApproval` asks the gate about every
// tool call. Runs offline: the model is the SDK's own mock, scripted to try three reads.
// Run: node examples/vercel-ai-agent.mjs   (needs the `ai` and `zod` packages)
import { generateText, isStepCount, tool } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { z } from "zod";
import { safeClawToolApproval } from "safeclaw-edge";
import { createSafeClawGate } from "safeclaw-edge/node";

const gate = createSafeClawGate({ policy: new URL("./example-policy.yaml", import.meta.url).pathname });

const tools = {
  readFile: tool({ description: "Read a file", inputSchema: z.object({ path: z.string() }), execute: async ({ path }) => `(would read: ${path})` }),
  fetchUrl: tool({ description: "GET a URL", inputSchema: z.object({ url: z.string() }), execute: async ({ url }) => `(would fetch: ${url})` }),
};
// Which actions each tool takes; a tool without a mapping is a `tool.call`, denied by default.
const mappings = {
  readFile: (i) => [{ action: "file.read", path: i.path }],
  fetchUrl: (i) => [{ action: "network.request", url: i.url, method: "GET" }],
};

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const call = (toolCallId, toolName, input) => ({ type: "tool-call", toolCallId, toolName, input: JSON.stringify(input) });
const model = new MockLanguageModelV4({
  doGenerate: [
    {
      content: [
        call("1", "readFile", { path: "/app/README.md" }),
        call("2", "readFile", { path: "/app/.env" }),
        call("3", "fetchUrl", { url: "http://169.254.169.254/latest/meta-data/" }),
      ],
      finishReason: { unified: "tool-calls", raw: undefined },
      usage,
      warnings: [],
    },
    {
      content: [{ type: "text", text: "Read the README; the other two were refused." }],
      finishReason: { unified: "stop", raw: undefined },
      usage,
      warnings: [],
    },
  ],
});

const result = await generateText({
  model,
  tools,
  prompt: "Look around /app",
  stopWhen: isStepCount(3),
  toolApproval: safeClawToolApproval(gate, { mappings, ctx: { agent: "vercel-example" } }),
});

// What the model was told about each call in its second turn: a tool result, or the denial's reason.
const toolMessage = model.doGenerateCalls[1].prompt.find((m) => m.role === "tool");
for (const part of toolMessage.content) console.log(JSON.stringify({ toolCallId: part.toolCallId, output: part.output }));
console.log(JSON.stringify({ text: result.text }));
