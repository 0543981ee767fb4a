import { recordHash } from "./chain.js";
import { OCSF_PRODUCT_NAME, ocsfAgreesWithRecord } from "./ocsf.js";
import { parseStrictJson } from "../request/strict-json.js";
import { GENESIS_PREV, type AuditRecord, type Checkpoint, type ChainLink } from "./record.js";
import { checkpointSignatureValid } from "./signing.js";

/**
 * Checks every chain found in a stream of lines: each record's hash, the `prev`
 * links, gap-free `seq`, checkpoints (head and signature), and restarts that
 * name the chain they follow. Lines wrapped by a log drain (`{"message": "..."}`)
 * and OCSF lines (`unmapped.safeclaw`) are unwrapped; other lines are skipped
 * and counted. Stops at the first break and says where and what.
 */
export type ProblemKind = "edited" | "missing" | "reordered" | "duplicated" | "truncated" | "bad-signature" | "unsigned" | "malformed";

export interface VerifyProblem {
  kind: ProblemKind;
  chain: string;
  seq?: number;
  where: string;
  message: string;
}

export interface ChainSummary {
  chain: string;
  records: number;
  firstSeq: number;
  lastSeq: number;
  firstTime: string;
  lastTime: string;
  checkpoints: number;
  /** last checkpoint whose signature was checked against the public key */
  lastSignedSeq?: number;
}

export interface VerifyReport {
  ok: boolean;
  chains: ChainSummary[];
  problem?: VerifyProblem;
  /** lines that were not audit lines (other log output) */
  skipped: number;
  /** checkpoints carrying a signature that no public key was given to check */
  unverifiedSignatures: number;
}

export interface Line {
  text: string;
  where: string;
}

export interface VerifyOptions {
  publicKey?: Uint8Array;
  /** check only the last N records of each chain (their first `prev` is taken on trust) */
  last?: number;
}

interface State {
  summary: ChainSummary;
  expected: number;
  head: string;
  hashes: Map<number, string>;
  /** records before this index (per chain) are skipped under --last */
  skipBefore: number;
  seen: number;
}

/** `edited`: the line's outer fields (an OCSF event) disagree with the record or checkpoint it carries. */
type Parsed =
  | { kind: "record"; r: AuditRecord; edited?: string }
  | { kind: "checkpoint"; c: Checkpoint; edited?: string }
  | { kind: "other" }
  | { kind: "malformed"; message: string };

export function parseAuditLine(text: string): Parsed {
  let v: unknown;
  let edited: string | undefined;
  // Read strictly: a duplicated key (`"decision":"allow","decision":"deny"`) hashes as its
  // last value and reads as its first to other consumers, so such a line was edited.
  const strict = parseStrictJson(text);
  if (strict.ok) v = strict.value;
  else if (strict.problem === "syntax") return { kind: "other" };
  else {
    v = JSON.parse(text);
    edited = `the line is JSON with more than one reading (${strict.message}): it was edited`;
  }
  for (let depth = 0; depth < 3 && v !== null && typeof v === "object"; depth++) {
    const o = v as Record<string, unknown>;
    if (o.v === 1 && typeof o.chain === "string") {
      if (o.type === "checkpoint") {
        if (typeof o.seq !== "number" || typeof o.head !== "string") return { kind: "malformed", message: "checkpoint without seq/head" };
        return edited ? { kind: "checkpoint", c: o as unknown as Checkpoint, edited } : { kind: "checkpoint", c: o as unknown as Checkpoint };
      }
      if (typeof o.seq !== "number" || typeof o.hash !== "string" || typeof o.prev !== "string")
        return { kind: "malformed", message: "record without seq/prev/hash" };
      return edited ? { kind: "record", r: o as unknown as AuditRecord, edited } : { kind: "record", r: o as unknown as AuditRecord };
    }
    const unmapped = (o.unmapped as Record<string, unknown> | undefined)?.safeclaw;
    if (unmapped !== undefined) {
      // A SIEM reads the OCSF fields, the chain covers only the record inside: an
      // event whose fields no longer say what its record says was edited.
      if (!ocsfAgreesWithRecord(o)) edited = "the OCSF event's fields do not match the record it carries: the event was edited";
      v = unmapped;
    } else if (typeof o.type === "string" && RECORD_TYPES.has(o.type)) {
      // Shaped like a record, without what makes one (chain, seq, prev, hash): a forgery, not other output.
      return { kind: "malformed", message: `a \`${o.type}\` line without v/chain/seq/hash: not a record of any chain (a forged or damaged line)` };
    } else if (o.class_uid === 6003 && (o.metadata as { product?: { name?: unknown } } | undefined)?.product?.name === OCSF_PRODUCT_NAME) {
      return { kind: "malformed", message: "an OCSF event of this product without the record it must carry (unmapped.safeclaw): a forged or damaged line" };
    } else if (typeof o.message === "string" || typeof o.log === "string") {
      // A log drain's wrapper: the original line is inside, read as strictly.
      const inner = parseStrictJson((typeof o.message === "string" ? o.message : o.log) as string);
      if (inner.ok) v = inner.value;
      else if (inner.problem === "syntax") return { kind: "other" };
      else {
        v = JSON.parse((typeof o.message === "string" ? o.message : o.log) as string);
        edited ??= `the line is JSON with more than one reading (${inner.message}): it was edited`;
      }
    } else return { kind: "other" };
  }
  return { kind: "other" };
}

