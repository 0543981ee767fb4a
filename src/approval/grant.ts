import * as ed from "@noble/ed25519";
import { fromBase64, keyId, toBase64, type SigningKey } from "../audit/signing.js";

/**
 * A grant: an approval in a form any region can check without asking a store.
 * `sc1.<payload>.<signature>`, both base64url: the payload is JSON
 * `{v:1, id, h, r, by, exp, kid}` (approval id, request hash, the rule that
 * asked for approval, approver, expiry in epoch ms, signing key id) and the signature is Ed25519 over the bytes
 * `sc1.<payload>`. Whoever holds the public key accepts it for the request
 * whose hash it names until `exp`; single use is enforced where a store is
 * (a mark per approval id until `exp`), and bounded by `exp` elsewhere.
 */
export interface GrantClaims {
  v: 1;
  /** approval id */
  id: string;
  /** request hash */
  h: string;
  /** the rule that asked for the approval (null: the policy's default) */
  r: string | null;
  by: string;
  /** epoch ms */
  exp: number;
  kid: string;
}

const PREFIX = "sc1.";
const MAX_GRANT_LENGTH = 2048;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function signGrant(claims: Omit<GrantClaims, "v" | "kid">, key: SigningKey): string {
  const full: GrantClaims = { v: 1, id: claims.id, h: claims.h, r: claims.r, by: claims.by, exp: claims.exp, kid: key.id };
  const payload = b64url(encoder.encode(JSON.stringify(full)));
  const sig = ed.sign(encoder.encode(PREFIX + payload), key.secret);
  return `${PREFIX}${payload}.${b64url(sig)}`;
}

export type GrantCheck = { ok: true; claims: GrantClaims } | { ok: false; problem: string };

/**
 * Checks a grant's form, key, signature and expiry (the request hash and
 * single use are the caller's). Every failure names what is wrong, never
 * what would have been right (no key material, no expected hash).
 */
export function verifyGrant(token: string, keys: ReadonlyMap<string, Uint8Array>, nowMs: number): GrantCheck {
  if (token.length > MAX_GRANT_LENGTH) return { ok: false, problem: `the grant is longer than ${MAX_GRANT_LENGTH} characters` };
  const parts = token.split(".");
  if (parts.length !== 3 || `${parts[0]}.` !== PREFIX || !/^[A-Za-z0-9_-]+$/.test(parts[1]!) || !/^[A-Za-z0-9_-]+$/.test(parts[2]!)) {
    return { ok: false, problem: "the grant is not of the form sc1.<payload>.<signature>" };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(decoder.decode(fromB64url(parts[1]!)));
  } catch {
    return { ok: false, problem: "the grant's payload is not JSON" };
  }
  if (!isClaims(claims)) return { ok: false, problem: "the grant's payload is not a version-1 grant" };
  const publicKey = keys.get(claims.kid);
  if (!publicKey) return { ok: false, problem: `the grant is signed with key ${claims.kid}, which this deployment does not accept` };
  let valid = false;
  try {
    valid = ed.verify(fromB64url(parts[2]!), encoder.encode(PREFIX + parts[1]!), publicKey);
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, problem: "the grant's signature is not valid" };
  if (claims.exp <= nowMs) return { ok: false, problem: `the grant expired at ${new Date(claims.exp).toISOString()}` };
  return { ok: true, claims };
}

/** The keys grants are accepted from, by key id: the deployment's own and any listed public keys. */
export function grantKeys(signing: SigningKey | undefined, publicKeys: readonly Uint8Array[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (signing) out.set(signing.id, signing.publicKey);
  for (const k of publicKeys) out.set(keyId(k), k);
  return out;
}

function isClaims(c: unknown): c is GrantClaims {
  if (c === null || typeof c !== "object" || Array.isArray(c)) return false;
  const o = c as Record<string, unknown>;
  return (
    o.v === 1 &&
    typeof o.id === "string" &&
    typeof o.h === "string" &&
    /^[0-9a-f]{64}$/.test(o.h) &&
    (o.r === null || typeof o.r === "string") &&
    typeof o.by === "string" &&
    typeof o.exp === "number" &&
    Number.isSafeInteger(o.exp) &&
    typeof o.kid === "string"
  );
}

function b64url(b: Uint8Array): string {
  return toBase64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(std + "=".repeat((4 - (std.length % 4)) % 4), "grant");
}
