import { describe, expect, expectTypeOf, it } from "vitest";
import type { ChatCompletionMessage, ChatCompletionMessageToolCall } from "openai/resources/chat/completions";
import type {
  ResponseApplyPatchToolCall,
  ResponseCustomToolCall,
  ResponseFunctionShellToolCall,
  ResponseFunctionToolCall,
  ResponseOutputItem,
} from "openai/resources/responses/responses";
import { createSafeClawGate, decideToolCall, openAIToolCalls, type ToolMapping } from "../src/index.js";
import { OPENAI_RESPONSE_ITEM_TYPES } from "../src/sdk/openai-tool-calls.js";
import { argvCommandLine } from "../src/sdk/argv-command-line.js";

// Fixtures are typed with the `openai` package's own types: a shape change in a
// new release fails `npm run typecheck` (part of `npm test`), not a user.
const POLICY = `
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
  - id: write-src
    action: file.write
    path: "/repo/src/**"
    effect: allow
  - id: tools
    action: shell.execute
    command: ["ls*", "cat *", "git status"]
    effect: allow
  - id: sql-readonly
    action: tool.call
    context.tool: run_sql
    context.input: { startsWith: "SELECT " }
    effect: allow
  - id: fs-mcp
    action: mcp.call
    server: files
    effect: allow
`;
const gate = createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });
const CTX = { cwd: "/repo", agent: "openai-test" };
const decide = async (items: unknown[], mappings?: Record<string, ToolMapping>) =>
  Promise.all(openAIToolCalls(items).map((c) => decideToolCall(gate, c, mappings, CTX)));

