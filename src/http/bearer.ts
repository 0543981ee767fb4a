import { sha256HexSync } from "../crypto/sha256.js";

/**
 * `Authorization: Bearer <token>` against the configured tokens, and who the
 * token says the caller is. A token may name an agent (`ci-bot:token1` in
 * SAFECLAW_API_TOKENS): then that name is the caller's identity, not whatever
 * the request body claims. A plain token authenticates without naming anyone.
 *
 * Both sides are hashed first so the comparison always runs over 64
 * characters, whatever the length of the token sent, and every configured
 * token is compared (no early exit): timing tells neither whether a prefix
 * was right nor which token matched.
 */
export interface ApiToken {
  token: string;
  /** the agent identity this token stands for; absent: the body's `agent` stands (self-asserted) */
  agent?: string;
}

export type BearerResult = { ok: true; agent?: string } | { ok: false };

export type BearerCheck = (header: string | undefined) => BearerResult;

/** A checker over the configured tokens (plain strings are tokens without a name), hashed once. */
export function bearerCheck(tokens: readonly (string | ApiToken)[]): BearerCheck {
  const known = tokens.map((t) => (typeof t === "string" ? { hash: sha256HexSync(t), agent: undefined } : { hash: sha256HexSync(t.token), agent: t.agent }));
  return (header) => {
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return { ok: false };
    const given = sha256HexSync(m[1]!);
    let hit: (typeof known)[number] | undefined;
    for (const k of known) {
      const eq = constantTimeEqual(given, k.hash);
      hit = eq ? k : hit;
    }
    if (!hit) return { ok: false };
    return hit.agent === undefined ? { ok: true } : { ok: true, agent: hit.agent };
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
