import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256HexSync } from "../crypto/sha256.js";

/**
 * What makes two requests "the same request" for an approval: every field the
 * policy can see, as sent (with `agent` as the bearer token proves it), except
 * the ones that only say which call this is. `id` is the caller's correlation
 * id, `approval`/`grant` are how the retry names the approval, and a Claude
 * Code session and tool-use id change on every attempt by design. Everything
 * else counts, spelling included: `rm -rf build` and `rm -rf ./build` are
 * different requests to approve, so an approver sees exactly what will run.
 */
const NOT_IDENTITY = new Set(["id", "approval", "grant"]);
const CONTEXT_NOT_IDENTITY = new Set(["session_id", "tool_use_id"]);

export function requestIdentity(request: Readonly<Record<string, unknown>>): Record<string, unknown> {
  // Built with Object.fromEntries, which defines every key as data: an own `__proto__` (a field the policy can test) stays in the identity.
  const entries: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(request)) {
    if (NOT_IDENTITY.has(k)) continue;
    if (k === "context" && v !== null && typeof v === "object" && !Array.isArray(v)) {
      const ctx = Object.entries(v).filter(([ck]) => !CONTEXT_NOT_IDENTITY.has(ck));
      if (ctx.length > 0) entries.push([k, Object.fromEntries(ctx)]);
      continue;
    }
    entries.push([k, v]);
  }
  return Object.fromEntries(entries);
}

/**
 * sha256 hex of the canonical JSON (RFC 8785) of the request's identity and
 * the rule that asks for approval: the same request asked for by another
 * rule (the policy tells them apart by a field the identity leaves out) is
 * another approval, with a reason of its own for the approver.
 */
export function requestHash(request: Readonly<Record<string, unknown>>, rule: string | null): string {
  return sha256HexSync(canonicalJson({ request: requestIdentity(request), rule }));
}
