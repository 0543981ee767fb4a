import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256HexSync } from "../crypto/sha256.js";
import { GENESIS_PREV, type AuditRecord, type ChainLink, type RecordBody } from "./record.js";

/** hash = SHA-256 of the canonical JSON of the record without its own `hash`. */
export function recordHash(r: Omit<ChainLink, "hash"> & Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = r as Record<string, unknown>;
  return sha256HexSync(canonicalJson(rest));
}

/**
 * One instance's chain. Appending is synchronous (pure-JS SHA-256), so a
 * record's place in the chain is fixed the moment the decision is made, in the
 * order decisions were made.
 */
export class Chain {
  private seq = 0;
  private head = GENESIS_PREV;

  constructor(
    readonly id: string,
    private readonly clock: () => number,
  ) {}

  append<T extends AuditRecord>(body: RecordBody<T>): T {
    const link = { v: 1 as const, chain: this.id, seq: this.seq + 1, time: new Date(this.clock()).toISOString(), prev: this.head };
    const draft = { ...link, ...body } as unknown as T;
    draft.hash = recordHash(draft as unknown as Omit<ChainLink, "hash"> & Record<string, unknown>);
    this.seq = draft.seq;
    this.head = draft.hash;
    return draft;
  }

  get last(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.head };
  }
}
