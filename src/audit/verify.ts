import { TrailVerifier } from "./trail-verifier.js";

export { parseAuditLine, type ParsedLine } from "./audit-line.js";
export { TrailVerifier } from "./trail-verifier.js";

/**
 * Checks every chain found in a stream of lines, one line at a time, in memory
 * that does not grow with the trail (per chain: its head, the seq it expects,
 * its summary and a bounded window of recent hashes, recent-hashes.ts): each
 * record's hash, the `prev` links, gap-free `seq`, checkpoints (head and
 * signature), restarts that name the chain they follow (which must be there),
 * and torn lines (a write cut short, torn-line.ts). Lines wrapped by a log
 * drain (`{"message": "..."}`) and OCSF lines (`unmapped.safeclaw`) are
 * unwrapped; other lines are skipped and counted. Stops at the first break
 * and says where and what.
 *
 * `unverifiable` is the one problem that is not a break: the trail asks for a
 * look further back than the window keeps (exit 2, "could not verify"). Reading
 * goes on past it, so a break anywhere in the trail is still the report (exit 1).
 */
export type ProblemKind =
  "edited" | "missing" | "missing-chain" | "reordered" | "duplicated" | "truncated" | "bad-signature" | "unsigned" | "malformed" | "unverifiable";

export interface VerifyProblem {
  kind: ProblemKind;
  chain: string;
  seq?: number;
  where: string;
  message: string;
}

/** What verification found that is not a break: a torn tail that lost nothing acknowledged, a previous chain allowed to be absent, a torn tail the writer moved aside (its notice). */
export interface VerifyNote {
  kind: "torn-tail" | "missing-previous" | "quarantined";
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
  notes: VerifyNote[];
  /** lines that were not audit lines (other log output) */
  skipped: number;
  /** checkpoints carrying a signature that no public key was given to check */
  unverifiedSignatures: number;
}

export interface Line {
  text: string;
  /** `file:line`, `stdin:line`, `s3://bucket/key:line` */
  where: string;
  /** byte offset of the line's start in its file or object, when the reader knows it */
  offset?: number;
}

export interface VerifyOptions {
  publicKey?: Uint8Array;
  /** check only the last N records of each chain (their first `prev` is taken on trust); memory grows with N × chains */
  last?: number;
  /** the input is a slice of the trail (an hour of S3 objects): each chain's first record is taken on trust, and chains named as previous may be absent */
  slice?: boolean;
  /** a chain-start naming a previous chain that is not in the input is a note, not a break */
  allowMissingPrevious?: boolean;
  /** what the input is, for messages ("audit.log", "s3://bucket/prefix") */
  sourceName?: string;
  /** hashes kept per chain (default RECENT_HASHES) */
  window?: number;
}

/** Verifies a whole list of lines (a thin wrapper of TrailVerifier). */
export function verifyLines(lines: Iterable<Line>, opts: VerifyOptions = {}): VerifyReport {
  const v = new TrailVerifier(opts);
  for (const l of lines) v.push(l);
  return v.finish();
}
