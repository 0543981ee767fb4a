import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { decisionBody } from "../src/audit/record.js";
import { parseSigningKey, type SigningKey } from "../src/audit/signing.js";
import type { AuditSink } from "../src/audit/sink.js";
import type { Line } from "../src/audit/verify.js";

/** Writes `n` decisions through a real AuditLog into an in-memory line list, one batch per `batch` records. */
export async function makeTrail(
  n: number,
  opts: { batch?: number; key?: SigningKey; chainId?: string; previous?: { chain: string; seq: number; hash: string } } = {},
): Promise<string[]> {
  const lines: string[] = [];
  let t = Date.parse("2026-11-23T10:00:00Z");
  const log = new AuditLog({
    sink: createLineSink((l) => void lines.push(l)),
    chainId: opts.chainId ?? "test-chain",
    policy: "sha256:" + "a".repeat(64),
    clock: () => (t += 1000),
    ...(opts.key ? { signingKey: opts.key } : {}),
    ...(opts.previous ? { previous: opts.previous } : {}),
  });
  for (let i = 0; i < n; i++) {
    log.record(
      decisionBody(
        { action: "file.read", path: `/app/${i}` },
        { decision: i % 2 ? "deny" : "allow", allowed: i % 2 === 0, rule: `r${i}`, reason: "because", policy: "sha256:" + "a".repeat(64), action: "file.read" },
      ),
    );
    if ((i + 1) % (opts.batch ?? 5) === 0) await log.flush();
  }
  await log.flush();
  return lines;
}

export const asLines = (texts: string[]): Line[] => texts.map((text, i) => ({ text, where: `trail:${i + 1}` }));

export const TEST_KEY = parseSigningKey("nWGxne/9WmC6hEr0kuwsxERJxWl7MV+0pChs2pMSh9o=");
export const OTHER_KEY = parseSigningKey("QFc7gBwn4ox4C2jUqYvu3X2pBvEVx1ZkF3MqZ2uzg1k=");

export function failingSink(state: { fail: boolean }, into: string[]): AuditSink {
  return {
    name: "flaky",
    async write(batch) {
      if (state.fail) throw new Error("connection refused");
      for (const r of batch.records) into.push(JSON.stringify(r));
      into.push(JSON.stringify(batch.checkpoint));
    },
  };
}
