import { describe, expect, it } from "vitest";
import type {
  CanUseTool,
  HookCallback,
  HookCallbackMatcher,
  HookInput,
  Options,
  PermissionResult,
  PreToolUseHookInput,
  SyncHookJSONOutput,
} from "@anthropic-ai/claude-agent-sdk";
import { claudeAgentCanUseTool, claudeAgentPreToolUseHook, createSafeClawGate } from "../src/index.js";

// Driven through the Claude Agent SDK's own types: the callbacks are assigned to
// `CanUseTool` and `HookCallbackMatcher` and called with SDK-typed inputs. The SDK's
// real permission flow needs its Claude Code process and a model, so it is not run here.
const POLICY = `version: 1
defaultAction: deny
cwd: /repo
rules:
  - id: no-dotenv
    action: file.*
    path: "**/.env"
    effect: deny
  - id: read-repo
    action: file.read
    path: "/repo/**"
    effect: allow
  - id: deploy
    action: shell.execute
    command: "kubectl *"
    effect: require_approval
    reason: production change
`;
const gate = createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });
const options = (toolUseID = "toolu_1"): Parameters<CanUseTool>[2] => ({ signal: new AbortController().signal, toolUseID, requestId: "req_1" });

describe("claudeAgentCanUseTool: a CanUseTool callback", () => {
  const canUseTool: CanUseTool = claudeAgentCanUseTool(gate, { cwd: "/repo" });

  it.each<[string, Record<string, unknown>, PermissionResult["behavior"], RegExp?]>([
    ["Read", { file_path: "/repo/src/a.ts" }, "allow"],
    ["Read", { file_path: "/repo/.env" }, "deny", /SafeClaw denied this action \(rule no-dotenv\).*Do not retry/],
    ["Bash", { command: "cat .env" }, "deny", /no-dotenv/],
    ["Bash", { command: "kubectl delete ns prod" }, "deny", /needs human approval \(rule deploy\)/],
    ["Skill", { skill: "x" }, "deny", /no rule matched/],
  ])("%s %j → %s", async (tool, input, behavior, message) => {
    const r = await canUseTool(tool, input, options());
    expect(r?.behavior).toBe(behavior);
    if (r?.behavior === "allow") expect(r.updatedInput).toEqual(input);
    if (r?.behavior === "deny") expect(r.message).toMatch(message!);
  });

  it("require_approval goes to the caller's ask function: only `true` allows; a throwing approver denies", async () => {
    const asked: string[] = [];
    const approving: CanUseTool = claudeAgentCanUseTool(gate, {
      cwd: "/repo",
      ask: ({ toolName, decision }) => (asked.push(`${toolName}:${decision.rule}`), true),
    });
    expect(await approving("Bash", { command: "kubectl rollout restart deploy/web" }, options())).toEqual({
      behavior: "allow",
      updatedInput: { command: "kubectl rollout restart deploy/web" },
    });
    expect(asked).toEqual(["Bash:deploy"]);
    // a deny is never sent to the approver
    expect((await approving("Read", { file_path: "/repo/.env" }, options()))?.behavior).toBe("deny");
    expect(asked).toHaveLength(1);
    const refusing: CanUseTool = claudeAgentCanUseTool(gate, { ask: async () => "yes" as unknown as boolean });
    expect(await refusing("Bash", { command: "kubectl get pods" }, options())).toMatchObject({
      behavior: "deny",
      message: expect.stringContaining("approval for this action was not given"),
    });
    const throwing: CanUseTool = claudeAgentCanUseTool(gate, {
      ask: () => {
        throw new Error("ui gone");
      },
    });
    expect((await throwing("Bash", { command: "kubectl get pods" }, options()))?.behavior).toBe("deny");
  });

  it("a gate that cannot decide denies", async () => {
    const broken = createSafeClawGate({ policy: [{ name: "bad.yaml", text: "rules: [" }] });
    expect((await claudeAgentCanUseTool(broken)("Read", { file_path: "/repo/a" }, options()))?.behavior).toBe("deny");
  });
});

describe("claudeAgentPreToolUseHook: a PreToolUse HookCallbackMatcher", () => {
  const matcher: HookCallbackMatcher = claudeAgentPreToolUseHook(gate);
  const hooks: Options["hooks"] = { PreToolUse: [matcher] };
  const callback: HookCallback = hooks.PreToolUse![0]!.hooks[0]!;
  const event = (tool_name: string, tool_input: unknown): PreToolUseHookInput => ({
    hook_event_name: "PreToolUse",
    session_id: "s1",
    transcript_path: "/t.jsonl",
    cwd: "/repo",
    tool_name,
    tool_input,
    tool_use_id: "toolu_9",
  });
  const decisionOf = (out: Awaited<ReturnType<HookCallback>>) =>
    ((out as SyncHookJSONOutput).hookSpecificOutput as { permissionDecision?: string } | undefined)?.permissionDecision;

  it("fails closed on a callback failure", () => expect(matcher.onFailure).toBe("block"));

  it.each([
    ["Read", { file_path: "src/a.ts" }, "allow"], // relative to the event's cwd
    ["Read", { file_path: ".env" }, "deny"],
    ["Bash", { command: "kubectl apply -f x.yaml" }, "ask"],
    ["mcp__github__create_issue", { title: "x" }, "deny"],
  ])("%s %j → %s", async (tool, input, want) => {
    const out = await callback(event(tool, input), "toolu_9", { signal: new AbortController().signal });
    expect(decisionOf(out)).toBe(want);
  });

  it("registered under another event it blocks and says so", async () => {
    const post: HookInput = {
      hook_event_name: "PostToolUse",
      session_id: "s1",
      transcript_path: "/t.jsonl",
      cwd: "/repo",
      tool_name: "Read",
      tool_input: {},
      tool_response: {},
      tool_use_id: "toolu_9",
    };
    const out = (await callback(post, "toolu_9", { signal: new AbortController().signal })) as SyncHookJSONOutput;
    expect(out).toMatchObject({ decision: "block", reason: expect.stringContaining("register it under hooks.PreToolUse") });
  });
});
