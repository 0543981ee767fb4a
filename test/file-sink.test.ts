import { appendFileSync, existsSync, ftruncateSync, fsyncSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { Chain } from "../src/audit/chain.js";
import { batchLines, type AuditFormat } from "../src/audit/lines.js";
import { decisionBody, type AuditRecord } from "../src/audit/record.js";
import type { AuditBatch } from "../src/audit/sink.js";
import { verifyLines } from "../src/audit/verify.js";
import { recoverAuditFile } from "../src/runtime/node/audit-recovery.js";
import { auditFiles, FileSink, lastChainHead, type FileIo } from "../src/runtime/node/file-sink.js";
import { asLines } from "./audit-helpers.js";

/**
 * The file sink's contract with real files (a temporary directory) and
 * failures injected at the system calls (FileSink's `io` seam): a batch lands
 * whole or not at all, a retry never doubles it, and start-up recovery moves a
 * torn tail aside. The same faults for real (a full tmpfs, RLIMIT_FSIZE,
 * kill -9 of the server) are in test/file-sink-faults.test.ts.
 */
const POLICY = "sha256:" + "a".repeat(64);
const dirOf = () => mkdtempSync(join(tmpdir(), "safeclaw-filesink-"));

/** Batches of one chain, built as the AuditLog builds them (records, then a checkpoint vouching for the last). */
function batches(chainId: string, sizes: number[]): AuditBatch[] {
  let t = Date.parse("2026-12-02T01:00:00Z");
  const chain = new Chain(chainId, () => (t += 7));
  return sizes.map((n) => {
    const records: AuditRecord[] = [];
    for (let i = 0; i < n; i++) {
      const body = decisionBody(
        { action: "file.read", path: `/app/${i}` },
        { decision: "allow", allowed: true, rule: "r", reason: "ok", policy: POLICY, action: "file.read" },
      );
      records.push(chain.append(body));
    }
    const last = records[records.length - 1]!;
    return {
      chain: chainId,
      firstSeq: records[0]!.seq,
      lastSeq: last.seq,
      records,
      checkpoint: { v: 1, type: "checkpoint", chain: chainId, seq: last.seq, head: last.hash, time: last.time },
    };
  });
}

const fileLines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "");
const verifyFile = (path: string) => verifyLines(asLines(fileLines(path)));
const seqsInFile = (path: string) => fileLines(path).flatMap((l) => (JSON.parse(l).type === "checkpoint" ? [] : [JSON.parse(l).seq as number]));
const sysError = (code: string, text: string) => Object.assign(new Error(`${code}: ${text}, write`), { code });

/** An io whose write takes `takes` bytes for real and then fails with `error` (once), like a disk that fills up mid-batch. */
function failingWrite(error: Error, takes: number): { io: Partial<FileIo>; armed: { on: boolean } } {
  const armed = { on: true };
  return {
    armed,
    io: {
      write: async (fd, data, offset, length) => {
        if (!armed.on) return writeSync(fd, data, offset, length);
        if (takes > 0) {
          const n = writeSync(fd, data, offset, Math.min(length, takes));
          takes -= n;
          return n;
        }
        armed.on = false;
        throw error;
      },
    },
  };
}

