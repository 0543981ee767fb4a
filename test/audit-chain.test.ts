import { describe, expect, it } from "vitest";
import { recordHash } from "../src/audit/chain.js";
import { canonicalJson } from "../src/crypto/canonical-json.js";
import { verifyLines } from "../src/audit/verify.js";
import { asLines, makeTrail, OTHER_KEY, TEST_KEY } from "./audit-helpers.js";

const isRecord = (l: string) => !l.includes('"type":"checkpoint"');
const recordIndexes = (lines: string[]) => lines.map((l, i) => (isRecord(l) ? i : -1)).filter((i) => i >= 0);

describe("an intact trail verifies", () => {
  it("records, checkpoints, chain summary", async () => {
    const lines = await makeTrail(12, { batch: 5 });
    const r = verifyLines(asLines(lines));
    expect(r.ok).toBe(true);
    expect(r.chains).toEqual([expect.objectContaining({ chain: "test-chain", records: 13, firstSeq: 1, lastSeq: 13, checkpoints: 3 })]);
  });

  it("hashes are over RFC 8785 canonical JSON, not JSON.stringify order", async () => {
    const [first] = await makeTrail(1);
    const rec = JSON.parse(first!);
    const { hash, ...rest } = rec;
    const reordered = Object.fromEntries(Object.entries(rest).reverse());
    expect(recordHash(reordered as Parameters<typeof recordHash>[0])).toBe(hash);
    expect(canonicalJson({ b: 1, a: [true, null, "é"] })).toBe('{"a":[true,null,"é"],"b":1}');
  });
});

