import type { ShellName } from "./shims.js";

/**
 * Turns one xtrace record (PS4 marker already removed, trailing newline kept
 * off) into the words of the simple command it shows. bash and zsh quote the
 * words they print (`'a b'`, `'it'\''s'`, `$'\n'`, zsh's `$'\C-A'`), so their
 * records are unquoted here; dash prints words raw, so a dash record is only
 * the words joined by one space, which is exactly the engine's own form.
 */
export interface TraceRecord {
  /** words of the command, assignments stripped (bash/zsh); undefined for dash */
  words?: string[];
  /** the command as the engine writes commands: words joined by one space */
  text: string;
  /** assignments printed before the command (zsh) or alone (bash/zsh/dash bare `x=1`) */
  assignments: string[];
  kind: "command" | "assignment" | "keyword";
}

const ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const KEYWORD_HEADS = new Set(["for", "select", "case", "[[", "((", "while", "until", "if", "function", "coproc", "repeat", "foreach"]);

export function parseRecord(shell: ShellName, raw: string, mark: string): TraceRecord {
  if (shell === "dash") {
    const text = raw;
    const first = text.split(" ")[0] ?? "";
    if (ASSIGN.test(first) && text.split(" ").every((w) => ASSIGN.test(w))) return { text, assignments: text.split(" "), kind: "assignment" };
    return { text, assignments: [], kind: "command" };
  }
  // zsh prints prefix assignments, then the marker again, then the command
  let assignPart = "";
  let cmdPart = raw;
  const again = raw.indexOf(" " + mark);
  if (shell === "zsh" && again >= 0) {
    assignPart = raw.slice(0, again);
    cmdPart = raw.slice(again + 1 + mark.length);
  }
  if (/^\(\(/.test(cmdPart.trimStart())) return { text: cmdPart, assignments: [], kind: "keyword" };
  // an array assignment `a=(1 2)` is printed as written
  if (/^[A-Za-z_][A-Za-z0-9_]*\+?=\(/.test(cmdPart.trimStart())) return { text: cmdPart, assignments: [cmdPart], kind: "assignment" };
  const words = unquoteWords(cmdPart) ?? [cmdPart];
  const assignments = (assignPart ? (unquoteWords(assignPart) ?? [assignPart]) : []).filter((w) => w !== "");
  while (words.length && ASSIGN.test(words[0]!) && !(shell === "zsh" && assignPart)) assignments.push(words.shift()!);
  if (words.length === 0 || (words.length === 1 && words[0] === "")) return { text: assignments.join(" "), assignments, kind: "assignment" };
  if (KEYWORD_HEADS.has(words[0]!)) return { text: words.join(" "), words, assignments, kind: "keyword" };
  return { text: words.join(" "), words, assignments, kind: "command" };
}

/** Is a bash/zsh record complete (its quotes closed)? */
export function quotesClosed(raw: string): boolean {
  return unquoteWords(raw) !== undefined;
}

/** Splits printed words and removes the printer's quoting; undefined when a quote is open. */
export function unquoteWords(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " && !inWord) {
      i++;
      continue;
    }
    if (c === " ") {
      out.push(cur);
      cur = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === "$" && s[i + 1] === "'") {
      const r = ansiC(s, i + 2);
      if (!r) return undefined;
      cur += r.text;
      i = r.end;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function ansiC(s: string, i: number): { text: string; end: number } | undefined {
  let out = "";
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") return { text: out, end: i + 1 };
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      a: "\x07",
      b: "\b",
      e: "\x1b",
      E: "\x1b",
      f: "\f",
      v: "\v",
      "\\": "\\",
      "'": "'",
      '"': '"',
      "?": "?",
    };
    if (e === undefined) return undefined;
    if (simple[e] !== undefined) out += simple[e];
    else if (e === "x" || e === "u" || e === "U") {
      const m = new RegExp(`^[0-9a-fA-F]{1,${e === "x" ? 2 : e === "u" ? 4 : 8}}`).exec(s.slice(i));
      if (!m) return undefined;
      out += e === "x" ? String.fromCharCode(parseInt(m[0], 16)) : String.fromCodePoint(parseInt(m[0], 16));
      i += m[0].length;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{0,2}/.exec(s.slice(i))!;
      out += String.fromCharCode(parseInt(e + m[0], 8) & 255);
      i += m[0].length;
    } else if (e === "C" && s[i] === "-") {
      // zsh: \C-A is control-A, \C-? is DEL
      const ch = s[i + 1] ?? "";
      out += ch === "?" ? "\x7f" : String.fromCharCode(ch.toUpperCase().charCodeAt(0) & 31);
      i += 2;
    } else if (e === "M" && s[i] === "-") {
      // zsh: \M-x is x with the high bit set (a raw byte)
      const rest = s.slice(i + 1);
      if (rest.startsWith("\\C-")) {
        const ch = rest[3] ?? "";
        out += String.fromCharCode(128 | (ch === "?" ? 0x7f : ch.toUpperCase().charCodeAt(0) & 31));
        i += 5;
      } else {
        out += String.fromCharCode(128 | (rest.charCodeAt(0) & 127));
        i += 2;
      }
    } else out += "\\" + e;
  }
  return undefined;
}
