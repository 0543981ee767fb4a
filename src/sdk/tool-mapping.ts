import { expandBraces } from "../match/brace-expand.js";
import { fileUriPaths } from "./resource-uri.js";

/**
 * From an LLM tool call to the actions it would take. Built-in mappings cover
 * Claude Code's tools; user-defined tools (Messages API, OpenAI) get theirs
 * from config. One resource model: Read(.env), Bash(cat .env) and an MCP
 * filesystem read of .env all become a `file.read` of the same path.
 */
export type ActionRequest = Record<string, unknown> & { action: string };

export interface MappingContext {
  cwd?: string;
  agent?: string;
}

export type ToolMapping = (input: Record<string, unknown>, ctx: MappingContext) => ActionRequest[];

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const fieldOf = (v: unknown, key: string): unknown => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined);

export function withCtx(req: ActionRequest, ctx: MappingContext, cwdField = true): ActionRequest {
  if (cwdField && ctx.cwd !== undefined && req.cwd === undefined) req.cwd = ctx.cwd;
  if (ctx.agent !== undefined) req.agent = ctx.agent;
  return req;
}

/** A tool input the mapping cannot read (a missing or mistyped field) becomes a request the engine refuses. */
export function fileAction(action: string, path: unknown, ctx: MappingContext): ActionRequest {
  return withCtx({ action, path: typeof path === "string" ? path : path }, ctx);
}

export const CLAUDE_CODE_TOOLS: Record<string, ToolMapping> = {
  Bash: (i, ctx) => [withCtx({ action: "shell.execute", command: i.command }, ctx)],
  Read: (i, ctx) => [fileAction("file.read", i.file_path, ctx)],
  NotebookRead: (i, ctx) => [fileAction("file.read", i.notebook_path, ctx)],
  LS: (i, ctx) => [fileAction("file.read", i.path, ctx)],
  // Grep prints lines (or names, or counts: all answers about contents) of every file below
  // `path` that its `glob` lets in, whatever the output mode: a read of that tree, as `rg` on
  // the shell side. `type` is not used to narrow it (ripgrep's type table can be redefined).
  Grep: (i, ctx) => [{ ...fileAction("file.read", i.path ?? ctx.cwd, ctx), recursive: true, ...(i.glob !== undefined ? { names: i.glob } : {}) }],
  // Glob reveals names, not contents: a listing of the directories it searches, like
  // `find`, `ls -R` and `tree` on the shell side. It lists what its pattern reaches, which
  // need not be under `path`: `/etc/**`, `../../x/*`.
  Glob: (i, ctx) => globReads(i, ctx),
  Write: (i, ctx) => [fileAction("file.write", i.file_path, ctx)],
  Edit: (i, ctx) => [fileAction("file.write", i.file_path, ctx)],
  MultiEdit: (i, ctx) => [fileAction("file.write", i.file_path, ctx)],
  NotebookEdit: (i, ctx) => [fileAction("file.write", i.notebook_path, ctx)],
  // Claude Code's own tool for MCP resources: the proxy's `resources/read`, by server name.
  ReadMcpResourceTool: (i, ctx) => resourceReadRequests(i.server, i.uri, ctx),
  ReadMcpResource: (i, ctx) => resourceReadRequests(i.server, i.uri, ctx), // its older name
  // Listing a resource directory reveals what a read of it would: decided as that read.
  ReadMcpResourceDirTool: (i, ctx) => resourceReadRequests(i.server, i.uri, ctx),
  ReadMcpResourceDir: (i, ctx) => resourceReadRequests(i.server, i.uri, ctx),
  // Monitor runs a shell command (each output line an event) or opens a WebSocket.
  Monitor: (i, ctx) => [
    ...(i.command !== undefined || i.ws === undefined ? [withCtx({ action: "shell.execute", command: i.command }, ctx)] : []),
    ...(i.ws !== undefined ? [withCtx({ action: "network.request", url: fieldOf(i.ws, "url"), method: "GET" }, ctx, false)] : []),
  ],
  // A subagent's own tool calls come through this hook too; one that runs remotely does not, so a rule can tell them apart.
  Agent: (i, ctx) => [agentCall("Agent", i, ctx)],
  Task: (i, ctx) => [agentCall("Task", i, ctx)], // Agent's older name
  WebFetch: (i, ctx) => [withCtx({ action: "network.request", url: i.url, method: "GET" }, ctx, false)],
  // The search runs on the model provider's side; policies allow it by this reserved host.
  WebSearch: (i, ctx) => [
    withCtx({ action: "network.request", host: "web-search.invalid", method: "GET", context: { query: str(i.query) ?? "" } }, ctx, false),
  ],
};

function agentCall(tool: string, i: Record<string, unknown>, ctx: MappingContext): ActionRequest {
  return withCtx({ action: "tool.call", context: { tool, ...(i.isolation !== undefined ? { isolation: i.isolation } : {}) } }, ctx, false);
}

