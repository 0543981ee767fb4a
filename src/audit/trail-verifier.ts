import { parseAuditLine } from "./audit-line.js";
import { recordHash } from "./chain.js";
import { LastRecords } from "./last-records.js";
import { RecentHashes } from "./recent-hashes.js";
import { GENESIS_PREV, type AuditRecord, type Checkpoint, type ChainLink } from "./record.js";
import { checkpointSignatureValid } from "./signing.js";
import { tornLine, type TornLine } from "./torn-line.js";
import type { ChainSummary, Line, VerifyNote, VerifyOptions, VerifyProblem, VerifyReport } from "./verify.js";

/**
 * The streaming verifier: `push` every line in trail order, then `finish`.
 * See verify.ts for what is checked. Per chain it keeps its head, the seq it
 * expects, its summary, the seq its checkpoints vouch for, and a bounded window
 * of recent hashes; per restart that names a chain not seen yet, that name.
 *
 * Torn lines, and what they may excuse. A record is acknowledged (its request
 * answered) only once a checkpoint covering it is durable, so a write that tore
 * can only have lost records after the chain's last checkpoint, and the writer
 * either retries the same sealed batch (the same records again, then more) or
 * dies. So after a torn line of chain C whose last complete record is K:
 * - C's next record may be K+1, or a re-sent record after C's last checkpoint
 *   whose hash equals the one already read (a retry: adds nothing, hides nothing);
 * - C ending there is a torn tail: a note, exit 0, since no checkpoint vouches for
 *   anything after K (one that does was already reported `truncated` when read).
 * Everything else stays a break, torn line or not: a gap the chain continues past
 * (`missing`), a checkpoint vouching for records that are not there (`truncated`),
 * a later chain's `previous` naming a seq past K (`truncated`), a re-sent record
 * that differs or that a checkpoint already covered, and unsigned records under a
 * public key. A forger who deletes records and leaves a torn-looking line therefore
 * excuses only what no checkpoint vouches for: the trailing unacknowledged
 * batch, which deleting together with its checkpoint already left no trace of
 * (the documented limit a later chain's `previous`, or a signed checkpoint seen
 * elsewhere, closes). A torn line does not make its chain's records count as
 * checkpointed, signed, or continued.
 */
interface ChainState {
  summary: ChainSummary;
  expected: number;
  head: string;
  recent: RecentHashes;
  /** highest seq a verified checkpoint vouches for (0: none yet) */
  checkpointed: number;
  /** the torn line after the last complete record, until the chain continues */
  torn?: { where: string; afterSeq: number; torn: TornLine; offset?: number } | undefined;
  /** records re-sent after the torn line (identical to ones already read) */
  resent: number;
}

interface PreviousRef {
  ref: { chain: string; seq: number; hash: string };
  by: string;
  where: string;
}

/** Options for a replay of buffered tails (`--last`): chains may start mid-way, and chains seen in the whole input count as present. */
interface ReplayOptions {
  trustStart?: boolean;
  knownChains?: ReadonlySet<string>;
}

export class TrailVerifier {
  private readonly chains = new Map<string, ChainState>();
  private readonly waiting = new Map<string, PreviousRef[]>();
  private readonly report: VerifyReport = { ok: true, chains: [], notes: [], skipped: 0, unverifiedSignatures: 0 };
  private readonly trustStart: boolean;
  private readonly last: LastRecords | undefined;
  /**
   * The first look-back past the window, held back while reading goes on: it is not a
   * break, so a break further on must still be found (a forger who plants one line that
   * needs an old hash would otherwise turn any later break into "could not verify").
   */
  private unverifiable: VerifyProblem | undefined;
  private lastChain: string | undefined;
  private finished = false;

  constructor(
    private readonly opts: VerifyOptions = {},
    private readonly replay: ReplayOptions = {},
  ) {
    this.trustStart = replay.trustStart === true || opts.slice === true;
    this.last = opts.last !== undefined && !replay.trustStart ? new LastRecords(opts.last) : undefined;
  }

