import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * SHA-256. The policy digest uses WebCrypto (present in Workers, Lambda and
 * Node 20+); the audit chain hashes one record at a time in sequence, where
 * WebCrypto's promise per call costs ~57 µs in Node against ~3 µs for the
 * audited pure-JS implementation, which also runs everywhere.
 */
export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return bytesToHex(new Uint8Array(digest));
}

const encoder = new TextEncoder();

export function sha256HexSync(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === "string" ? encoder.encode(data) : data));
}
