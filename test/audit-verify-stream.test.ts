import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { Chain, recordHash } from "../src/audit/chain.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { TrailVerifier, verifyLines, type Line, type VerifyOptions } from "../src/audit/verify.js";
import { openAuditSource } from "../src/runtime/node/audit-source.js";
import { linesOf, LineTooLongError } from "../src/runtime/node/read-lines.js";
import { asLines, makeTrail, TEST_KEY } from "./audit-helpers.js";

/**
 * The streaming verifier: trails of any length in constant memory, torn lines
 * (a write cut short) told apart from deletions, the chain of chains, and the
 * streaming readers under it.
 */

/** A chain written the way AuditLog writes it (records, then a checkpoint per batch), without the promises: fast enough for 200k lines. */
function chainLines(id: string, records: number, batch: number, opts: { previous?: { chain: string; seq: number; hash: string } } = {}): string[] {
  const chain = new Chain(id, () => Date.parse("2026-12-02T13:00:00Z"));
  const out: string[] = [];
  out.push(
    JSON.stringify(
      chain.append({ type: "chain-start", instance: { runtime: "test" }, policy: "sha256:x", ...(opts.previous ? { previous: opts.previous } : {}) }),
    ),
  );
  for (let i = 1; i < records; i++) {
    const r = chain.append({ type: "decision", decision: i % 3 ? "deny" : "allow", rule: null, reason: `r${i}`, policy: "sha256:x" });
    out.push(JSON.stringify(r));
    if (i % batch === 0 || i === records - 1) out.push(JSON.stringify({ v: 1, type: "checkpoint", chain: id, seq: r.seq, head: r.hash, time: r.time }));
  }
  return out;
}

const verify = (texts: string[], opts: VerifyOptions = {}) => verifyLines(asLines(texts), opts);
const lastOf = (texts: string[], seq: number) => texts.findIndex((l) => l.includes(`"seq":${seq},`) && !l.includes('"checkpoint"'));
const headOf = (texts: string[]) => {
  const last = JSON.parse(texts.filter((l) => !l.includes('"checkpoint"')).pop()!);
  return { chain: last.chain as string, seq: last.seq as number, hash: last.hash as string };
};

describe("any size, constant memory", () => {
  it("a 200k-line trail streamed from a file verifies (the old reader's spread crashed past ~125k lines)", async () => {
    const lines = chainLines("big", 101_000, 1); // a checkpoint per record, as an idle server's group commit writes

    expect(lines.length).toBeGreaterThanOrEqual(200_000);
    const file = join(mkdtempSync(join(tmpdir(), "safeclaw-big-")), "audit.jsonl");
    writeFileSync(file, lines.join("\n") + "\n");
    const src = await openAuditSource(file, undefined, {});
    const v = new TrailVerifier({ sourceName: file });
    for await (const l of src.lines) v.push(l);
    const r = v.finish();
    expect(r.problem).toBeUndefined();
    expect(r.chains).toEqual([expect.objectContaining({ chain: "big", records: 101_000, lastSeq: 101_000, checkpoints: 100_999 })]);
  }, 60_000);

  it("a checkpoint further back than the window kept is `unverifiable` (exit 2), not a guess", () => {
    const lines = chainLines("w", 40, 100);
    const cp = lines.pop()!;
    const early = JSON.parse(lines[5]!);
    lines.push(JSON.stringify({ v: 1, type: "checkpoint", chain: "w", seq: early.seq, head: early.hash, time: early.time }), cp);
    expect(verify(lines, { window: 8 }).problem).toMatchObject({ kind: "unverifiable", seq: early.seq });
    expect(verify(lines).ok).toBe(true); // within the default window the same look back is checked
  });

  it("a duplicate further back than the window is still a break (the writer never repeats a record)", () => {
    const lines = chainLines("w", 40, 100);
    lines.splice(lines.length - 1, 0, lines[3]!);
    expect(verify(lines, { window: 8 }).problem).toMatchObject({ kind: "reordered", seq: 4 });
    expect(verify(lines).problem).toMatchObject({ kind: "duplicated", seq: 4 });
  });
});