  /** true once a break is found: the rest of the input need not be read */
  get stopped(): boolean {
    return this.report.problem !== undefined;
  }

  /** true once an audit record has been read: the input is a trail (whatever follows in it is judged as part of one) */
  get readRecords(): boolean {
    return this.chains.size > 0 || (this.last?.chains().length ?? 0) > 0;
  }

  /** Reads one line. After a break, lines are ignored (the first break is the report). */
  push(line: Line): void {
    if (this.report.problem || this.finished) return;
    const p = parseAuditLine(line.text);
    if (p.kind === "other") {
      const torn = p.notJson ? tornLine(line.text, isCompleteAuditLine) : undefined;
      if (!torn) {
        this.report.skipped++;
        return;
      }
      const chain = torn.chain ?? this.lastChain;
      // Under --last the torn part alone is kept: the glued record goes to its own chain's tail below.
      if (this.last) this.last.add(chain ?? "?", torn.glued ? { ...line, text: line.text.slice(0, torn.glued.at) } : line, false);
      else this.tornAt(line, torn, chain);
      if (torn.glued) {
        const offset = line.offset !== undefined ? line.offset + torn.bytes : undefined;
        this.push({ text: torn.glued.text, where: `${line.where} (glued after the torn part)`, ...(offset !== undefined ? { offset } : {}) });
      }
      return;
    }
    if (p.kind === "malformed") return this.fail({ kind: "malformed", chain: "?", where: line.where, message: p.message });
    const link = p.kind === "record" ? p.r : p.c;
    if (p.edited) return this.fail({ kind: "edited", chain: link.chain, seq: link.seq, where: line.where, message: `seq ${link.seq}: ${p.edited}` });
    this.lastChain = link.chain;
    if (this.last) return this.last.add(link.chain, line, p.kind === "record");
    if (p.kind === "checkpoint") this.checkpoint(p.c, line);
    else this.record(p.r, line);
  }

  finish(): VerifyReport {
    if (this.finished) return this.report;
    this.finished = true;
    if (this.last && !this.report.problem) return this.replayLast(this.last);
    if (!this.report.problem) this.resolveWaiting();
    if (!this.report.problem) this.tornTails();
    if (!this.report.problem && this.opts.publicKey) this.requireSigned();
    if (!this.report.problem && this.unverifiable) this.setProblem(this.unverifiable);
    this.report.chains = [...this.chains.values()].map((s) => s.summary);
    return this.report;
  }

  private fail(problem: VerifyProblem): void {
    if (problem.kind === "unverifiable") this.unverifiable ??= problem;
    else this.setProblem(problem);
  }

  private setProblem(problem: VerifyProblem): void {
    this.report.ok = false;
    this.report.problem = problem;
  }

  private note(note: VerifyNote): void {
    this.report.notes.push(note);
  }

  private get source(): string {
    return this.opts.sourceName ?? "the input";
  }

  private tornAt(line: Line, torn: TornLine, chain: string | undefined): void {
    const s = chain !== undefined ? this.chains.get(chain) : undefined;
    const at = line.offset !== undefined ? `${line.where} (byte ${line.offset})` : line.where;
    if (!s) {
      // The first write of a chain tore: none of it was ever acknowledged.
      this.note({
        kind: "torn-tail",
        chain: chain ?? "?",
        where: at,
        message: `a torn line (${torn.bytes} bytes, not complete JSON) ${chain !== undefined ? `of chain ${chain}` : "of no chain named"} before any complete record of it: a first write cut short, nothing in it was acknowledged`,
      });
      return;
    }
    s.torn ??= { where: at, afterSeq: s.summary.lastSeq, torn, ...(line.offset !== undefined ? { offset: line.offset } : {}) };
  }