describe("Responses API items: typed fixtures, ids, every client-run item gated", () => {
  it("the item table names every type of the SDK's ResponseOutputItem union, and nothing else", () => {
    // Fails to type-check when the `openai` package adds or renames an item type.
    expectTypeOf<keyof typeof OPENAI_RESPONSE_ITEM_TYPES>().toEqualTypeOf<ResponseOutputItem["type"]>();
  });

  it("function_call: the id is call_id (call_...), not the item id (fc_...)", async () => {
    const item: ResponseFunctionToolCall = {
      type: "function_call",
      id: "fc_123",
      call_id: "call_abc",
      name: "Read",
      arguments: '{"file_path":"/repo/a.ts"}',
      status: "completed",
    };
    const [call] = openAIToolCalls([item]);
    expect(call).toMatchObject({ id: "call_abc", name: "Read", input: { file_path: "/repo/a.ts" } });
    expect((await decideToolCall(gate, call!, undefined, CTX)).decision).toBe("allow");
  });

  it("a namespaced function_call is decided by its qualified name, so another namespace's tool of the same name is not allowed by it", async () => {
    const item: ResponseFunctionToolCall = {
      type: "function_call",
      call_id: "call_1",
      name: "Read",
      namespace: "evil",
      arguments: '{"file_path":"/repo/a.ts"}',
    };
    const [call] = openAIToolCalls([item]);
    expect(call!.name).toBe("evil.Read");
    expect((await decideToolCall(gate, call!, undefined, CTX)).decision).toBe("deny");
  });

  const customSql = (input: string): ResponseCustomToolCall => ({ type: "custom_tool_call", call_id: "call_sql", name: "run_sql", input });
  it.each([
    ["SELECT 1", "allow"],
    ["DROP TABLE users", "deny"],
  ])("custom_tool_call %j is a tool.call with its text in context.input → %s", async (text, expected) => {
    const [d] = await decide([customSql(text)]);
    expect(d!.decision).toBe(expected);
  });

  it("custom_tool_call with a caller's mapping: the mapping reads {input: text}", async () => {
    const mappings: Record<string, ToolMapping> = { cat_file: (i) => [{ action: "file.read", path: String(i.input), cwd: "/repo" }] };
    const ds = await decide(
      [
        { ...customSql("/repo/.env"), name: "cat_file" },
        { ...customSql("/repo/a.ts"), name: "cat_file" },
      ],
      mappings,
    );
    expect(ds.map((d) => d.decision)).toEqual(["deny", "allow"]);
  });

  const shell = (command: string[], extra: Partial<ResponseOutputItem.LocalShellCall.Action> = {}): ResponseOutputItem.LocalShellCall => ({
    type: "local_shell_call",
    id: "lsh_1",
    call_id: "call_sh",
    status: "completed",
    action: { type: "exec", command, env: {}, ...extra },
  });
  it.each<[string, ResponseOutputItem.LocalShellCall, "allow" | "deny" | "require_approval"]>([
    ["plain argv", shell(["ls", "-la"]), "allow"],
    ["argv read of .env (cat .env)", shell(["cat", ".env"]), "deny"],
    ["working_directory is the cwd: cat .env under /repo/sub is /repo/sub/.env", shell(["cat", ".env"], { working_directory: "/repo/sub" }), "deny"],
    ["working_directory elsewhere: cat a.txt under /etc is /etc/a.txt", shell(["cat", "a.txt"], { working_directory: "/etc" }), "deny"],
    ["bash -lc smuggles a second command", shell(["bash", "-lc", "ls; cat .env"]), "deny"],
    ["an argv element with shell syntax is one literal word, not a pipeline", shell(["ls", "; rm -rf /"]), "allow"],
    ["a single quote inside an element cannot close the quoting", shell(["ls", "x' ; rm -rf '/"]), "allow"],
    ["$(...) in an element is a literal file name for exec, and for the engine (/repo/$(...), not a substitution)", shell(["cat", "$(rm -rf /)"]), "allow"],
    ["the same text as a shell line is a substitution, refused", shell(["bash", "-c", "cat $(rm -rf /)"]), "deny"],
    ["env LD_PRELOAD is part of what the policy matches", shell(["ls"], { env: { LD_PRELOAD: "/tmp/evil.so" } }), "deny"],
    ["env key that is not a name (would become the command word)", shell(["ls"], { env: { "X;cat /repo/.env;Y": "1" } }), "deny"],
    ["empty argv", shell([]), "deny"],
    ["run as another user", shell(["ls"], { user: "root" }), "deny"],
  ])("local_shell_call: %s → %s", async (_name, item, expected) => {
    const [d] = await decide([item]);
    expect(d!.decision).toBe(expected);
  });

  it("local_shell_call argv is quoted so the engine parses the same argv (and says so in the reason)", async () => {
    const line = argvCommandLine(["printf", "%s\n", "it's", "$HOME", "*"]);
    expect(line).toEqual({ ok: true, line: `'printf' '%s\n' 'it'\\''s' '$HOME' '*'` });
    const [d] = await decide([shell(["ls", "a b"])]);
    expect(d).toMatchObject({ decision: "allow", rule: "tools" });
  });

  it("shell_call: every command of the list is decided", async () => {
    const item: ResponseFunctionShellToolCall = {
      type: "shell_call",
      id: "sh_1",
      call_id: "call_s",
      status: "completed",
      environment: null,
      action: { commands: ["git status", "cat .env"], max_output_length: null, timeout_ms: null },
    };
    expect((await decide([item]))[0]!.decision).toBe("deny");
    expect((await decide([{ ...item, action: { ...item.action, commands: ["git status"] } }]))[0]!.decision).toBe("allow");
  });

  it.each<[ResponseApplyPatchToolCall["operation"], string]>([
    [{ type: "create_file", path: "/repo/src/new.ts", diff: "+x" }, "allow"],
    [{ type: "update_file", path: "/repo/.env", diff: "+K=1" }, "deny"],
    [{ type: "delete_file", path: "/repo/src/new.ts" }, "deny"],
  ])("apply_patch_call %j → %s", async (operation, expected) => {
    const item: ResponseApplyPatchToolCall = { type: "apply_patch_call", id: "ap_1", call_id: "call_p", status: "completed", operation };
    expect((await decide([item]))[0]!.decision).toBe(expected);
  });

  it("mcp_approval_request is an mcp.call (and the file actions of a known file tool), keyed by the item id", async () => {
    const req = (args: string): ResponseOutputItem.McpApprovalRequest => ({
      type: "mcp_approval_request",
      id: "mcpr_1",
      server_label: "files",
      name: "read_file",
      arguments: args,
    });
    const calls = openAIToolCalls([req('{"path":"/repo/.env"}'), req('{"path":"/repo/a"}'), req("{")]);
    expect(calls[0]!.id).toBe("mcpr_1");
    const ds = await Promise.all(calls.map((c) => decideToolCall(gate, c, undefined, CTX)));
    expect(ds.map((d) => d.decision)).toEqual(["deny", "allow", "deny"]);
  });

  it("server-run and non-call items are skipped; an unknown item type is a deny, not dropped", async () => {
    const message: ResponseOutputItem = {
      type: "message",
      id: "msg_1",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "hi", annotations: [] }],
    };
    expect(openAIToolCalls([message])).toEqual([]);
    const ds = await decide([{ type: "teleport_call", call_id: "call_t", destination: "/" }, 42]);
    expect(ds.map((d) => [d.decision, d.error])).toEqual([
      ["deny", "unsupported_tool_call"],
      ["deny", "unsupported_tool_call"],
    ]);
  });
});

describe("Chat Completions tool_calls: typed fixtures", () => {
  it("function and custom tool calls keep their ids; custom text is gated; an unknown type is refused", async () => {
    const toolCalls: ChatCompletionMessageToolCall[] = [
      { id: "call_f", type: "function", function: { name: "Read", arguments: '{"file_path":"/repo/.env"}' } },
      { id: "call_c", type: "custom", custom: { name: "run_sql", input: "SELECT * FROM t" } },
    ];
    const message: ChatCompletionMessage = { role: "assistant", content: null, refusal: null, tool_calls: toolCalls };
    const calls = openAIToolCalls(message.tool_calls);
    expect(calls.map((c) => c.id)).toEqual(["call_f", "call_c"]);
    const ds = await Promise.all(calls.map((c) => decideToolCall(gate, c, undefined, CTX)));
    expect(ds.map((d) => d.decision)).toEqual(["deny", "allow"]);
    expect((await decide([{ id: "call_x", type: "code", code: { source: "rm -rf /" } }]))[0]).toMatchObject({
      decision: "deny",
      error: "unsupported_tool_call",
    });
  });
});