describe("every kind of tampering is caught, and named", () => {
  it("an edited field", async () => {
    const lines = await makeTrail(6);
    const i = recordIndexes(lines)[3]!;
    const edited = lines[i]!.replace('"path":"/app/2"', '"path":"/etc/2"');
    expect(edited).not.toBe(lines[i]);
    lines[i] = edited;
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "edited", seq: 4, where: `trail:${i + 1}` });
  });

  it("an edited record whose hash was recomputed breaks the next link", async () => {
    const lines = await makeTrail(6, { batch: 10 });
    const i = recordIndexes(lines)[2]!;
    const rec = JSON.parse(lines[i]!);
    rec.decision = "allow";
    rec.hash = recordHash(rec);
    lines[i] = JSON.stringify(rec);
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "edited", seq: 4 });
  });

  it("a deleted middle record", async () => {
    const lines = await makeTrail(6);
    lines.splice(recordIndexes(lines)[2]!, 1);
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "missing", seq: 4 });
  });

  it("deleted first records", async () => {
    const lines = await makeTrail(6);
    lines.splice(0, 2);
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "missing", seq: 3 });
  });

  it("a deleted tail (its checkpoint left behind)", async () => {
    const lines = await makeTrail(10, { batch: 10 });
    const idx = recordIndexes(lines);
    lines.splice(idx[idx.length - 3]!, 3);
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "truncated" });
  });

  it("a deleted tail with its checkpoint, under signatures: the unsigned remainder or the restart gives it away", async () => {
    const lines = await makeTrail(10, { batch: 3, key: TEST_KEY });
    // cut the last record and its checkpoint: what remains is signed through seq 10, ends at 10
    const cut = lines.slice(0, lines.length - 2);
    const r = verifyLines(asLines(cut), { publicKey: TEST_KEY.publicKey });
    expect(r.ok).toBe(true);
    expect(r.chains[0]!.lastSignedSeq).toBe(10); // the report says how far the trail is vouched for
    // ...but a restarted instance names the head it followed, so the cut shows
    const head = JSON.parse(lines[lines.length - 2]!);
    const next = await makeTrail(2, { key: TEST_KEY, chainId: "next-chain", previous: { chain: "test-chain", seq: head.seq, hash: head.hash } });
    expect(verifyLines(asLines([...cut, ...next]), { publicKey: TEST_KEY.publicKey }).problem).toMatchObject({
      kind: "truncated",
      chain: "test-chain",
      seq: 11,
    });
    expect(verifyLines(asLines([...lines, ...next]), { publicKey: TEST_KEY.publicKey }).ok).toBe(true);
  });

  it("records deleted after the last signed checkpoint leave an unsigned tail", async () => {
    const lines = await makeTrail(4, { batch: 10, key: TEST_KEY });
    lines.pop(); // drop the final checkpoint
    expect(verifyLines(asLines(lines), { publicKey: TEST_KEY.publicKey }).problem).toMatchObject({ kind: "unsigned" });
  });

  it("two records swapped", async () => {
    const lines = await makeTrail(6, { batch: 10 });
    const [a, b] = [recordIndexes(lines)[2]!, recordIndexes(lines)[3]!];
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "missing", seq: 4 });
    const moved = await makeTrail(6, { batch: 10 });
    const rec = moved.splice(recordIndexes(moved)[1]!, 1)[0]!;
    moved.splice(recordIndexes(moved)[4]!, 0, rec);
    expect(verifyLines(asLines(moved)).ok).toBe(false);
  });

  it("a duplicated record", async () => {
    const lines = await makeTrail(6, { batch: 10 });
    const i = recordIndexes(lines)[3]!;
    lines.splice(i + 1, 0, lines[i]!);
    expect(verifyLines(asLines(lines)).problem).toMatchObject({ kind: "duplicated", seq: 4 });
  });

  it("a whole chain recomputed without the key fails the signature check", async () => {
    const lines = await makeTrail(5, { batch: 10, key: TEST_KEY });
    // The forger rewrites every record, recomputes every hash, and re-signs with their own key.
    let prev = "0".repeat(64);
    const forged = lines.map((l) => {
      const o = JSON.parse(l);
      if (o.type === "checkpoint") return l;
      o.prev = prev;
      if (o.type === "decision") o.decision = "allow";
      o.hash = recordHash(o);
      prev = o.hash;
      return JSON.stringify(o);
    });
    const cpIndex = forged.length - 1;
    const cp = JSON.parse(forged[cpIndex]!);
    cp.head = prev;
    forged[cpIndex] = JSON.stringify(cp);
    expect(verifyLines(asLines(forged)).ok).toBe(true); // without the key a rewrite is self-consistent...
    expect(verifyLines(asLines(forged), { publicKey: TEST_KEY.publicKey }).problem).toMatchObject({ kind: "bad-signature" });
    const resigned = await makeTrail(5, { batch: 10, key: OTHER_KEY });
    expect(verifyLines(asLines(resigned), { publicKey: TEST_KEY.publicKey }).problem).toMatchObject({ kind: "bad-signature" });
  });

  it("an unsigned trail fails when a public key is required", async () => {
    const lines = await makeTrail(3);
    expect(verifyLines(asLines(lines), { publicKey: TEST_KEY.publicKey }).problem).toMatchObject({ kind: "unsigned" });
  });
});

describe("what log drains do to lines", () => {
  it("unwraps {message} wrappers and skips unrelated log lines", async () => {
    const lines = await makeTrail(4);
    const wrapped = lines.flatMap((l, i) => [
      JSON.stringify({ timestamp: "x", message: l, fly: { app: "a", region: "iad" } }),
      i === 1 ? "plain text log line" : '{"level":"info","msg":"hello"}',
    ]);
    const r = verifyLines(asLines(wrapped));
    expect(r.ok).toBe(true);
    expect(r.skipped).toBe(lines.length);
    const tampered = wrapped.map((l) => l.replace("/app/2", "/etc/2"));
    expect(verifyLines(asLines(tampered)).problem?.kind).toBe("edited");
  });

  it("--last N checks only the tail, trusting its first link", async () => {
    const lines = await makeTrail(20, { batch: 4 });
    lines[recordIndexes(lines)[1]!] = lines[recordIndexes(lines)[1]!]!.replace("/app/0", "/etc/0");
    expect(verifyLines(asLines(lines)).ok).toBe(false);
    const r = verifyLines(asLines(lines), { last: 5 });
    expect(r.ok).toBe(true);
    expect(r.chains[0]).toMatchObject({ records: 5, lastSeq: 21 });
    const t = [...lines];
    t[recordIndexes(t)[19]!] = t[recordIndexes(t)[19]!]!.replace("/app/18", "/etc/18");
    expect(verifyLines(asLines(t), { last: 5 }).problem).toMatchObject({ kind: "edited", seq: 20 });
  });
});