describe("FileSink.write: a batch lands whole or not at all", () => {
  const faults: Array<[string, Error, number]> = [
    ["the disk fills up after part of the batch (ENOSPC)", sysError("ENOSPC", "no space left on device"), 150],
    ["the file size limit is reached (EFBIG under RLIMIT_FSIZE)", sysError("EFBIG", "file too large"), 90],
    ["the device fails (EIO) before any byte", sysError("EIO", "i/o error"), 0],
  ];
  it.each(faults)(
    "%s: the file is cut back to the batch's start, the error names the cause and the records, a retry lands once",
    async (_name, error, takes) => {
      const path = join(dirOf(), "audit.jsonl");
      const [first, second] = batches("c1", [2, 3]);
      const { io } = failingWrite(error, takes);
      const sink = new FileSink(path, { io });
      const earlier = new FileSink(path); // the trail so far, written by an earlier sink
      await earlier.write(first!);
      await earlier.close();
      const before = statSync(path).size;
      await expect(sink.write(second!)).rejects.toThrow(
        new RegExp(`^${(error as Error & { code: string }).code}: [a-z/ ]+ while writing records 3-5 to ${path}`),
      );
      expect(statSync(path).size).toBe(before);
      await sink.write(second!); // the AuditLog's retry of the same batch
      expect(seqsInFile(path)).toEqual([1, 2, 3, 4, 5]);
      expect(verifyFile(path)).toMatchObject({ ok: true, chains: [{ records: 5, checkpoints: 2 }] });
    },
  );

  it("the error keeps the system's code for whoever classifies failures", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const sink = new FileSink(path, { io: failingWrite(sysError("ENOSPC", "no space left on device"), 10).io });
    const e = await sink.write(batches("c", [1])[0]!).catch((x: unknown) => x as Error & { code?: string });
    expect(e).toMatchObject({ code: "ENOSPC", message: expect.stringContaining("the 10 bytes written were cut off again") });
  });

  it("short writes are continued until the batch is whole", async () => {
    const path = join(dirOf(), "audit.jsonl");
    let calls = 0;
    const sink = new FileSink(path, { io: { write: async (fd, data, offset, length) => (calls++, writeSync(fd, data, offset, Math.min(length, 7))) } });
    await sink.write(batches("c", [3])[0]!);
    expect(calls).toBeGreaterThan(10);
    expect(verifyFile(path)).toMatchObject({ ok: true, chains: [{ records: 3 }] });
  });

  it("a write that takes no bytes and reports no error is a failure, not a loop", async () => {
    const path = join(dirOf(), "audit.jsonl");
    let calls = 0;
    const sink = new FileSink(path, {
      io: { write: async (fd, data, offset, length) => (++calls === 1 ? writeSync(fd, data, offset, Math.min(length, 20)) : 0) },
    });
    await expect(sink.write(batches("c", [2])[0]!)).rejects.toThrow(/short write: the file took 20 of \d+ bytes and then none while writing records 1-2/);
    expect(statSync(path).size).toBe(0);
  });

  it("fsync fails after the whole batch was written (EIO): cut back, so the retry appends it once, not twice", async () => {
    const path = join(dirOf(), "audit.jsonl");
    let failSync = true;
    const sink = new FileSink(path, {
      io: {
        sync: async (fd) => {
          if (failSync) {
            failSync = false;
            throw sysError("EIO", "i/o error");
          }
          fsyncSync(fd);
        },
      },
    });
    const [b] = batches("c", [4]);
    await expect(sink.write(b!)).rejects.toThrow(/^EIO: i\/o error while writing records 1-4/);
    expect(statSync(path).size).toBe(0);
    await sink.write(b!);
    expect(seqsInFile(path)).toEqual([1, 2, 3, 4]);
  });

  it("when cutting back fails too, the next write cuts first: the trail never carries half a batch", async () => {
    const path = join(dirOf(), "audit.jsonl");
    let truncations = 0;
    const failing = failingWrite(sysError("ENOSPC", "no space left on device"), 60);
    const sink = new FileSink(path, {
      io: {
        ...failing.io,
        truncate: async (fd, size) => {
          if (++truncations === 1) throw sysError("EIO", "i/o error");
          ftruncateSync(fd, size);
        },
      },
    });
    const [a, b] = batches("c", [2, 2]);
    await expect(sink.write(a!)).rejects.toThrow(/cutting the file back to byte 0 failed too \(EIO: i\/o error\): the next write cuts it first/);
    expect(statSync(path).size).toBe(60); // half a batch, for now
    await sink.write(a!);
    await sink.write(b!);
    expect(seqsInFile(path)).toEqual([1, 2, 3, 4]);
    expect(verifyFile(path).ok).toBe(true);
  });

  it("another process appended while the batch failed: its bytes are not cut away, and the error says why", async () => {
    const path = join(dirOf(), "audit.jsonl");
    let first = true;
    const sink = new FileSink(path, {
      io: {
        write: async (fd, data, offset) => {
          if (!first) throw sysError("ENOSPC", "no space left on device");
          first = false;
          const n = writeSync(fd, data, offset, 30);
          appendFileSync(path, "x".repeat(11)); // a second writer, which the sink cannot rule out
          return n;
        },
      },
    });
    await expect(sink.write(batches("c", [2])[0]!)).rejects.toThrow(
      /the file is 41 bytes, not 0\+30: another process writes to it, so it was not cut back \(one writer per file\)/,
    );
    expect(statSync(path).size).toBe(41);
  });
});

