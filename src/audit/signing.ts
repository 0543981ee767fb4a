import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256HexSync } from "../crypto/sha256.js";
import type { Checkpoint } from "./record.js";

// @noble/ed25519 is synchronous once given a SHA-512; the same code signs in Workers, Lambda and Node.
ed.hashes.sha512 = sha512;

/**
 * Ed25519 keys travel as base64 of their 32 raw bytes: the secret key in
 * SAFECLAW_AUDIT_SIGNING_KEY, the public key given to whoever verifies.
 */
export interface SigningKey {
  secret: Uint8Array;
  publicKey: Uint8Array;
  id: string;
}

export function generateSigningKey(): { secret: string; publicKey: string } {
  const secret = ed.utils.randomSecretKey();
  return { secret: toBase64(secret), publicKey: toBase64(ed.getPublicKey(secret)) };
}

export function parseSigningKey(b64: string): SigningKey {
  const secret = fromBase64(b64.trim(), "signing key");
  if (secret.length !== 32) throw new Error("signing key must be 32 bytes of base64 (as printed by `safeclaw audit keygen`)");
  const publicKey = ed.getPublicKey(secret);
  return { secret, publicKey, id: keyId(publicKey) };
}

export function parsePublicKey(b64: string): { publicKey: Uint8Array; id: string } {
  const publicKey = fromBase64(b64.trim(), "public key");
  if (publicKey.length !== 32) throw new Error("public key must be 32 bytes of base64 (as printed by `safeclaw audit keygen`)");
  return { publicKey, id: keyId(publicKey) };
}

export function keyId(publicKey: Uint8Array): string {
  return sha256HexSync(publicKey).slice(0, 16);
}

const encoder = new TextEncoder();

function signedBytes(cp: Checkpoint): Uint8Array {
  const { sig: _sig, ...rest } = cp;
  return encoder.encode(canonicalJson(rest));
}

export function signCheckpoint(cp: Checkpoint, key: SigningKey): Checkpoint {
  const out: Checkpoint = { ...cp, key: key.id };
  out.sig = toBase64(ed.sign(signedBytes(out), key.secret));
  return out;
}

export function checkpointSignatureValid(cp: Checkpoint, publicKey: Uint8Array): boolean {
  if (typeof cp.sig !== "string") return false;
  try {
    return ed.verify(fromBase64(cp.sig, "signature"), signedBytes(cp), publicKey);
  } catch {
    return false;
  }
}

export function toBase64(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function fromBase64(s: string, what: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new Error(`${what} is not valid base64`);
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