  private checkpoint(c: Checkpoint, line: Line): void {
    const s = this.chains.get(c.chain);
    // vouches for records before the slice; under --last, only if the chain has records in the input at all
    if (this.trustStart && (s ? c.seq < s.summary.firstSeq : !this.replay.knownChains || this.replay.knownChains.has(c.chain))) return;
    if (!s)
      return this.fail({
        kind: "truncated",
        chain: c.chain,
        seq: c.seq,
        where: line.where,
        message: `checkpoint for seq ${c.seq} but no record of chain ${c.chain} precedes it: records deleted`,
      });
    if (c.seq > s.summary.lastSeq) {
      const torn = s.torn ? ` (they stop at a torn line at ${s.torn.where}, but a checkpoint means they were acknowledged)` : "";
      return this.fail({
        kind: "truncated",
        chain: c.chain,
        seq: c.seq,
        where: line.where,
        message: `checkpoint vouches for seq ${c.seq} but the records stop at seq ${s.summary.lastSeq}: records ${s.summary.lastSeq + 1}-${c.seq} were deleted${torn}`,
      });
    }
    const h = c.seq === s.summary.lastSeq ? s.head : s.recent.get(c.seq);
    if (h === undefined)
      return this.fail({
        kind: "unverifiable",
        chain: c.chain,
        seq: c.seq,
        where: line.where,
        message: `checkpoint for seq ${c.seq} comes ${s.summary.lastSeq - c.seq} records after it, further back than the ${this.opts.window ?? "default"} hashes kept per chain: a writer puts it right after its batch, so the trail was reordered`,
      });
    if (h !== c.head)
      return this.fail({
        kind: "edited",
        chain: c.chain,
        seq: c.seq,
        where: line.where,
        message: `checkpoint head for seq ${c.seq} does not match the record's hash: the record or the checkpoint was altered`,
      });
    if (this.opts.publicKey) {
      if (c.sig === undefined)
        return this.fail({ kind: "unsigned", chain: c.chain, seq: c.seq, where: line.where, message: "checkpoint is not signed but a public key was given" });
      if (!checkpointSignatureValid(c, this.opts.publicKey))
        return this.fail({
          kind: "bad-signature",
          chain: c.chain,
          seq: c.seq,
          where: line.where,
          message: "checkpoint signature does not verify with the given public key: the trail was rewritten or signed by another key",
        });
      s.summary.lastSignedSeq = Math.max(s.summary.lastSignedSeq ?? 0, c.seq);
    } else if (c.sig !== undefined) this.report.unverifiedSignatures++;
    s.summary.checkpoints++;
    if (c.seq > s.checkpointed) {
      s.checkpointed = c.seq;
      s.recent.settle(c.seq);
    }
  }