describe("torn tails: a write cut short", () => {
  it("a torn last line (no newline) is a torn tail: where, which chain, the last complete seq; nothing acknowledged lost", async () => {
    const lines = chainLines("a", 12, 5);
    const cut = lines.slice(0, -2); // the last batch: record 11 and its checkpoint
    const record11 = lines[lines.length - 2]!;
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-torn-"));
    const file = join(dir, "audit.jsonl");
    const head = cut.join("\n") + "\n";
    writeFileSync(file, head + record11.slice(0, 90));
    const src = await openAuditSource(file, undefined, {});
    const v = new TrailVerifier();
    for await (const l of src.lines) v.push(l);
    const r = v.finish();
    expect(r.ok).toBe(true);
    expect(r.chains[0]).toMatchObject({ chain: "a", lastSeq: 11 });
    expect(r.notes).toEqual([
      expect.objectContaining({ kind: "torn-tail", chain: "a", seq: 11, where: `${file}:${cut.length + 1} (byte ${Buffer.byteLength(head)})` }),
    ]);
    expect(r.notes[0]!.message).toMatch(/nothing acknowledged was lost/);
    expect(r.skipped).toBe(0);
  });

  it("a torn line cut inside its first key, or with only a chain named, is torn too (every cut of a line our writers produce)", () => {
    const lines = chainLines("a", 6, 5);
    const last = lines[lines.length - 2]!;
    for (const n of [3, 8, last.indexOf('"seq"') + 2, last.length - 2]) {
      const r = verify([...lines.slice(0, -2), last.slice(0, n)]);
      expect(r.ok, last.slice(0, n)).toBe(true);
      expect(r.notes.map((x) => x.kind)).toEqual(["torn-tail"]);
    }
  });

  it("a torn line with the next process's first record glued onto it: the glued record is recovered and the next chain verifies", () => {
    const a = chainLines("a", 12, 5);
    const aHead = headOf(a.slice(0, -2));
    const b = chainLines("b", 4, 2, { previous: aHead });
    const torn = a[a.length - 2]!.slice(0, 120);
    const trail = [...a.slice(0, -2), torn + b[0]!, ...b.slice(1)];
    const r = verify(trail);
    expect(r.problem).toBeUndefined();
    expect(r.chains.map((c) => [c.chain, c.records])).toEqual([
      ["a", 11],
      ["b", 4],
    ]);
    expect(r.notes).toEqual([expect.objectContaining({ kind: "torn-tail", chain: "a", seq: 11 })]);
    // and the glued record is checked like any other: edit it and the break names it
    const edited = [...a.slice(0, -2), torn + b[0]!.replace('"runtime":"test"', '"runtime":"evil"'), ...b.slice(1)];
    expect(verify(edited).problem).toMatchObject({ kind: "edited", chain: "b", seq: 1, where: expect.stringContaining("glued after the torn part") });
  });

  it("the torn batch retried (the same records again, then on): the chain goes on, with a note", () => {
    const lines = chainLines("a", 14, 5); // checkpoints after seq 6, 11 and 14
    const [i12, i13] = [lastOf(lines, 12), lastOf(lines, 13)];
    const trail = [...lines.slice(0, i13 + 1), lines[i13 + 1]!.slice(0, 60), ...lines.slice(i12)];
    const r = verify(trail);
    expect(r.problem).toBeUndefined();
    expect(r.chains[0]).toMatchObject({ records: 14, lastSeq: 14 });
    expect(r.notes).toEqual([
      expect.objectContaining({ kind: "torn-tail", chain: "a", seq: 13, message: expect.stringMatching(/goes on at seq 14 after re-sending 2 records/) }),
    ]);
  });

  it("a torn line the chain simply continues after (the write retried from the torn record) loses nothing", () => {
    const lines = chainLines("a", 8, 10);
    const i5 = lastOf(lines, 5);
    const r = verify([...lines.slice(0, i5), lines[i5]!.slice(0, 40), ...lines.slice(i5)]);
    expect(r.problem).toBeUndefined();
    expect(r.notes[0]!.message).toMatch(/goes on at seq 5/);
  });

  // A forger deletes records and leaves a torn-looking line to pass the deletion off as a crash.
  it.each<[string, (lines: string[]) => string[], string]>([
    [
      "acknowledged records deleted, their checkpoint left, a torn line in their place",
      (l) => {
        const i = lastOf(l, 8);
        return [...l.slice(0, i), l[i]!.slice(0, 50), ...l.slice(lastOf(l, 11) + 1)];
      },
      "truncated",
    ],
    [
      "a gap in the middle dressed as a torn line, the chain going on after it",
      (l) => {
        const i = lastOf(l, 7);
        return [...l.slice(0, i), l[i]!.slice(0, 50), ...l.slice(lastOf(l, 9))];
      },
      "missing",
    ],
    [
      "a record replaced after a torn line, passed off as the retried batch",
      (l) => {
        const i = lastOf(l, 12);
        const forged = JSON.parse(l[i]!);
        forged.decision = "allow";
        forged.hash = recordHash(forged);
        return [...l.slice(0, i + 1), l[i + 1]!.slice(0, 50), JSON.stringify(forged), ...l.slice(i + 1)];
      },
      "reordered",
    ],
    [
      "an acknowledged record re-sent after a torn line (a checkpoint already covers it)",
      (l) => {
        const i = lastOf(l, 12);
        return [...l.slice(0, i + 1), l[i + 1]!.slice(0, 50), l[lastOf(l, 10)]!, ...l.slice(i + 1)];
      },
      "duplicated",
    ],
    [
      "the whole tail deleted and a torn line left, but the next chain names the head it followed",
      (l) => {
        const next = chainLines("next", 3, 5, { previous: headOf(l) });
        return [...l.slice(0, lastOf(l, 12)), l[lastOf(l, 12)]!.slice(0, 50), ...next];
      },
      "truncated",
    ],
    [
      "a torn line glued to a forged record that does not hash",
      (l) => [...l.slice(0, -2), l[l.length - 2]!.slice(0, 50) + l[l.length - 2]!.replace('"reason":"r15"', '"reason":"R15"')],
      "edited",
    ],
  ])("%s: broken", (_attack, edit, kind) => {
    const lines = chainLines("a", 16, 5); // checkpoints at 6, 11, 16
    expect(verify(lines).ok).toBe(true);
    expect(verify(edit(lines)).problem).toMatchObject({ kind });
  });

  it("records forged after the last signed checkpoint and hidden before a torn line still fail the signature check", async () => {
    const signed = await makeTrail(6, { batch: 3, key: TEST_KEY });
    const head = JSON.parse(signed.filter((l) => !l.includes('"checkpoint"')).pop()!);
    const forged = {
      type: "decision",
      decision: "allow",
      rule: "r",
      reason: "forged",
      policy: "p",
      v: 1,
      chain: head.chain,
      seq: head.seq + 1,
      time: head.time,
      prev: head.hash,
    } as Record<string, unknown>;
    forged.hash = recordHash(forged as Parameters<typeof recordHash>[0]);
    const trail = [...signed, JSON.stringify(forged), '{"type":"decision","decision":"al'];
    expect(verify(trail, { publicKey: TEST_KEY.publicKey }).problem).toMatchObject({ kind: "unsigned", message: expect.stringMatching(/torn line/) });
    expect(verify([...signed, '{"type":"decision","decision":"al'], { publicKey: TEST_KEY.publicKey }).ok).toBe(true);
  });

  it("a torn line that is signed-checkpoint-shaped cannot vouch for anything (it is not JSON, so it is no checkpoint)", () => {
    const lines = chainLines("a", 8, 5); // checkpoints after seq 6 and 8
    const cp = lines.pop()!;
    const r = verify([...lines, cp.slice(0, cp.length - 3)]);
    expect(r.ok).toBe(true);
    expect(r.chains[0]!.checkpoints).toBe(1);
    expect(r.notes[0]).toMatchObject({
      kind: "torn-tail",
      seq: 8,
      message: expect.stringMatching(/records 7-8 before it were written but no checkpoint covers them/),
    });
  });

  it("a torn tail the writer quarantined at start-up is named from its notice", async () => {
    const lines: string[] = [];
    const log = new AuditLog({
      sink: createLineSink((l) => void lines.push(l)),
      chainId: "after-crash",
      policy: "sha256:x",
      notices: [
        {
          type: "notice",
          notice: "torn-tail-quarantined",
          message: "moved aside",
          file: "audit.jsonl",
          bytes: [100, 160],
          movedTo: "audit.jsonl.torn-20261202T013000123Z",
        },
      ],
    });
    expect(await log.flush()).toBe(true);
    const r = verify(lines);
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual([
      expect.objectContaining({
        kind: "quarantined",
        chain: "after-crash",
        seq: 2,
        message: expect.stringMatching(/audit\.jsonl bytes 100-160 to audit\.jsonl\.torn-20261202T013000123Z/),
      }),
    ]);
  });

  it("other output that is not JSON is still skipped, not taken for a torn line", () => {
    const lines = chainLines("a", 4, 5);
    const r = verify([...lines, "plain text {", '{"level":"info", broken']);
    expect(r).toMatchObject({ ok: true, skipped: 2, notes: [] });
  });
});