const RECORD_TYPES: ReadonlySet<string> = new Set(["decision", "chain-start", "notice", "checkpoint"]);

export function verifyLines(lines: readonly Line[], opts: VerifyOptions = {}): VerifyReport {
  const parsed = lines.map((l) => ({ line: l, p: parseAuditLine(l.text) }));
  const totals = new Map<string, number>();
  for (const { p } of parsed) if (p.kind === "record") totals.set(p.r.chain, (totals.get(p.r.chain) ?? 0) + 1);

  const chains = new Map<string, State>();
  const report: VerifyReport = { ok: true, chains: [], skipped: 0, unverifiedSignatures: 0 };
  const previousRefs: Array<{ ref: { chain: string; seq: number; hash: string }; by: string; where: string }> = [];
  const fail = (problem: VerifyProblem): VerifyReport => {
    report.ok = false;
    report.problem = problem;
    report.chains = [...chains.values()].map((s) => s.summary);
    return report;
  };

  for (const { line, p } of parsed) {
    if (p.kind === "other") {
      report.skipped++;
      continue;
    }
    if (p.kind === "malformed") return fail({ kind: "malformed", chain: "?", where: line.where, message: p.message });
    if ((p.kind === "record" || p.kind === "checkpoint") && p.edited) {
      const link = p.kind === "record" ? p.r : p.c;
      return fail({ kind: "edited", chain: link.chain, seq: link.seq, where: line.where, message: `seq ${link.seq}: ${p.edited}` });
    }
    if (p.kind === "checkpoint") {
      const c = p.c;
      const s = chains.get(c.chain);
      if (opts.last !== undefined && (!s || c.seq < s.summary.firstSeq)) continue;
      if (!s)
        return fail({
          kind: "truncated",
          chain: c.chain,
          seq: c.seq,
          where: line.where,
          message: `checkpoint for seq ${c.seq} but no record of chain ${c.chain} precedes it: records deleted`,
        });
      if (c.seq > s.summary.lastSeq) {
        return fail({
          kind: "truncated",
          chain: c.chain,
          seq: c.seq,
          where: line.where,
          message: `checkpoint vouches for seq ${c.seq} but the records stop at seq ${s.summary.lastSeq}: records ${s.summary.lastSeq + 1}-${c.seq} were deleted`,
        });
      }
      const h = s.hashes.get(c.seq);
      if (h !== c.head)
        return fail({
          kind: "edited",
          chain: c.chain,
          seq: c.seq,
          where: line.where,
          message: `checkpoint head for seq ${c.seq} does not match the record's hash: the record or the checkpoint was altered`,
        });
      if (opts.publicKey) {
        if (c.sig === undefined)
          return fail({ kind: "unsigned", chain: c.chain, seq: c.seq, where: line.where, message: "checkpoint is not signed but a public key was given" });
        if (!checkpointSignatureValid(c, opts.publicKey))
          return fail({
            kind: "bad-signature",
            chain: c.chain,
            seq: c.seq,
            where: line.where,
            message: "checkpoint signature does not verify with the given public key: the trail was rewritten or signed by another key",
          });
        s.summary.lastSignedSeq = c.seq;
      } else if (c.sig !== undefined) report.unverifiedSignatures++;
      s.summary.checkpoints++;
      continue;
    }
    const r = p.r;
    let s = chains.get(r.chain);
    if (!s) {
      const total = totals.get(r.chain) ?? 0;
      s = {
        summary: { chain: r.chain, records: 0, firstSeq: r.seq, lastSeq: r.seq - 1, firstTime: r.time, lastTime: r.time, checkpoints: 0 },
        expected: r.seq,
        head: r.prev,
        hashes: new Map(),
        skipBefore: opts.last !== undefined ? Math.max(0, total - opts.last) : 0,
        seen: 0,
      };
      chains.set(r.chain, s);
      if (s.skipBefore === 0 && opts.last === undefined) {
        if (r.seq !== 1)
          return fail({
            kind: "missing",
            chain: r.chain,
            seq: r.seq,
            where: line.where,
            message: `chain starts at seq ${r.seq}: records 1-${r.seq - 1} are missing`,
          });
        if (r.prev !== GENESIS_PREV)
          return fail({ kind: "edited", chain: r.chain, seq: 1, where: line.where, message: "first record's prev is not the genesis value" });
      }
    }
    s.seen++;
    if (s.seen <= s.skipBefore) {
      s.expected = r.seq + 1;
      s.head = r.hash;
      s.summary.firstSeq = r.seq + 1;
      s.summary.lastSeq = r.seq;
      s.hashes.set(r.seq, r.hash);
      continue;
    }
    if (recordHash(r as unknown as Omit<ChainLink, "hash"> & Record<string, unknown>) !== r.hash) {
      return fail({
        kind: "edited",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `record ${r.seq} does not hash to its \`hash\`: its content was altered`,
      });
    }
    if (r.seq < s.expected) {
      const kind = s.hashes.get(r.seq) === r.hash ? "duplicated" : "reordered";
      return fail({
        kind,
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message:
          kind === "duplicated"
            ? `record ${r.seq} appears twice`
            : `record ${r.seq} appears after record ${s.expected - 1}: records are out of order or replaced`,
      });
    }
    if (r.seq > s.expected) {
      return fail({
        kind: "missing",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `records ${s.expected}-${r.seq - 1} are missing before record ${r.seq}`,
      });
    }
    if (r.prev !== s.head) {
      return fail({
        kind: "edited",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `record ${r.seq} does not link to record ${r.seq - 1} (prev differs): a record was replaced`,
      });
    }
    s.expected = r.seq + 1;
    s.head = r.hash;
    s.hashes.set(r.seq, r.hash);
    s.summary.records++;
    s.summary.lastSeq = r.seq;
    s.summary.lastTime = r.time;
    if (r.type === "chain-start" && r.previous) previousRefs.push({ ref: r.previous, by: r.chain, where: line.where });
  }

  // A restarted instance names the head it followed: the earlier chain must reach it.
  for (const { ref, by, where } of previousRefs) {
    const s = chains.get(ref.chain);
    if (!s) continue;
    if (s.summary.lastSeq < ref.seq) {
      return fail({
        kind: "truncated",
        chain: ref.chain,
        seq: ref.seq,
        where,
        message: `chain ${by} continues chain ${ref.chain} from seq ${ref.seq}, but that chain ends at seq ${s.summary.lastSeq}: its tail was deleted`,
      });
    }
    if (s.hashes.get(ref.seq) !== ref.hash) {
      return fail({
        kind: "edited",
        chain: ref.chain,
        seq: ref.seq,
        where,
        message: `chain ${by} continues chain ${ref.chain} at seq ${ref.seq} with a different hash: the earlier chain was rewritten`,
      });
    }
  }
  if (opts.publicKey) {
    for (const s of chains.values()) {
      if (s.summary.records > 0 && (s.summary.lastSignedSeq ?? 0) < s.summary.lastSeq) {
        return fail({
          kind: "unsigned",
          chain: s.summary.chain,
          seq: s.summary.lastSeq,
          where: "(end)",
          message: `records ${(s.summary.lastSignedSeq ?? s.summary.firstSeq - 1) + 1}-${s.summary.lastSeq} are not covered by a signed checkpoint`,
        });
      }
    }
  }
  report.chains = [...chains.values()].map((s) => s.summary);
  return report;
}
