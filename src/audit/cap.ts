import { sha256HexSync } from "../crypto/sha256.js";

/**
 * Long fields are capped, never silently cut: the kept prefix is followed by a
 * marker with the full length and the SHA-256 of the full (redacted) value, so
 * a responder can still prove which command was attempted.
 */
export const MAX_FIELD_CHARS = 2048;

export function cap(s: string, max = MAX_FIELD_CHARS): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}…[capped: ${s.length} chars, sha256:${sha256HexSync(s)}]`;
}