  private record(r: AuditRecord, line: Line): void {
    let s = this.chains.get(r.chain);
    if (!s) {
      s = {
        summary: { chain: r.chain, records: 0, firstSeq: r.seq, lastSeq: r.seq - 1, firstTime: r.time, lastTime: r.time, checkpoints: 0 },
        expected: r.seq,
        head: r.prev,
        recent: new RecentHashes(this.opts.window),
        checkpointed: 0,
        resent: 0,
      };
      this.chains.set(r.chain, s);
      if (!this.trustStart) {
        if (r.seq !== 1)
          return this.fail({
            kind: "missing",
            chain: r.chain,
            seq: r.seq,
            where: line.where,
            message: `chain starts at seq ${r.seq}: records 1-${r.seq - 1} are missing`,
          });
        if (r.prev !== GENESIS_PREV)
          return this.fail({ kind: "edited", chain: r.chain, seq: 1, where: line.where, message: "first record's prev is not the genesis value" });
      }
    }
    if (recordHash(r as unknown as Omit<ChainLink, "hash"> & Record<string, unknown>) !== r.hash) {
      return this.fail({
        kind: "edited",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `record ${r.seq} does not hash to its \`hash\`: its content was altered`,
      });
    }
    if (r.seq < s.expected) {
      const seen = s.recent.get(r.seq);
      // A retry of the batch that tore: the same records again, none of them acknowledged yet.
      if (s.torn && r.seq > s.checkpointed && seen === r.hash) {
        s.resent++;
        return;
      }
      const torn = s.torn && r.seq > s.checkpointed ? `, after a torn line at ${s.torn.where}` : "";
      if (seen === undefined && s.torn && r.seq > s.checkpointed)
        return this.fail({
          kind: "unverifiable",
          chain: r.chain,
          seq: r.seq,
          where: line.where,
          message: `record ${r.seq} appears again${torn}, further back than the hashes kept per chain: cannot tell a retried batch from a replacement`,
        });
      const kind = seen === r.hash ? "duplicated" : "reordered";
      return this.fail({
        kind,
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message:
          kind === "duplicated"
            ? `record ${r.seq} appears twice${torn}`
            : `record ${r.seq} appears after record ${s.expected - 1}${torn}: records are out of order or replaced`,
      });
    }
    if (r.seq > s.expected) {
      const torn = s.torn ? ` (a torn line at ${s.torn.where} explains a tail that was never acknowledged, not a gap the chain continues past)` : "";
      return this.fail({
        kind: "missing",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `records ${s.expected}-${r.seq - 1} are missing before record ${r.seq}${torn}`,
      });
    }
    if (r.prev !== s.head) {
      return this.fail({
        kind: "edited",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `record ${r.seq} does not link to record ${r.seq - 1} (prev differs): a record was replaced`,
      });
    }
    if (s.torn) {
      this.note({
        kind: "torn-tail",
        chain: r.chain,
        seq: s.torn.afterSeq,
        where: s.torn.where,
        message: `a torn line (${s.torn.torn.bytes} bytes) after seq ${s.torn.afterSeq} of chain ${r.chain}; the chain goes on at seq ${r.seq}${s.resent ? ` after re-sending ${s.resent} records` : ""}: nothing was lost`,
      });
      s.torn = undefined;
      s.resent = 0;
    }
    s.expected = r.seq + 1;
    s.head = r.hash;
    s.recent.add(r.seq, r.hash);
    s.summary.records++;
    s.summary.lastSeq = r.seq;
    s.summary.lastTime = r.time;
    const waits = this.waiting.get(r.chain);
    if (waits) this.resolveAt(r, waits);
    if (r.type === "chain-start" && r.previous) this.previous({ ref: r.previous, by: r.chain, where: line.where });
    if (r.type === "notice" && r.notice === "torn-tail-quarantined")
      this.note({
        kind: "quarantined",
        chain: r.chain,
        seq: r.seq,
        where: line.where,
        message: `chain ${r.chain} says its start-up moved a torn tail aside: ${r.file ?? "?"} bytes ${r.bytes ? `${r.bytes[0]}-${r.bytes[1]}` : "?"} to ${r.movedTo ?? "?"} (not part of the trail)`,
      });
  }

  /** A restarted instance names the head it followed: the earlier chain must reach it, with that hash. */
  private previous(p: PreviousRef): void {
    const s = this.chains.get(p.ref.chain);
    if (!s || s.summary.lastSeq < p.ref.seq) {
      const list = this.waiting.get(p.ref.chain) ?? [];
      list.push(p);
      this.waiting.set(p.ref.chain, list);
      return;
    }
    if (this.trustStart && p.ref.seq < s.summary.firstSeq) return; // before the slice
    const h = p.ref.seq === s.summary.lastSeq ? s.head : s.recent.get(p.ref.seq);
    if (h === undefined)
      return this.fail({
        kind: "unverifiable",
        chain: p.ref.chain,
        seq: p.ref.seq,
        where: p.where,
        message: `chain ${p.by} continues chain ${p.ref.chain} from seq ${p.ref.seq}, but that chain went on for ${s.summary.lastSeq - p.ref.seq} more records, further back than the hashes kept: a writer continues a chain only once it has stopped`,
      });
    if (h !== p.ref.hash) this.rewritten(p);
  }

  private resolveAt(r: AuditRecord, waits: PreviousRef[]): void {
    const rest = waits.filter((p) => p.ref.seq !== r.seq);
    for (const p of waits) if (p.ref.seq === r.seq && p.ref.hash !== r.hash) return this.rewritten(p);
    if (rest.length) this.waiting.set(r.chain, rest);
    else this.waiting.delete(r.chain);
  }