describe("FileSink.write: a retry of a batch already in the file is not appended again", () => {
  it("the same batch again (the first attempt landed after the caller gave up on it): nothing appended", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const sink = new FileSink(path);
    const [a, b] = batches("c", [3, 2]);
    await sink.write(a!);
    await sink.write(a!);
    await sink.write(b!);
    await sink.write(b!);
    expect(seqsInFile(path)).toEqual([1, 2, 3, 4, 5]);
    expect(verifyFile(path)).toMatchObject({ ok: true, chains: [{ records: 5, checkpoints: 2 }] });
  });

  it("a deadline that passed before the batch's turn: not started, and the retry lands it once", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const sink = new FileSink(path);
    const [a, b] = batches("c", [3, 2]);
    const deadline = new AbortController();
    const first = sink.write(a!);
    const late = sink.write(b!, { signal: deadline.signal });
    deadline.abort(new Error("deadline of 5000 ms exceeded"));
    await first;
    await expect(late).rejects.toThrow(/^records 4-5 not started: deadline of 5000 ms exceeded/);
    await sink.write(b!);
    expect(seqsInFile(path)).toEqual([1, 2, 3, 4, 5]);
  });

  it("an older batch retried after a newer one landed: recognized, not appended", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const sink = new FileSink(path);
    const [a, b] = batches("c", [3, 2]);
    await Promise.all([sink.write(a!), sink.write(b!), sink.write(a!)]);
    expect(seqsInFile(path)).toEqual([1, 2, 3, 4, 5]);
  });

  it("a retry that grew (the failed batch merged with later records): only the records not yet in the file are appended", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const sink = new FileSink(path);
    const [a, b] = batches("c", [3, 2]);
    await sink.write(a!);
    const grown: AuditBatch = { ...b!, firstSeq: 1, records: [...a!.records, ...b!.records] };
    await sink.write(grown);
    expect(seqsInFile(path)).toEqual([1, 2, 3, 4, 5]);
    expect(verifyFile(path).ok).toBe(true);
  });

  it("a batch reusing seqs already in the file with other records (a fork of the chain) is refused", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const sink = new FileSink(path);
    await sink.write(batches("c", [3])[0]!);
    const fork = batches("c", [1, 2])[1]!; // seqs 2-3, other times, other hashes
    await expect(sink.write(fork)).rejects.toThrow(/overlaps records already in .* \(up to seq 3\) and is not a retry of them: not written/);
    expect(seqsInFile(path)).toEqual([1, 2, 3]);
  });
});

describe("FileSink rotation (maxBytes)", () => {
  it("rotates after a whole batch once the file reaches maxBytes; the chain verifies across the files, oldest first", async () => {
    const dir = dirOf();
    const path = join(dir, "audit.jsonl");
    const sink = new FileSink(path, { maxBytes: 4096 });
    for (const b of batches("rot", Array(30).fill(3))) await sink.write(b);
    const rotated = readdirSync(dir).filter((n) => n !== "audit.jsonl");
    expect(rotated.length).toBeGreaterThanOrEqual(3);
    const lines = (await auditFiles(path)).flatMap(fileLines);
    expect(verifyLines(asLines(lines))).toMatchObject({ ok: true, chains: [{ records: 90, checkpoints: 30 }] });
    // every rotated file ends with a checkpoint: rotation never splits a batch
    for (const n of rotated) expect(JSON.parse(fileLines(join(dir, n)).at(-1)!).type).toBe("checkpoint");
  });
});

/** A trail of whole batches in `format`, then `torn` appended by hand (what a crash leaves). */
function tornFile(format: AuditFormat, torn: (next: AuditBatch) => string): { path: string; whole: number; text: string } {
  const path = join(dirOf(), "audit.jsonl");
  const [a, b, next] = batches("crashed", [2, 3, 4]);
  const whole = [a!, b!].flatMap((x) => batchLines(x, format)).join("\n") + "\n";
  const text = whole + torn(next!);
  writeFileSync(path, text);
  return { path, whole: Buffer.byteLength(whole), text };
}

/** The records of a batch as lines, without their checkpoint, the last one cut mid-JSON with no "\n". */
const recordsCutMidLine = (format: AuditFormat) => (next: AuditBatch) => {
  const lines = batchLines(next, format).slice(0, -1);
  const last = lines.pop()!;
  return lines.join("\n") + "\n" + last.slice(0, Math.floor(last.length / 2));
};

