/**
 * Keys of an MCP message that one server's JSON reader takes for another key.
 * The proxy decides on the exact keys and forwards the client's text as it
 * is, so where the server reads a key differently it runs what was not
 * decided:
 *
 * - Go's encoding/json matches struct fields case-insensitively (and folds
 *   `ſ` U+017F to `s`, `K` U+212A to `k`), the last of several spellings
 *   winning: `{"method":"tools/list","METHOD":"tools/call"}` is a listing to
 *   us and a tool call to it, and a response with a `Method` is a request to
 *   it (go-sdk before 1.3.1, CVE-2026-27896; mcp-go and hand-written Go
 *   servers still read this way);
 * - C readers (cJSON) end a key at a NUL: `"method\u0000"` is `method`.
 *
 * So, refused: two keys of one object that are equal after case folding, a
 * key with a NUL, and a lone other spelling of a key the proxy reads (the
 * JSON-RPC members, `params.name/arguments/uri`, the file paths of the
 * filesystem tools' arguments), which we would read as missing.
 */
const fold = (k: string): string => k.toUpperCase().toLowerCase();

const ENVELOPE = ["jsonrpc", "id", "method", "params", "result", "error"];
const PARAMS = ["name", "arguments", "uri"];
const ARGUMENTS = ["path", "paths", "source", "destination"];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export interface KeySpellingProblem {
  field: string;
  reason: string;
}

export function mcpKeySpellingProblem(message: Record<string, unknown>): KeySpellingProblem | undefined {
  const params = message.params;
  const args = isObject(params) ? params.arguments : undefined;
  return (
    variantOf(message, ENVELOPE, "") ??
    (isObject(params) ? variantOf(params, PARAMS, "params.") : undefined) ??
    (isObject(args) ? variantOf(args, ARGUMENTS, "params.arguments.") : undefined) ??
    anywhere(message, "")
  );
}

/** A key spelled otherwise than one of `known` that folds to it. */
function variantOf(o: Record<string, unknown>, known: string[], at: string): KeySpellingProblem | undefined {
  for (const key of Object.keys(o)) {
    const k = known.find((name) => name !== key && fold(name) === fold(key));
    if (k !== undefined)
      return {
        field: at + key,
        reason: `key \`${at}${key}\` is \`${k}\` to a case-insensitive JSON reader (Go's encoding/json); spell it \`${k}\``,
      };
  }
  return undefined;
}

/** Case-fold twins and NUL keys, at any depth (tool arguments are decoded into structs too). */
function anywhere(v: unknown, at: string): KeySpellingProblem | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = anywhere(v[i], `${at}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(v)) {
    if (key.includes("\0")) return { field: at + key, reason: `key ${JSON.stringify(at + key)} has a NUL, where a C JSON reader ends it; remove it` };
    const twin = seen.get(fold(key));
    if (twin !== undefined)
      return {
        field: at + key,
        reason: `keys \`${at}${twin}\` and \`${at}${key}\` are one key to a case-insensitive JSON reader (Go's encoding/json), which takes the last; send one of them`,
      };
    seen.set(fold(key), key);
    const p = anywhere(value, `${at}${key}.`);
    if (p) return p;
  }
  return undefined;
}
