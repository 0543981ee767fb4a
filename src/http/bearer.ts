import { sha256HexSync } from "../crypto/sha256.js";

/**
 * `Authorization: Bearer <token>` against the configured tokens. Both sides are
 * hashed first so the comparison always runs over 64 characters, whatever the
 * length of the token sent, and every token is compared (no early exit).
 */
export async function bearerAuthorized(header: string | undefined, tokens: readonly string[]): Promise<boolean> {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const given = sha256HexSync(m[1]!);
  let ok = false;
  for (const t of tokens) ok = constantTimeEqual(given, sha256HexSync(t)) || ok;
  return ok;
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