  private rewritten(p: PreviousRef): void {
    this.fail({
      kind: "edited",
      chain: p.ref.chain,
      seq: p.ref.seq,
      where: p.where,
      message: `chain ${p.by} continues chain ${p.ref.chain} at seq ${p.ref.seq} with a different hash: the earlier chain was rewritten`,
    });
  }

  private resolveWaiting(): void {
    for (const [chain, refs] of this.waiting) {
      for (const p of refs) {
        const s = this.chains.get(chain);
        if (s) {
          if (this.trustStart && p.ref.seq < s.summary.firstSeq) continue;
          const torn = s.torn ? ` (it stops at a torn line at ${s.torn.where}, but chain ${p.by} read seq ${p.ref.seq} from it)` : "";
          return this.fail({
            kind: "truncated",
            chain,
            seq: p.ref.seq,
            where: p.where,
            message: `chain ${p.by} continues chain ${chain} from seq ${p.ref.seq}, but that chain ends at seq ${s.summary.lastSeq}: its tail was deleted${torn}`,
          });
        }
        if (this.replay.knownChains?.has(chain)) continue; // present, before the records kept by --last
        const message = `chain ${p.by} continues chain ${chain} (seq ${p.ref.seq}), which is not in ${this.source}`;
        if (this.opts.allowMissingPrevious || this.opts.slice) {
          this.note({ kind: "missing-previous", chain, seq: p.ref.seq, where: p.where, message: `${message} (allowed: verifying a slice)` });
          continue;
        }
        return this.fail({
          kind: "missing-chain",
          chain,
          seq: p.ref.seq,
          where: p.where,
          message: `${message}: it was deleted, or give --allow-missing-previous when verifying a slice`,
        });
      }
    }
  }

  private tornTails(): void {
    for (const s of this.chains.values()) {
      if (!s.torn) continue;
      const { afterSeq, where, torn } = s.torn;
      const unacked =
        afterSeq > s.checkpointed
          ? `; records ${s.checkpointed + 1}-${afterSeq} before it were written but no checkpoint covers them (never acknowledged)`
          : "";
      const resent = s.resent ? `; ${s.resent} records re-sent after it` : "";
      this.note({
        kind: "torn-tail",
        chain: s.summary.chain,
        seq: afterSeq,
        where,
        message: `torn tail of chain ${s.summary.chain}: a line cut short (${torn.bytes} bytes${torn.seq !== undefined ? `, naming seq ${torn.seq}` : ""}) after its last complete record, seq ${afterSeq}${unacked}${resent}; no checkpoint vouches for anything after seq ${Math.max(afterSeq, s.checkpointed)}: nothing acknowledged was lost`,
      });
    }
  }

  private requireSigned(): void {
    for (const s of this.chains.values()) {
      if (s.summary.records > 0 && (s.summary.lastSignedSeq ?? 0) < s.summary.lastSeq) {
        const torn = s.torn
          ? ` (they precede a torn line at ${s.torn.where}: a batch whose write tore is not signed; the writer's start-up moves it aside)`
          : "";
        return this.fail({
          kind: "unsigned",
          chain: s.summary.chain,
          seq: s.summary.lastSeq,
          where: "(end)",
          message: `records ${Math.max(s.summary.lastSignedSeq ?? 0, s.summary.firstSeq - 1) + 1}-${s.summary.lastSeq} are not covered by a signed checkpoint${torn}`,
        });
      }
    }
  }

  /** `--last N`: replay each chain's last N records (and what followed them) with its first link on trust. */
  private replayLast(last: LastRecords): VerifyReport {
    const { last: _last, ...opts } = this.opts;
    const inner = new TrailVerifier(opts, { trustStart: true, knownChains: new Set(last.chains()) });
    for (const line of last.lines()) inner.push(line);
    const r = inner.finish();
    return { ...r, skipped: this.report.skipped + r.skipped, notes: [...this.report.notes, ...r.notes] };
  }
}

function isCompleteAuditLine(text: string): boolean {
  const p = parseAuditLine(text);
  return p.kind === "record" || p.kind === "checkpoint";
}
