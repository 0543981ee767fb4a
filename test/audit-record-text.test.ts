import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { Chain } from "../src/audit/chain.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { decisionBody } from "../src/audit/record.js";
import { recordText } from "../src/audit/record-text.js";
import { verifyLines } from "../src/audit/verify.js";
import { canonicalJson } from "../src/crypto/canonical-json.js";
import { nodeSha256 } from "../src/runtime/node/audit-config.js";
import { sha256HexSync } from "../src/crypto/sha256.js";
import { asLines } from "./audit-helpers.js";

/**
 * The chain hashes records with a fast canonical JSON (record-text.ts) and,
 * on Node, node:crypto's SHA-256; the verifier uses the reference
 * canonicalJson and the pure-JS SHA-256. They must agree on every input.
 */

// Keys and strings from the whole UTF-16 range: lone surrogates, control characters, digits-only keys (which V8 orders first), __proto__.
const text = fc.oneof(fc.string({ unit: "binary" }), fc.string(), fc.constantFrom("", "__proto__", "0", "10", "9", "1e3", "é", "\u2028", "\ud800", "\udc00x"));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(text, tie("value"), { maxKeys: 6 }),
  ),
})).value;

function outcome(f: (v: unknown) => string, v: unknown): string {
  try {
    return "ok:" + f(v);
  } catch (e) {
    return `throws ${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

describe("recordText is the reference canonical JSON", () => {
  it("on generated values (the same text, or the same refusal)", () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(outcome(recordText, v)).toBe(outcome(canonicalJson, v));
      }),
      { numRuns: 3000 },
    );
  });

  it("on generated decision records", () => {
    const field = fc.option(text, { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({ action: field, path: field, url: field, command: field, agent: field, port: fc.option(fc.double(), { nil: undefined }), id: field }),
        text,
        (req, reason) => {
          const body = decisionBody(req, { decision: "deny", allowed: false, rule: null, reason, policy: "sha256:x" }, req.id);
          const r = { ...body, v: 1, chain: "c", seq: 7, time: "2026-12-02T00:00:00.000Z", prev: "0".repeat(64) };
          expect(recordText(r)).toBe(canonicalJson(r));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses what canonical JSON cannot represent", () => {
    expect(() => recordText({ a: Infinity })).toThrow(TypeError);
    expect(() => recordText([NaN])).toThrow(TypeError);
    expect(() => recordText({ f: () => 1 })).toThrow(TypeError);
    expect(() => recordText(undefined)).toThrow(TypeError);
    expect(() => recordText({ b: 10n })).toThrow(TypeError);
    expect(recordText({ b: 1, a: [undefined, "é"], c: undefined })).toBe('{"a":[null,"é"],"b":1}');
  });
});

describe("node:crypto's SHA-256 is the chain's", () => {
  it("on generated strings, lone surrogates included", () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(nodeSha256(s)).toBe(sha256HexSync(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("a trail written with it verifies with the reference", async () => {
    const lines: string[] = [];
    const log = new AuditLog({ sink: createLineSink((l) => void lines.push(l)), chainId: "native", policy: "sha256:p", sha256: nodeSha256 });
    // (A lone surrogate is left out here: the verifier reads a line holding one as edited, whichever hash wrote it.)
    const weird = ["/app/é\u2028", "a".repeat(3000), "Bearer abcdefghijkl", "\u{1F600}"];
    for (const path of weird)
      log.record(decisionBody({ action: "file.read", path }, { decision: "allow", allowed: true, rule: "r", reason: "ok", policy: "sha256:p" }, "id"));
    expect(await log.flush()).toBe(true);
    const r = verifyLines(asLines(lines));
    expect(r.ok).toBe(true);
    expect(r.chains[0]).toMatchObject({ records: weird.length + 1 });
    // and the same chain, hashed by the default (pure-JS) SHA-256, has the same hashes
    const a = new Chain("x", () => 0, nodeSha256).append(
      decisionBody({ path: weird[0] }, { decision: "deny", allowed: false, rule: null, reason: "r", policy: "p" }),
    );
    const b = new Chain("x", () => 0).append(decisionBody({ path: weird[0] }, { decision: "deny", allowed: false, rule: null, reason: "r", policy: "p" }));
    expect(a.hash).toBe(b.hash);
  });
});
