import { OCSF_PRODUCT_NAME, ocsfAgreesWithRecord } from "./ocsf.js";
import { parseStrictJson } from "../request/strict-json.js";
import type { AuditRecord, Checkpoint } from "./record.js";

/**
 * What one line of a trail is: a record or a checkpoint (native, OCSF, or
 * wrapped by a log drain), a malformed or edited one, or other output.
 */
/** `edited`: the line's outer fields (an OCSF event) disagree with the record or checkpoint it carries. */
export type ParsedLine =
  | { kind: "record"; r: AuditRecord; edited?: string }
  | { kind: "checkpoint"; c: Checkpoint; edited?: string }
  | { kind: "other"; notJson?: true }
  | { kind: "malformed"; message: string };

export function parseAuditLine(text: string): ParsedLine {
  let v: unknown;
  let edited: string | undefined;
  // Read strictly: a duplicated key (`"decision":"allow","decision":"deny"`) hashes as its
  // last value and reads as its first to other consumers, so such a line was edited.
  const strict = parseStrictJson(text);
  if (strict.ok) v = strict.value;
  else if (strict.problem === "syntax") return { kind: "other", notJson: true };
  else {
    v = JSON.parse(text);
    edited = `the line is JSON with more than one reading (${strict.message}): it was edited`;
  }
  // Inside an OCSF event of ours: whatever it carries must be a record or checkpoint, never other output.
  let carried = false;
  const other = (): ParsedLine =>
    carried
      ? { kind: "malformed", message: "an OCSF event whose unmapped.safeclaw is not a record or checkpoint: a forged or damaged line" }
      : { kind: "other" };
  for (let depth = 0; depth < 3 && v !== null && typeof v === "object"; depth++) {
    const o = v as Record<string, unknown>;
    if (o.v === 1 && typeof o.chain === "string") {
      // seq counts from 1 (record.ts): any other number is no writer's, and would ask for a look-back no window answers.
      if (typeof o.seq === "number" && !isSeq(o.seq))
        return { kind: "malformed", message: `seq ${o.seq} is not a positive integer: no writer makes that line` };
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
      carried = true;
    } else if (typeof o.type === "string" && RECORD_TYPES.has(o.type)) {
      // Shaped like a record, without what makes one (chain, seq, prev, hash): a forgery, not other output.
      return { kind: "malformed", message: `a \`${o.type}\` line without v/chain/seq/hash: not a record of any chain (a forged or damaged line)` };
    } else if (o.class_uid === 6003 && (o.metadata as { product?: { name?: unknown } } | undefined)?.product?.name === OCSF_PRODUCT_NAME) {
      return { kind: "malformed", message: "an OCSF event of this product without the record it must carry (unmapped.safeclaw): a forged or damaged line" };
    } else if (typeof o.message === "string" || typeof o.log === "string") {
      // A log drain's wrapper: the original line is inside, read as strictly.
      if (typeof o.message === "string" && typeof o.log === "string" && twoAuditLines(o.message, o.log))
        edited ??= "the log drain's wrapper carries two different audit lines (in `message` and `log`): it was edited";
      const inner = parseStrictJson((typeof o.message === "string" ? o.message : o.log) as string);
      if (inner.ok) v = inner.value;
      else if (inner.problem === "syntax") return other();
      else {
        v = JSON.parse((typeof o.message === "string" ? o.message : o.log) as string);
        edited ??= `the line is JSON with more than one reading (${inner.message}): it was edited`;
      }
    } else return other();
  }
  return other();
}

/** Whether both texts are audit lines (records or checkpoints) and not the same one: a wrapper read one way by us and another by a reader of the other field. */
function twoAuditLines(a: string, b: string): boolean {
  const [x, y] = [parseAuditLine(a), parseAuditLine(b)];
  const link = (p: ParsedLine) => (p.kind === "record" ? p.r : p.kind === "checkpoint" ? p.c : undefined);
  const [lx, ly] = [link(x), link(y)];
  return lx !== undefined && ly !== undefined && JSON.stringify(lx) !== JSON.stringify(ly);
}

function isSeq(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1;
}

const RECORD_TYPES: ReadonlySet<string> = new Set(["decision", "chain-start", "notice", "checkpoint"]);