describe("the chain of chains", () => {
  const earlier = chainLines("earlier", 5, 5);
  const later = chainLines("later", 4, 5, { previous: headOf(earlier) });

  it("both chains present: intact", () => {
    expect(verify([...earlier, ...later]).problem).toBeUndefined();
  });

  it("the earlier chain deleted: `missing-chain`, naming it and what to give when verifying a slice", () => {
    expect(verify(later, { sourceName: "audit.jsonl" }).problem).toMatchObject({
      kind: "missing-chain",
      chain: "earlier",
      seq: 5,
      message:
        "chain later continues chain earlier (seq 5), which is not in audit.jsonl: it was deleted, or give --allow-missing-previous when verifying a slice",
    });
  });

  it("--allow-missing-previous (or a time slice) turns it into a note", () => {
    for (const opts of [{ allowMissingPrevious: true }, { slice: true }]) {
      const r = verify(later, opts);
      expect(r.ok).toBe(true);
      expect(r.notes).toEqual([expect.objectContaining({ kind: "missing-previous", chain: "earlier", seq: 5 })]);
    }
  });

  it("the earlier chain's tail deleted or rewritten: still caught, whichever order the chains come in", () => {
    expect(verify([...earlier.slice(0, -2), ...later]).problem).toMatchObject({ kind: "truncated", chain: "earlier", seq: 5 });
    const rewritten = chainLines("earlier", 5, 5).map((l) => l.replace('"reason":"r4"', '"reason":"R4"'));
    const rehashed = verify(rewritten).ok; // a self-consistent rewrite...
    expect(rehashed).toBe(false); // (the test's chain rehashes only through Chain; a text edit breaks it)
    const later2 = chainLines("later", 4, 5, { previous: { ...headOf(earlier), hash: "f".repeat(64) } });
    expect(verify([...earlier, ...later2]).problem).toMatchObject({ kind: "edited", chain: "earlier", seq: 5 });
    expect(verify([...later2, ...earlier]).problem).toMatchObject({ kind: "edited", chain: "earlier", seq: 5 });
    expect(verify([...later, ...earlier]).problem).toBeUndefined();
  });

  it("--last keeps the check: a chain named as previous that is nowhere in the input is missing, one before the kept records is trusted", () => {
    expect(verify([...earlier, ...later], { last: 2 }).problem).toBeUndefined();
    expect(verify(later, { last: 2 }).problem).toBeUndefined(); // later's chain-start is not among its last 2 records
    expect(verify(later, { last: 10 }).problem).toMatchObject({ kind: "missing-chain" });
  });
});