/**
 * The directories a Glob call lists: the one searched, and the fixed leading
 * directory of each alternative of its pattern when that lies elsewhere (an
 * absolute pattern, or `..` segments, each of which may climb one level even
 * after a wildcard). A pattern the mapping cannot read is a read of `/`,
 * which a policy that does not allow everything refuses.
 */
function globReads(i: Record<string, unknown>, ctx: MappingContext): ActionRequest[] {
  const dir = i.path ?? ctx.cwd;
  const out = [fileAction("file.read", dir, ctx)];
  const pattern = str(i.pattern);
  if (pattern === undefined) return out;
  let alternatives: string[];
  try {
    alternatives = expandBraces(pattern);
  } catch {
    return [...out, fileAction("file.read", "/", ctx)];
  }
  for (const alt of alternatives) {
    const base = globBase(alt);
    if (base === "") continue;
    // `~...` stays as it is (the engine refuses it, asking for an absolute path): a Glob that expands it lists the home directory.
    out.push(fileAction("file.read", base.startsWith("/") || base.startsWith("~") || typeof dir !== "string" ? base : `${dir}/${base}`, ctx));
  }
  return out;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** `/etc/**\/*.conf` → `/etc`; `src/*.ts` → `` (the searched directory itself); `*\/../../x` → `../..`. */
function globBase(pattern: string): string {
  const segments = pattern.split("/");
  const fixed: string[] = [];
  let k = 0;
  for (; k < segments.length && !GLOB_CHARS.test(segments[k]!); k++) fixed.push(segments[k]!);
  if (k === segments.length) return pattern; // no wildcard: the pattern names one path
  const climbs = segments.slice(k + 1).filter((seg) => seg === ".." || (GLOB_CHARS.test(seg) && /^[.*?]+$/.test(seg) && seg.includes("."))).length;
  const base = [...fixed, ...Array<string>(climbs).fill("..")].join("/");
  const leadsOut = fixed.includes("..") || climbs > 0 || pattern.startsWith("/") || pattern.startsWith("~");
  return leadsOut ? base || (pattern.startsWith("/") ? "/" : "") : "";
}

/**
 * Reading an MCP resource: `mcp.call` with tool `resources/read` and `{uri}`,
 * plus a `file.read` of a `file://` URI's path. A URI whose path servers read
 * differently stands for any file: a read of the whole tree from `/`, which
 * only a policy allowing every file allows (the proxy refuses it outright).
 */
function resourceReadRequests(server: unknown, uri: unknown, ctx: MappingContext): ActionRequest[] {
  const call = withCtx({ action: "mcp.call", server, tool: "resources/read", arguments: { uri } }, ctx, false);
  const files = typeof uri === "string" ? fileUriPaths(uri) : undefined;
  if (!files?.ok) return [call, { ...fileAction("file.read", "/", ctx), recursive: true }];
  return [call, ...files.paths.map((p) => fileAction("file.read", p, ctx))];
}

/** `mcp__server__tool` → mcp.call; any other unknown tool → `tool.call`, which a default policy denies. */
export function mapToolCall(
  name: string,
  input: unknown,
  ctx: MappingContext = {},
  mappings: Record<string, ToolMapping> = CLAUDE_CODE_TOOLS,
): ActionRequest[] {
  const args = input !== null && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
  if (!args) return [withCtx({ action: "tool.call", context: { tool: name, error: "tool input is not an object" } }, ctx, false)];
  const m = Object.hasOwn(mappings, name) ? mappings[name] : undefined;
  if (m) return m(args, ctx);
  const mcp = /^mcp__(.+?)__(.+)$/.exec(name);
  if (mcp) return mcpRequests(mcp[1]!, mcp[2]!, args, ctx);
  return [withCtx({ action: "tool.call", context: { tool: name } }, ctx, false)];
}

// The reference MCP filesystem server's tools, by what they do to the paths they name.
const MCP_FILE_READS = new Set([
  "read_file",
  "read_text_file",
  "read_media_file",
  "read_multiple_files",
  "get_file_info",
  "list_directory",
  "list_directory_with_sizes",
  "directory_tree",
  "search_files",
]);
const MCP_FILE_WRITES = new Set(["write_file", "edit_file", "create_directory"]);

/**
 * An MCP tool call is an `mcp.call`; when the tool is a known file operation,
 * it is also the file actions it performs, so file rules hold over MCP too.
 */
export function mcpRequests(server: string, tool: string, args: Record<string, unknown>, ctx: MappingContext = {}): ActionRequest[] {
  const out: ActionRequest[] = [withCtx({ action: "mcp.call", server, tool, arguments: args }, ctx, false)];
  const paths = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  if (MCP_FILE_READS.has(tool)) for (const p of [...paths(args.path), ...paths(args.paths)]) out.push(fileAction("file.read", p, ctx));
  if (MCP_FILE_WRITES.has(tool)) for (const p of paths(args.path)) out.push(fileAction("file.write", p, ctx));
  if (tool === "move_file") {
    out.push(fileAction("file.read", args.source, ctx), fileAction("file.delete", args.source, ctx), fileAction("file.write", args.destination, ctx));
  }
  return out;
}
