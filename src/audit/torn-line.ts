/**
 * Torn lines: what a write cut short leaves in a trail. A sink appends a batch
 * (its records, then its checkpoint) in one write; a crash or a full disk in
 * the middle leaves the start of a line without its end, and the next
 * process's first write may then be glued onto it on the same line:
 * `{"type":"decision",...,"v":1,"chain":"a","se{"type":"chain-start",...}`.
 *
 * A line "starts like an audit line" when it begins the way every line our
 * writers produce begins (a record `{"type":"`, a checkpoint `{"v":1,`, an OCSF
 * event `{"class_uid":6003,`), or is a beginning of one of those cut inside the
 * first key. Such a line that is not complete JSON is torn, not other output.
 * What a torn line may excuse is decided by the verifier (verify.ts), never here.
 */
const STARTS = ['{"type":"', '{"v":1,', '{"class_uid":6003,'] as const;

/** How many glued starts are tried on one line: bounds the work a hostile line can cause. */
const MAX_GLUE_ATTEMPTS = 16;

export interface TornLine {
  /** the chain the torn bytes name, when the cut came after the `chain` field (or OCSF `log_name`) */
  chain?: string;
  /** the seq they name, when the cut came after it */
  seq?: number;
  /** bytes of the torn part (UTF-8) */
  bytes: number;
  /** a complete audit line glued after the torn part, and where in the line it starts (in UTF-16 units) */
  glued?: { text: string; at: number };
}

export function startsLikeAuditLine(text: string): boolean {
  return STARTS.some((s) => text.startsWith(s) || (text.length < s.length && s.startsWith(text)));
}

/**
 * The torn reading of a line that is not JSON (the caller has checked that),
 * or undefined when it does not start like an audit line (other output).
 * `complete` says whether a suffix is a complete audit line (the caller's parser).
 */
export function tornLine(text: string, complete: (suffix: string) => boolean): TornLine | undefined {
  if (!startsLikeAuditLine(text)) return undefined;
  const glued = gluedLine(text, complete);
  const torn = glued ? text.slice(0, glued.at) : text;
  const out: TornLine = { bytes: utf8Length(torn) };
  const chain = /"(?:chain|log_name)":"([^"\\]{1,256})"/.exec(torn)?.[1];
  if (chain !== undefined) out.chain = chain;
  const seq = /"(?:seq|sequence)":(\d{1,15})[,}]/.exec(torn)?.[1];
  if (seq !== undefined) out.seq = Number(seq);
  if (glued) out.glued = glued;
  return out;
}

/** The earliest start of a complete audit line after position 0: the longest complete suffix, so a nested object is never taken for it. */
function gluedLine(text: string, complete: (suffix: string) => boolean): { text: string; at: number } | undefined {
  const starts: number[] = [];
  for (const s of STARTS) for (let i = text.indexOf(s, 1); i > 0; i = text.indexOf(s, i + 1)) starts.push(i);
  starts.sort((a, b) => a - b);
  for (const at of starts.slice(0, MAX_GLUE_ATTEMPTS)) {
    const suffix = text.slice(at);
    if (complete(suffix)) return { text: suffix, at };
  }
  return undefined;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
