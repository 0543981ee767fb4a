import { isBuiltinAction } from "./actions.js";
import { didYouMean } from "./suggest.js";

/**
 * Request fields a condition can test. `domain` and `destination` are the seed
 * pages' names for the host of a network request; `context.*` and `arguments.*`
 * reach into free-form request data.
 */
const FIELD_ALIASES: Record<string, string> = {
  path: "path",
  host: "host",
  domain: "host",
  destination: "host",
  url: "url",
  port: "port",
  scheme: "scheme",
  method: "method",
  command: "command",
  key: "key",
  server: "server",
  tool: "tool",
  agent: "agent",
};

const FIELDS_BY_ACTION: Record<string, readonly string[]> = {
  "file.read": ["path"],
  "file.write": ["path"],
  "file.delete": ["path"],
  "shell.execute": ["command"],
  "network.request": ["url", "host", "port", "scheme", "method"],
  "env.read": ["key"],
  "mcp.call": ["server", "tool", "arguments"],
};

export type FieldResult = { ok: true; field: string } | { ok: false; message: string; help?: string };

const DOTTED = /^(context|arguments)(\.[A-Za-z0-9_-]+)+$/;

export function canonicalField(name: string): FieldResult {
  const f = FIELD_ALIASES[name];
  if (f) return { ok: true, field: f };
  if (DOTTED.test(name)) return { ok: true, field: name };
  return {
    ok: false,
    message: `unknown field \`${name}\``,
    help: didYouMean(name, Object.keys(FIELD_ALIASES)) ?? "fields: " + Object.keys(FIELD_ALIASES).join(", ") + ", context.<key>, arguments.<key>",
  };
}

/** Can a request for `action` (canonical, or a wildcard pattern) carry `field`? */
export function fieldApplies(field: string, action: string): boolean {
  if (field === "agent" || field.startsWith("context.")) return true;
  if (!isBuiltinAction(action)) return true; // `*`, `file.*`, custom actions
  const root = field.split(".")[0]!;
  return FIELDS_BY_ACTION[action]!.includes(root);
}