describe("recoverAuditFile: a torn tail is moved aside at start-up", () => {
  const cases: Array<[string, AuditFormat, (next: AuditBatch) => string, number, string]> = [
    ["records without their checkpoint, the last line cut mid-JSON (kill -9 mid-batch)", "json", recordsCutMidLine("json"), 3, "chain crashed seq 6-8"],
    ["the same in OCSF (the checkpoint is an event carrying unmapped.safeclaw)", "ocsf", recordsCutMidLine("ocsf"), 3, "chain crashed seq 6-8"],
    [
      "whole record lines, no checkpoint after them (the disk filled before it)",
      "json",
      (n) => batchLines(n, "json").slice(0, -1).join("\n") + "\n",
      4,
      "chain crashed seq 6-9",
    ],
    ["only the checkpoint cut short", "ocsf", (n) => batchLines(n, "ocsf").join("\n").slice(0, -10), 4, "chain crashed seq 6-9"],
    ["a cut line alone (a few bytes of the first record)", "json", (n) => batchLines(n, "json")[0]!.slice(0, 12), 0, "no complete record line"],
  ];
  it.each(cases)("%s (%s)", async (_name, format, torn, records, seqs) => {
    const { path, whole, text } = tornFile(format, torn);
    const r = await recoverAuditFile(path, { now: () => new Date("2026-12-02T01:30:00.123Z") });
    const size = Buffer.byteLength(text);
    expect(r).toMatchObject({ bytes: [whole, size], movedTo: `${path}.torn-20261202T013000123Z`, records });
    expect(r.notice).toMatchObject({ type: "notice", notice: "torn-tail-quarantined", file: path, bytes: [whole, size], movedTo: r.movedTo });
    expect(r.notice!.message).toContain(`bytes [${whole}, ${size}) of ${path}`);
    expect(r.notice!.message).toContain(seqs);
    expect(readFileSync(r.movedTo!, "utf8")).toBe(text.slice(whole)); // byte for byte (ASCII here)
    expect(statSync(path).size).toBe(whole);
    expect(verifyFile(path)).toMatchObject({ ok: true, chains: [{ records: 5, checkpoints: 2 }] });
    expect(await lastChainHead(path)).toMatchObject({ chain: "crashed", seq: 5 });
  });

  it("a whole trail is left alone (and so is a missing or empty file)", async () => {
    const { path, text } = tornFile("json", () => "");
    expect(await recoverAuditFile(path)).toEqual({ records: 0 });
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(await recoverAuditFile(join(dirOf(), "none.jsonl"))).toEqual({ records: 0 });
    const empty = join(dirOf(), "empty.jsonl");
    writeFileSync(empty, "");
    expect(await recoverAuditFile(empty)).toEqual({ records: 0 });
  });

  it("the very first batch torn (no checkpoint anywhere): the whole batch moves, the file is left empty", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const text = recordsCutMidLine("json")(batches("first", [3])[0]!);
    writeFileSync(path, text);
    const r = await recoverAuditFile(path);
    expect(r).toMatchObject({ bytes: [0, Buffer.byteLength(text)], records: 2 });
    expect(statSync(path).size).toBe(0);
  });

  it("a second tail at the same millisecond gets its own file", async () => {
    const now = () => new Date("2026-12-02T01:30:00.123Z");
    const { path } = tornFile("json", recordsCutMidLine("json"));
    const first = await recoverAuditFile(path, { now });
    appendFileSync(path, '{"v":1,"chain":"crashed","se');
    const second = await recoverAuditFile(path, { now });
    expect(second.movedTo).toBe(`${first.movedTo}-1`);
    expect(existsSync(first.movedTo!)).toBe(true);
  });

  it("a batch larger than the window read: only the cut line moves, and the notice says the records before it stay unvouched", async () => {
    const { path, whole } = tornFile("json", recordsCutMidLine("json"));
    const r = await recoverAuditFile(path, { maxScanBytes: 700 });
    expect(r.bytes![0]).toBeGreaterThan(whole);
    expect(r.notice!.message).toMatch(
      /no checkpoint in the last 700 bytes \(a batch larger than the window recovery reads\), so the \d complete record lines? read before byte \d+ \(chain crashed seq [\d-]+\) stay in the file without a checkpoint vouching for them/,
    );
    expect(verifyFile(path).ok).toBe(true);
  });

  it("another writer's batch in flight (the tail changes while looked at) is not taken for a torn tail", async () => {
    const path = join(dirOf(), "audit.jsonl");
    const [a, b] = batches("busy", [2, 3]);
    const whole = batchLines(a!, "json").join("\n") + "\n";
    const inFlight = batchLines(b!, "json").join("\n") + "\n";
    writeFileSync(path, whole + inFlight.slice(0, 100));
    setTimeout(() => appendFileSync(path, inFlight.slice(100)), 5); // the other process's write completes
    const r = await recoverAuditFile(path, { settleMs: 200 });
    expect(r).toEqual({ records: 0 });
    expect(readFileSync(path, "utf8")).toBe(whole + inFlight);
    expect(readdirSync(dirname(path))).toEqual(["audit.jsonl"]);
  });

  it("a file with no line end in the window is not a trail this sink wrote: refused, left as it is", async () => {
    const path = join(dirOf(), "audit.jsonl");
    writeFileSync(path, "x".repeat(5000));
    await expect(recoverAuditFile(path, { maxScanBytes: 1000 })).rejects.toThrow(/no line end in its last 1000 bytes: not an audit trail this sink wrote/);
    expect(statSync(path).size).toBe(5000);
  });
});
