import { didYouMean } from "./suggest.js";

/**
 * The built-in actions, in their one canonical dotted spelling, and the fields a
 * request for each must carry. Custom namespaced actions (`payments.charge`) are
 * allowed too; they have no required fields.
 */
export const BUILTIN_ACTIONS = {
  "file.read": ["path"],
  "file.write": ["path"],
  "file.delete": ["path"],
  "shell.execute": ["command"],
  "network.request": [],
  "env.read": ["key"],
  "mcp.call": ["server", "tool"],
} as const satisfies Record<string, readonly string[]>;

export type BuiltinAction = keyof typeof BUILTIN_ACTIONS;

export function isBuiltinAction(a: string): a is BuiltinAction {
  return Object.hasOwn(BUILTIN_ACTIONS, a);
}

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

export type ActionParse =
  | { ok: true; action: string; wildcard: boolean }
  | { ok: false; message: string; help?: string };

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
  dotted = ALIASES[dotted] ?? dotted;
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
      help: hint ?? `known \`${segments[0]}\` actions: ${Object.keys(BUILTIN_ACTIONS).filter((a) => a.startsWith(segments[0] + ".")).join(", ")}`,
    };
  }
  return { ok: true, action: dotted, wildcard: false };
}

function allSpellings(): string[] {
  return [...Object.keys(BUILTIN_ACTIONS), ...Object.keys(ALIASES)];
}

/** Does an action pattern (`*`, `file.*`, `file.read`) cover a canonical action? */
export function actionPatternMatches(pattern: string, action: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return action.startsWith(pattern.slice(0, -1));
  return pattern === action;
}
