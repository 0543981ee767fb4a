import { beforeAll, describe, expect, it } from "vitest";
import { Agent, run, setTracingDisabled, tool } from "@openai/agents";
import { assistantMessage, functionCall, ScriptedModel } from "@openai/agents/testing";
import { createSafeClawGate, gatedAgentsTool, type ToolMapping } from "../src/index.js";

// The real OpenAI Agents SDK, run offline: its ScriptedModel (from @openai/agents/testing)
// plays the model, the SDK's runner calls the gated tool, and the tool output the model
// reads next is taken from the SDK's record of the second model request.
const POLICY = `version: 1
defaultAction: deny
rules:
  - id: no-dotenv
    action: file.read
    path: "**/.env"
    effect: deny
    reason: secrets
  - id: read-repo
    action: file.read
    path: "/repo/**"
    effect: allow
  - id: deploy
    action: shell.execute
    command: "kubectl *"
    effect: require_approval
`;
const gate = createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });

beforeAll(() => setTracingDisabled(true)); // tracing would export to OpenAI: nothing leaves the machine

const ran: string[] = [];
const readFile = tool(
  gatedAgentsTool(
    gate,
    {
      name: "read_file",
      description: "Read a file",
      parameters: { type: "object" as const, properties: { path: { type: "string" } }, required: ["path"], additionalProperties: false as const },
      strict: true as const,
      execute: async (input: unknown) => {
        ran.push(`read ${(input as { path: string }).path}`);
        return "file contents";
      },
    },
    ((i) => [{ action: "file.read", path: i.path }]) satisfies ToolMapping,
  ),
);
const shell = tool(
  gatedAgentsTool(
    gate,
    {
      name: "shell",
      description: "Run a command",
      parameters: { type: "object" as const, properties: { command: { type: "string" } }, required: ["command"], additionalProperties: false as const },
      strict: true as const,
      execute: async (input: unknown) => {
        ran.push(`shell ${(input as { command: string }).command}`);
        return "done";
      },
    },
    (i) => [{ action: "shell.execute", command: i.command, cwd: "/repo" }],
  ),
);

/** What the model was sent as the tool's output in its next request. */
function toolOutputSeen(model: ScriptedModel, callId: string): unknown {
  const input = model.calls[1]?.request.input;
  const items = Array.isArray(input) ? input : [];
  const out = items.find(
    (it) => (it as { type?: string; callId?: string }).type === "function_call_result" && (it as { callId?: string }).callId === callId,
  ) as { output?: unknown } | undefined;
  return out?.output;
}

describe("gatedAgentsTool with the Agents SDK runner and its ScriptedModel", () => {
  it.each([
    ["/repo/src/a.ts", true, "file contents"],
    ["/repo/.env", false, "SafeClaw denied this action (rule no-dotenv): secrets"],
  ])("read_file %s: runs=%s, the model reads %j", async (path, runs, seen) => {
    ran.length = 0;
    const model = new ScriptedModel([[functionCall("read_file", { path }, { callId: "call_1" })], [assistantMessage("ok")]]);
    const agent = new Agent({ name: "reader", instructions: "read", model, tools: [readFile] });
    const result = await run(agent, "read it");
    expect(result.finalOutput).toBe("ok");
    expect(ran).toEqual(runs ? [`read ${path}`] : []);
    expect(JSON.stringify(toolOutputSeen(model, "call_1"))).toContain(seen);
    model.assertComplete();
  });

  it("require_approval pauses the run with the SDK's approval item; approved it runs, rejected it does not", async () => {
    for (const approve of [true, false]) {
      ran.length = 0;
      const model = new ScriptedModel([
        [functionCall("shell", { command: "kubectl rollout restart deploy/web" }, { callId: "call_k" })],
        [assistantMessage("finished")],
      ]);
      const agent = new Agent({ name: "ops", instructions: "ops", model, tools: [shell] });
      const first = await run(agent, "restart web");
      expect(first.interruptions.map((i) => i.name)).toEqual(["shell"]);
      expect(ran).toEqual([]);
      if (approve) first.state.approve(first.interruptions[0]!);
      else first.state.reject(first.interruptions[0]!);
      const second = await run(agent, first.state);
      expect(second.finalOutput).toBe("finished");
      expect(ran).toEqual(approve ? ["shell kubectl rollout restart deploy/web"] : []);
    }
  });

  it("a require_approval call that reaches execute without the SDK's approval is refused (execute called directly)", async () => {
    ran.length = 0;
    const out = await shell.invoke(
      // a run context that has approved nothing
      { isToolApproved: () => undefined } as never,
      JSON.stringify({ command: "kubectl delete ns prod" }),
      { toolCall: { type: "function_call", callId: "call_x", name: "shell", arguments: "{}" } } as never,
    );
    expect(String(out)).toContain("needs human approval");
    expect(ran).toEqual([]);
  });
});
