import { verifyLines, type VerifyReport } from "../src/audit/verify.js";
// The one import of readS3Lines in the fault tests (it may move to src/runtime/node/s3-read.ts): fix it here.
import { readS3Lines } from "../src/runtime/node/s3-read.js";

/**
 * The audit trail as S3 (moto_server, read directly, not through the fault
 * proxy) holds it, and the invariants every fault scenario must leave behind.
 */
export interface Trail {
  /** `s3://bucket/key` of every object, in key order */
  keys: string[];
  records: TrailRecord[];
  report: VerifyReport;
}

export interface TrailRecord {
  type: string;
  chain: string;
  seq: number;
  decision?: string;
  notice?: string;
  seqs?: [number, number];
  reason?: string;
  id?: string;
  where: string;
}

/** A decision as it was answered (HTTP body, Lambda result). */
export interface Answer {
  decision: string;
  error?: string;
  reason?: string;
  audit?: { chain: string; seq: number };
}

export async function readTrail(bucket: string, prefix: string, env: Record<string, string>): Promise<Trail> {
  const lines = await readS3Lines(bucket, prefix, env);
  const keys = [...new Set(lines.map((l) => l.where.replace(/:\d+$/, "")))];
  const records = lines.map((l) => ({ ...(JSON.parse(l.text) as Omit<TrailRecord, "where">), where: l.where })).filter((r) => r.type !== "checkpoint");
  return { keys, records, report: verifyLines(lines) };
}

/** the audit-write-failed notices' seq ranges, by chain */
function namedByNotices(trail: Trail, chain: string): Array<[number, number]> {
  return trail.records.filter((r) => r.chain === chain && r.notice === "audit-write-failed" && r.seqs).map((r) => r.seqs!);
}

/**
 * What must hold after every scenario, as a list of violations (empty when
 * all hold), so a failure names each broken promise:
 * - the trail verifies (hash chain, checkpoints), and no batch was written
 *   beside a foreign object (`.conflict-`: a retry that did not recognise its own batch);
 * - no `allow` was answered without its record in the trail, saying allow;
 * - every answered decision is in the trail, or named in an
 *   `audit-write-failed` notice's seqs; a deny because the trail was
 *   unavailable is named there (the notice tells which answers were not durable);
 * - a record in the trail says what was answered (an answer denied because the
 *   trail was unavailable may have a record saying what the policy decided).
 */
export function violations(trail: Trail, answers: readonly Answer[]): string[] {
  const out: string[] = [];
  if (!trail.report.ok) out.push(`the trail does not verify: ${JSON.stringify(trail.report.problem)}`);
  for (const k of trail.keys) if (k.includes(".conflict-")) out.push(`a batch was written beside another object: ${k}`);
  for (const a of answers) {
    if (!a.audit) {
      out.push(`answered ${a.decision} without an audit reference: ${JSON.stringify(a)}`);
      continue;
    }
    const { chain, seq } = a.audit;
    const rec = trail.records.find((r) => r.chain === chain && r.seq === seq);
    const named = namedByNotices(trail, chain).some(([lo, hi]) => lo <= seq && seq <= hi);
    if (a.decision === "allow" && rec?.decision !== "allow")
      out.push(`allow answered for seq ${seq} without its record in S3 (${rec ? `record says ${rec.decision}` : "no record"})`);
    if (!rec && !named) out.push(`${a.decision} answered for seq ${seq}: neither in the trail nor named by an audit-write-failed notice`);
    if (a.error === "audit_unavailable" && !named) out.push(`seq ${seq} was denied as audit_unavailable but no audit-write-failed notice names it`);
    if (rec && rec.type !== "decision") out.push(`seq ${seq} answered as a decision is a ${rec.type} record in the trail`);
    if (rec && rec.decision !== a.decision && a.error !== "audit_unavailable") out.push(`seq ${seq}: answered ${a.decision}, the trail says ${rec.decision}`);
  }
  return out;
}
