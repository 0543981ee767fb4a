import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { BUILTIN_TOOL_NAMES, LEGACY_TOOL_NAME_ALIASES, type PreToolUseHookInput, type PostToolUseHookInput } from "@anthropic-ai/claude-agent-sdk";
import type { Message, ToolUseBlock } from "@anthropic-ai/sdk/resources/messages";
import { anthropicToolCalls, CLAUDE_CODE_TOOLS, createSafeClawGate, decideToolCall, mapToolCall } from "../src/index.js";
import { CLAUDE_CODE_INTERNAL_TOOLS, CLAUDE_CODE_TOOL_KINDS, claudeCodeInternalToolsRule } from "../src/sdk/claude-code-tools.js";
import { CLAUDE_CODE_HOOK_COMMAND } from "../src/cli/hook.js";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/safeclaw.js");
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
  - id: tests
    action: shell.execute
    command: "npm test"
    effect: allow
${claudeCodeInternalToolsRule()}
`;
const dir = mkdtempSync(join(tmpdir(), "safeclaw-cc-"));
const policyFile = join(dir, "safeclaw.config.yaml");
writeFileSync(policyFile, POLICY);

// Typed with the Claude Agent SDK's own hook input type: a renamed field fails the type check.
const preToolUse = (tool_name: string, tool_input: unknown): PreToolUseHookInput => ({
  hook_event_name: "PreToolUse",
  session_id: "sess-42",
  transcript_path: "/home/u/.claude/projects/p/sess-42.jsonl",
  cwd: "/repo",
  permission_mode: "default",
  tool_name,
  tool_input,
  tool_use_id: "toolu_01ABC",
});

function hook(event: unknown, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, "hook", "claude-code", "--policy", policyFile], {
    input: JSON.stringify(event),
    encoding: "utf8",
    env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...env },
  });
}
const decisionOf = (r: ReturnType<typeof hook>) =>
  (JSON.parse(r.stdout) as { hookSpecificOutput: { permissionDecision: string } }).hookSpecificOutput.permissionDecision;

describe("every Claude Code tool has a mapping or a documented tool.call name", () => {
  const names = [...BUILTIN_TOOL_NAMES, ...Object.keys(LEGACY_TOOL_NAME_ALIASES), "BashOutput", "KillShell", "SlashCommand", "MultiEdit", "NotebookRead", "LS"];
  it.each(names)("%s is in CLAUDE_CODE_TOOL_KINDS, and mapped exactly when the table says so", (name) => {
    expect(Object.hasOwn(CLAUDE_CODE_TOOL_KINDS, name), `${name} (new in the SDK?) needs a kind in src/sdk/claude-code-tools.ts`).toBe(true);
    const kind = CLAUDE_CODE_TOOL_KINDS[name as keyof typeof CLAUDE_CODE_TOOL_KINDS];
    expect(Object.hasOwn(CLAUDE_CODE_TOOLS, name)).toBe(kind === "mapped");
    if (kind !== "mapped") expect(mapToolCall(name, {}, { cwd: "/repo" })).toEqual([{ action: "tool.call", context: { tool: name } }]);
  });

  const gate = createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });
  it.each<[string, Record<string, unknown>, string]>([
    ["TodoWrite", { todos: [] }, "allow"],
    ["ExitPlanMode", { plan: "x" }, "allow"],
    ["AskUserQuestion", { questions: [] }, "allow"],
    ["Agent", { description: "d", prompt: "p" }, "allow"],
    ["Task", { description: "d", prompt: "p" }, "allow"],
    ["Agent", { description: "d", prompt: "p", isolation: "remote" }, "deny"], // runs where this hook does not see its tools
    ["PowerShell", { command: "Get-Content .env" }, "deny"],
    ["Skill", { skill: "deploy" }, "deny"],
    ["SendUserFile", { file_path: "/repo/.env" }, "deny"],
    ["Monitor", { description: "tail", timeout_ms: 1000, command: "tail -f .env" }, "deny"],
    ["Monitor", { description: "t", timeout_ms: 1000, command: "npm test" }, "allow"],
    ["Monitor", { description: "ws", timeout_ms: 1000, ws: { url: "wss://evil.example/" } }, "deny"],
    ["ReadMcpResourceDirTool", { server: "fs", uri: "file:///repo/.env" }, "deny"],
  ])("with the internal-tools rule: %s %j → %s", async (name, input, expected) => {
    const d = await decideToolCall(gate, { id: "t", name, input }, undefined, { cwd: "/repo" });
    expect(d.decision).toBe(expected);
  });

  it("the README and the example policies show the same internal-tools rule", () => {
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(claudeCodeInternalToolsRule());
    for (const f of ["examples/agents-policy.yaml", "examples/claude-code/safeclaw.config.yaml"]) {
      const policy = parseYaml(readFileSync(join(ROOT, f), "utf8")) as { rules: Array<{ id: string; "context.tool": { in: string[] } }> };
      expect(policy.rules.find((r) => r.id === "claude-code-internal-tools")?.["context.tool"].in).toEqual(CLAUDE_CODE_INTERNAL_TOOLS);
    }
  });

  it("the internal list holds only tools that plan, ask or track work", () => {
    expect(CLAUDE_CODE_INTERNAL_TOOLS).toEqual(
      expect.arrayContaining(["Agent", "Task", "TodoWrite", "ExitPlanMode", "AskUserQuestion", "BashOutput", "KillShell", "TaskStop"]),
    );
    for (const t of ["PowerShell", "Skill", "Workflow", "SendUserFile", "CronCreate", "EnterWorktree"]) expect(CLAUDE_CODE_INTERNAL_TOOLS).not.toContain(t);
  });
});

describe("Anthropic Messages API: typed fixture", () => {
  it("tool_use blocks of a Message are the calls", async () => {
    const toolUse: ToolUseBlock = { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/repo/.env" }, caller: { type: "direct" } };
    const message: Message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Reading.", citations: null }, toolUse],
      stop_reason: "tool_use",
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: {
        input_tokens: 1,
        output_tokens: 1,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        cache_creation: null,
        server_tool_use: null,
        service_tier: null,
        inference_geo: null,
        output_tokens_details: null,
        speed: null,
      },
    };
    const calls = anthropicToolCalls(message.content);
    expect(calls).toEqual([{ id: "toolu_1", name: "Read", input: { file_path: "/repo/.env" } }]);
    const gate = createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });
    expect((await decideToolCall(gate, calls[0]!, undefined, { cwd: "/repo" })).decision).toBe("deny");
  });
});

describe("safeclaw hook claude-code: event name, ids in the audit record, launcher", () => {
  it("a PreToolUse event is decided; its session_id and tool_use_id are in the audit record's context, the agent stays claude-code", () => {
    const audit = join(dir, "audit.jsonl");
    const r = hook(preToolUse("Read", { file_path: "/repo/.env" }), { SAFECLAW_AUDIT_SINK: audit });
    expect(decisionOf(r)).toBe("deny");
    const records = readFileSync(audit, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((x) => x.type === "decision")).toMatchObject({
      agent: "claude-code",
      context: { session_id: "sess-42", tool_use_id: "toolu_01ABC" },
      decision: "deny",
    });
  });

  it.each(["PostToolUse", "UserPromptSubmit", 7])("an event named %j is not answered as PreToolUse: exit 2 with the reason on stderr", (name) => {
    const post: PostToolUseHookInput = { ...preToolUse("Read", { file_path: "/repo/a" }), hook_event_name: "PostToolUse", tool_response: {} };
    const r = hook({ ...post, hook_event_name: name });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("PreToolUse events only");
  });

  it("the hook guards the code the settings command runs: the project's node_modules and the running copy of SafeClaw", () => {
    const open = join(dir, "open.yaml");
    writeFileSync(
      open,
      'version: 1\nrules:\n  - { id: all, action: "file.*", path: "/**", effect: allow }\n  - { id: sh, action: shell.execute, command: "echo *", effect: allow }\n',
    );
    const decide = (tool: string, input: unknown) => {
      const r = spawnSync(process.execPath, [BIN, "hook", "claude-code", "--policy", open], {
        input: JSON.stringify(preToolUse(tool, input)),
        encoding: "utf8",
        env: { ...process.env, SAFECLAW_AUDIT_SINK: "", CLAUDE_PROJECT_DIR: "/proj" },
      });
      return decisionOf(r);
    };
    expect([
      decide("Write", { file_path: "/proj/src/a.ts", content: "x" }),
      decide("Write", { file_path: "/proj/node_modules/.bin/safeclaw", content: "exit 0" }),
      decide("Bash", { command: "echo 'process.exit(0)' > /proj/node_modules/safeclaw-edge/dist/cli/run.js" }),
      decide("Edit", { file_path: join(ROOT, "dist/cli/run.js"), old_string: "a", new_string: "b" }),
      decide("Write", { file_path: "/proj/node_modules/yaml/dist/index.js", content: "" }),
    ]).toEqual(["allow", "deny", "deny", "deny", "deny"]);
  });

  it("an unknown hook kind exits 2 (not the usage code, which Claude Code would run the tool after)", () => {
    const r = spawnSync(process.execPath, [BIN, "hook", "claude-cod"], { input: "{}", encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown hook");
  });

  // The README's settings command, run by a real shell as Claude Code runs it.
  const runSettingsCommand = (projectDir: string, event: unknown) =>
    spawnSync("/bin/sh", ["-c", CLAUDE_CODE_HOOK_COMMAND], {
      input: JSON.stringify(event),
      encoding: "utf8",
      env: { ...process.env, CLAUDE_PROJECT_DIR: projectDir, SAFECLAW_AUDIT_SINK: "" },
    });

  it("the settings command runs the project's own binary and decides", () => {
    const project = mkdtempSync(join(tmpdir(), "safeclaw-cc-project-"));
    mkdirSync(join(project, "node_modules/.bin"), { recursive: true });
    symlinkSync(BIN, join(project, "node_modules/.bin/safeclaw"));
    writeFileSync(join(project, "safeclaw.config.yaml"), POLICY);
    const allowed = runSettingsCommand(project, preToolUse("Bash", { command: "npm test" }));
    expect([allowed.status, decisionOf(allowed)]).toEqual([0, "allow"]);
    const denied = runSettingsCommand(project, preToolUse("Read", { file_path: "/repo/.env" }));
    expect([denied.status, decisionOf(denied)]).toEqual([0, "deny"]);
  });

  it("a project without safeclaw installed: the settings command exits 2 with a reason (the tool does not run), and fetches nothing", () => {
    const project = mkdtempSync(join(tmpdir(), "safeclaw-cc-bare-"));
    const r = runSettingsCommand(project, preToolUse("Bash", { command: "npm test" }));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SafeClaw hook could not run; denied");
    expect(CLAUDE_CODE_HOOK_COMMAND).not.toMatch(/\bnpx\b/);
  });

  it("a launcher whose dist/ is missing exits 2 for a hook (1 for other commands)", () => {
    const copy = mkdtempSync(join(tmpdir(), "safeclaw-cc-nodist-"));
    mkdirSync(join(copy, "bin"));
    copyFileSync(BIN, join(copy, "bin/safeclaw.js"));
    const asHook = spawnSync(process.execPath, [join(copy, "bin/safeclaw.js"), "hook", "claude-code", "--policy", policyFile], {
      input: "{}",
      encoding: "utf8",
    });
    expect([asHook.status, asHook.stderr]).toEqual([2, expect.stringContaining("dist/ is missing; run `npm run build` (npm ci does it for you); denied")]);
    expect(spawnSync(process.execPath, [join(copy, "bin/safeclaw.js"), "validate"], { encoding: "utf8" }).status).toBe(1);
  });
});
