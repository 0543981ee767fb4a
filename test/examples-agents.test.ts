import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLAUDE_CODE_HOOK_COMMAND } from "../src/cli/hook.js";

// The agent-framework examples in examples/, run as a user runs them (node examples/x.mjs), offline.
const ROOT = new URL("..", import.meta.url).pathname;
const run = (name: string) => {
  const r = spawnSync(process.execPath, [join(ROOT, "examples", name)], { encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe("agent-framework examples", () => {
  it("OpenAI Responses items: outputs carry call_id; .env read, smuggled shell read, custom SQL and an unknown item are refused", () => {
    const out = run("openai-responses-loop.mjs");
    expect(out.map((o) => [o.type, o.call_id, o.decision])).toEqual([
      ["function_call_output", "call_1", "allow"],
      ["function_call_output", "call_2", "deny"],
      ["local_shell_call_output", "call_3", "allow"],
      ["local_shell_call_output", "call_4", "deny"],
      ["custom_tool_call_output", "call_5", "deny"],
      ["function_call_output", "call_6", "deny"],
    ]);
    expect(out[3]!.output).toMatch(/rule no-dotenv/);
  });

  it("Claude Agent SDK: canUseTool and the PreToolUse hook", () => {
    const out = run("claude-agent-sdk.mjs") as Array<{
      door: string;
      tool: string;
      result: { behavior?: string; hookSpecificOutput?: { permissionDecision: string } };
    }>;
    expect(out.map((o) => o.result.behavior ?? o.result.hookSpecificOutput?.permissionDecision)).toEqual([
      "allow",
      "deny",
      "allow",
      "deny",
      "allow",
      "deny",
      "ask",
    ]);
  });

  it("OpenAI Agents SDK (ScriptedModel): the denied read returns the denial to the model, the approved restart runs", () => {
    const out = run("openai-agents.mjs");
    expect(out[0]).toEqual({ approval_requested: "shell", arguments: '{"command":"kubectl rollout restart deploy/web"}' });
    expect(out.slice(1, 4).map((o) => [o.call_id, String(o.output).slice(0, 24)])).toEqual([
      ["call_1", "SafeClaw denied this act"],
      ["call_2", "(contents of /app/README"],
      ["call_3", "(ran kubectl rollout res"],
    ]);
    expect(out[4]).toEqual({ final: "done" });
  });

  it("Claude Code: the example project's settings run the hook command the README shows, and it decides", () => {
    const settings = JSON.parse(readFileSync(join(ROOT, "examples/claude-code/.claude/settings.json"), "utf8"));
    const command = settings.hooks.PreToolUse[0].hooks[0].command as string;
    expect(command).toBe(CLAUDE_CODE_HOOK_COMMAND);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(JSON.stringify(CLAUDE_CODE_HOOK_COMMAND));
    // the example project, with safeclaw installed as a project would have it
    const project = mkdtempSync(join(tmpdir(), "safeclaw-example-cc-"));
    mkdirSync(join(project, "node_modules/.bin"), { recursive: true });
    symlinkSync(join(ROOT, "bin/safeclaw.js"), join(project, "node_modules/.bin/safeclaw"));
    symlinkSync(join(ROOT, "examples/claude-code/safeclaw.config.yaml"), join(project, "safeclaw.config.yaml"));
    const decide = (tool_name: string, tool_input: unknown) => {
      const event = { hook_event_name: "PreToolUse", session_id: "s", transcript_path: "/t", cwd: "/app", tool_name, tool_input, tool_use_id: "toolu_1" };
      const r = spawnSync("/bin/sh", ["-c", command], {
        input: JSON.stringify(event),
        encoding: "utf8",
        env: { ...process.env, CLAUDE_PROJECT_DIR: project, SAFECLAW_AUDIT_SINK: "" },
      });
      return (JSON.parse(r.stdout) as { hookSpecificOutput: { permissionDecision: string } }).hookSpecificOutput.permissionDecision;
    };
    expect([
      decide("Read", { file_path: "/app/.env" }),
      decide("TodoWrite", { todos: [] }),
      decide("Bash", { command: "kubectl get pods" }),
      decide("PowerShell", { command: "dir" }),
    ]).toEqual(["deny", "allow", "ask", "deny"]);
  });
});
