import { generateText, isStepCount, tool, ToolLoopAgent, type ToolApprovalConfiguration } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSafeClawGate } from "../src/sdk/gate.js";
import { approvalStatus, safeClawToolApproval } from "../src/sdk/vercel-ai.js";
import { deny } from "../src/engine/decision.js";

/**
 * The real `ai` package (v7) runs a whole tool loop offline: a mock model
 * from `ai/test` asks for tool calls, the SDK asks `toolApproval` (our gate)
 * about each, runs the approved ones, and sends the results and denials
 * back to the model in its next call, where the test reads them.
 */
const POLICY = `rules:
- {id: no-dotenv, action: file.*, path: '**/.env', effect: deny, reason: secrets live in .env}
- {id: app, action: file.read, path: '/app/**', effect: allow}
- {id: ask-delete, action: file.delete, path: '/app/**', effect: require_approval, reason: deleting needs a human}
`;
const gate = createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });
const mappings = {
  readFile: (i: Record<string, unknown>) => [{ action: "file.read", path: i.path }],
  deleteFile: (i: Record<string, unknown>) => [{ action: "file.delete", path: i.path }],
};

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const toolCalls = (...calls: [string, string, object][]) => ({
  content: calls.map(([toolCallId, toolName, input]) => ({ type: "tool-call" as const, toolCallId, toolName, input: JSON.stringify(input) })),
  finishReason: { unified: "tool-calls" as const, raw: undefined },
  usage,
  warnings: [],
});
const text = (t: string) => ({
  content: [{ type: "text" as const, text: t }],
  finishReason: { unified: "stop" as const, raw: undefined },
  usage,
  warnings: [],
});

function agentTools(ran: string[]) {
  return {
    readFile: tool({ inputSchema: z.object({ path: z.string() }), execute: async ({ path }) => (ran.push(`read ${path}`), `contents of ${path}`) }),
    deleteFile: tool({ inputSchema: z.object({ path: z.string() }), execute: async ({ path }) => (ran.push(`delete ${path}`), "deleted") }),
    shell: tool({ inputSchema: z.object({ command: z.string() }), execute: async ({ command }) => (ran.push(`shell ${command}`), "ok") }),
  };
}

describe("Vercel AI SDK: toolApproval from a gate, in the real tool loop", () => {
  it("allowed calls run, denied ones do not and the model reads why, require_approval stops for a human", async () => {
    const ran: string[] = [];
    const model = new MockLanguageModelV4({
      doGenerate: [
        toolCalls(["c1", "readFile", { path: "/app/README.md" }], ["c2", "readFile", { path: "/app/.env" }], ["c3", "shell", { command: "id" }]),
        text("done"),
      ],
    });
    const tools = agentTools(ran);
    const approval: ToolApprovalConfiguration<typeof tools, never> = safeClawToolApproval(gate, { mappings });
    const r = await generateText({ model, tools, prompt: "read the files", stopWhen: isStepCount(3), toolApproval: approval });
    expect(ran).toEqual(["read /app/README.md"]);
    expect(r.text).toBe("done");
    // What the model was sent in its second call: one result, two denials with SafeClaw's reasons.
    const toolMessage = model.doGenerateCalls[1]!.prompt.find((m) => m.role === "tool")!;
    const outputs = Object.fromEntries(
      (toolMessage.content as { toolCallId: string; output: { type: string; value?: unknown; reason?: string } }[]).map((p) => [p.toolCallId, p.output]),
    );
    expect(outputs.c1).toEqual({ type: "text", value: "contents of /app/README.md" });
    expect(outputs.c2).toMatchObject({
      type: "execution-denied",
      reason: expect.stringMatching(/^SafeClaw denied this action \(rule no-dotenv\): secrets live in \.env/),
    });
    expect(outputs.c3).toMatchObject({ type: "execution-denied", reason: expect.stringContaining("SafeClaw denied") }); // no mapping: tool.call, denied by default
  });

  it("require_approval becomes the SDK's user-approval request; the tool does not run", async () => {
    const ran: string[] = [];
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls(["d1", "deleteFile", { path: "/app/old.log" }]), text("unreachable")] });
    const r = await generateText({
      model,
      tools: agentTools(ran),
      prompt: "clean up",
      stopWhen: isStepCount(3),
      toolApproval: safeClawToolApproval(gate, { mappings }),
    });
    expect(ran).toEqual([]);
    const request = r.content.find((p) => p.type === "tool-approval-request");
    expect(request).toMatchObject({ toolCall: { toolCallId: "d1", toolName: "deleteFile" } });
    expect(JSON.stringify(request)).toMatch(/needs human approval \(rule ask-delete\)/); // the reason the approver is shown
    expect((request as { isAutomatic?: boolean }).isAutomatic).not.toBe(true);
    expect(model.doGenerateCalls).toHaveLength(1); // the loop waits for the human
  });

  it("works as ToolLoopAgent's toolApproval, and reports each decision", async () => {
    const ran: string[] = [];
    const seen: string[] = [];
    const agent = new ToolLoopAgent({
      model: new MockLanguageModelV4({ doGenerate: [toolCalls(["a1", "readFile", { path: "/etc/passwd" }]), text("ok")] }),
      tools: agentTools(ran),
      toolApproval: safeClawToolApproval(gate, { mappings, ctx: { agent: "vercel" }, onDecision: (d, c) => seen.push(`${c.toolCallId} ${d.decision}`) }),
    });
    const r = await agent.generate({ prompt: "read passwd" });
    expect(ran).toEqual([]);
    expect(seen).toEqual(["a1 deny"]);
    expect(r.text).toBe("ok");
  });

  it.each([
    ["allow", { decision: "allow", allowed: true, rule: "app", reason: "r", policy: "" }, { type: "approved", reason: "SafeClaw allowed it (rule app)" }],
    ["deny", { decision: "deny", allowed: false, rule: "x", reason: "no", policy: "" }, { type: "denied", reason: expect.stringContaining("rule x") }],
    [
      "require_approval",
      { decision: "require_approval", allowed: false, rule: "y", reason: "ask", policy: "" },
      { type: "user-approval", reason: expect.stringContaining("needs human approval") },
    ],
    ["an error (gate unavailable)", deny("gate_unavailable", "down"), { type: "denied", reason: expect.stringContaining("down") }],
  ] as const)("%s → the SDK's status", (_n, decision, want) => {
    expect(approvalStatus(decision)).toEqual(want);
  });
});
