import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256HexSync } from "../crypto/sha256.js";
import { GENESIS_PREV, type AuditRecord, type ChainLink, type RecordBody } from "./record.js";
import { recordText } from "./record-text.js";

/** A synchronous SHA-256 of a string's UTF-8 bytes, in lowercase hex. */
export type Sha256Hex = (text: string) => string;

/** hash = SHA-256 of the canonical JSON of the record without its own `hash` (the reference implementations: the verifier's). */
export function recordHash(r: Omit<ChainLink, "hash"> & Record<string, unknown>): string {
  if (!("hash" in r)) return sha256HexSync(canonicalJson(r));
  const { hash: _ignored, ...rest } = r as Record<string, unknown>;
  return sha256HexSync(canonicalJson(rest));
}

/**
 * One instance's chain. Appending is synchronous (pure-JS SHA-256 by default;
 * Node passes its native one, the same function several times faster), so a
 * record's place in the chain is fixed the moment the decision is made, in the
 * order decisions were made. The text hashed is the record's canonical JSON
 * (record-text.ts: the reference algorithm, written for speed).
 */
export class Chain {
  private seq = 0;
  private head = GENESIS_PREV;
  /** size of the last appended record's line, about: what the audit queue's byte bound counts */
  lastBytes = 0;

  constructor(
    readonly id: string,
    private readonly clock: () => number,
    private readonly sha256: Sha256Hex = sha256HexSync,
  ) {}

  append<T extends AuditRecord>(body: RecordBody<T>): T {
    const draft = body as unknown as Record<string, unknown>;
    draft.v = 1;
    draft.chain = this.id;
    draft.seq = this.seq + 1;
    draft.time = this.isoNow();
    draft.prev = this.head;
    // The body is taken over (not copied): it is built for this call and hashed without `hash`.
    const text = recordText(draft);
    const hash = this.sha256(text);
    draft.hash = hash;
    this.lastBytes = text.length + 80; // the line as written: canonical text plus `"hash":"<64 hex>"`
    this.seq = draft.seq as number;
    this.head = hash;
    return draft as unknown as T;
  }

  private lastMs = -1;
  private lastIso = "";

  private isoNow(): string {
    const ms = this.clock();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  get last(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.head };
  }
}