describe("--last N in one pass (a tail of N records per chain)", () => {
  it("checks each chain's last N records, with a torn tail too", () => {
    const a = chainLines("a", 30, 4);
    const b = chainLines("b", 30, 4);
    const mixed = a.flatMap((l, i) => [l, ...(b[i] ? [b[i]] : [])]);
    const r = verify([...mixed, '{"type":"decision","v":1,"chain":"a","se'], { last: 5 });
    expect(r.problem).toBeUndefined();
    expect(r.chains.map((c) => [c.chain, c.records, c.firstSeq, c.lastSeq])).toEqual([
      ["a", 5, 26, 30],
      ["b", 5, 26, 30],
    ]);
    expect(r.notes.map((n) => [n.kind, n.chain])).toEqual([["torn-tail", "a"]]);
    const edited = mixed.map((l) => l.replace('"reason":"r27"', '"reason":"R27"'));
    expect(verify(edited, { last: 5 }).problem).toMatchObject({ kind: "edited", seq: 28 });
    const old = mixed.map((l) => l.replace('"reason":"r3"', '"reason":"R3"'));
    expect(verify(old, { last: 5 }).ok).toBe(true);
  });
});

describe("reading lines as a stream", () => {
  const read = async (chunks: Array<string | Buffer>, max?: number) => {
    const out: Line[] = [];
    for await (const l of linesOf(Readable.from(chunks), "f", max)) out.push(l);
    return out;
  };

  it("lines split across chunks, CRLF, blank lines, a last line without newline: numbers and byte offsets", async () => {
    const lines = await read(["ab", "c\r\n\n", "é", "x\nlast"]);
    expect(lines).toEqual([
      { text: "abc", where: "f:1", offset: 0 },
      { text: "éx", where: "f:3", offset: 6 },
      { text: "last", where: "f:4", offset: 10 },
    ]);
  });

  it("a line longer than the limit stops the read with an error, not an exhausted heap", async () => {
    await expect(read(["x".repeat(40), "y".repeat(40)], 64)).rejects.toBeInstanceOf(LineTooLongError);
  });

  it("a directory: every file in name order, quarantined torn tails skipped and named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-dir-"));
    const [a, b] = [chainLines("a", 3, 5), chainLines("b", 3, 5)];
    writeFileSync(join(dir, "1.jsonl"), a.join("\n") + "\n");
    writeFileSync(join(dir, "1.jsonl.torn-20261202T013000123Z"), "garbage that is not part of the trail");
    writeFileSync(join(dir, "2.jsonl"), b.join("\n"));
    const src = await openAuditSource(dir, undefined, {});
    const lines: Line[] = [];
    for await (const l of src.lines) lines.push(l);
    expect(lines.map((l) => l.text)).toEqual([...a, ...b]);
    expect(src.notes).toEqual([expect.stringMatching(/1\.jsonl\.torn-20261202T013000123Z: a quarantined torn tail .*skipped/)]);
    const file = await openAuditSource(join(dir, "1.jsonl"), undefined, {});
    expect(file.notes).toEqual([expect.stringMatching(/quarantined torn tail/)]);
  });

  it("a source that is not there is an error saying so (exit 2 in the CLI), before anything is read", async () => {
    await expect(openAuditSource("/no/such/audit.jsonl", undefined, {})).rejects.toThrow(/no such file or directory/);
    await expect(openAuditSource(mkdtempSync(join(tmpdir(), "safeclaw-empty-")), undefined, {})).rejects.toThrow(/holds no files/);
  });
});
