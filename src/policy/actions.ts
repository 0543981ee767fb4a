import { ACTION_SCHEMA, isBuiltinAction } from "./action-schema.js";
import { didYouMean } from "./suggest.js";

export { isBuiltinAction, type BuiltinAction } from "./action-schema.js";

/** The built-in actions, in their one canonical dotted spelling, with the fields a request for each must carry. */
export const BUILTIN_ACTIONS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(ACTION_SCHEMA).map(([a, spec]) => [
    a,
    Object.entries(spec.fields as Record<string, { required?: boolean }>)
      .filter(([, f]) => f.required)
      .map(([n]) => n),
  ]),
);

/** Every spelling seen in the wild, mapped to the canonical name. */
const ALIASES: Record<string, string> = {
  "process.exec": "shell.execute",
  "process.execute": "shell.execute",
  "shell.exec": "shell.execute",
  "shell.run": "shell.execute",
  "command.execute": "shell.execute",
  "network.fetch": "network.request",
  "http.request": "network.request",
  "env.get": "env.read",
  "mcp.tool": "mcp.call",
  "mcp.tool_call": "mcp.call",
};

const NAMESPACES = new Set(Object.keys(BUILTIN_ACTIONS).map((a) => a.split(".")[0]!));
const SEGMENT = /^[a-z][a-z0-9_-]*$/;

export type ActionParse = { ok: true; action: string; wildcard: boolean } | { ok: false; message: string; help?: string };

/**
 * `file:read`, `file_read`, `FILE.READ` and `file.read` are one action. Because
 * `_` also appears inside custom names (`payments.refund_all`), only the first
 * `_` of an underscore-only spelling is read as the separator.
 */
// Requests repeat a handful of action names; parsing each once keeps the hot path cheap.
const CACHE = new Map<string, ActionParse>();
const MAX_CACHE = 1024;

export function canonicalAction(raw: string): ActionParse {
  let r = CACHE.get(raw);
  if (r === undefined) {
    r = parseAction(raw);
    if (CACHE.size < MAX_CACHE) CACHE.set(raw, r);
  }
  return r;
}

function parseAction(raw: string): ActionParse {
  const s = raw.trim().toLowerCase();
  if (s === "*") return { ok: true, action: "*", wildcard: true };
  let dotted: string;
  if (s.includes(":")) dotted = s.replaceAll(":", ".");
  else if (s.includes(".")) dotted = s;
  else if (s.includes("_")) dotted = s.replace("_", ".");
  else dotted = s;
  if (Object.hasOwn(ALIASES, dotted)) dotted = ALIASES[dotted]!;
  const segments = dotted.split(".");
  if (segments.length < 2) {
    return {
      ok: false,
      message: `action \`${raw}\` has no namespace`,
      help: didYouMean(raw, allSpellings()) ?? "actions are `namespace.verb`, e.g. `file.read` or `payments.charge`",
    };
  }
  const last = segments.length - 1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === "*" && i === last) return { ok: true, action: dotted, wildcard: true };
    if (!SEGMENT.test(seg)) return { ok: false, message: `action \`${raw}\` is not a valid action name` };
  }
  if (isBuiltinAction(dotted)) return { ok: true, action: dotted, wildcard: false };
  // A known namespace with an unknown verb, or a near-miss of a known action, is a typo:
  // a rule that silently never matches would turn an intended deny into a default.
  const hint = didYouMean(dotted, allSpellings());
  if (NAMESPACES.has(segments[0]!) || hint) {
    return {
      ok: false,
      message: `unknown action \`${raw}\``,
      help:
        hint ??
        `known \`${segments[0]}\` actions: ${Object.keys(BUILTIN_ACTIONS)
          .filter((a) => a.startsWith(segments[0] + "."))
          .join(", ")}`,
    };
  }
  return { ok: true, action: dotted, wildcard: false };
}

function allSpellings(): string[] {
  return [...Object.keys(BUILTIN_ACTIONS), ...Object.keys(ALIASES)];
}
