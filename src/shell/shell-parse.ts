/**
 * A deliberately conservative parser for POSIX/bash command lines. It finds
 * every simple command a line would run, including those inside `$(...)`,
 * backticks, `<(...)`, subshells, groups, `if`/`while` bodies and unquoted
 * here-documents, and removes quoting so `t'erraform' destroy` reads as
 * `terraform destroy`. Syntax whose effect it cannot know statically (`case`,
 * function definitions, `[[ ]]`, arithmetic commands, brace expansion, a
 * computed command name) is a parse failure, which callers must treat as deny.
 */
export interface Word {
  text: string;
  /** contains an expansion whose value is only known at run time */
  dynamic: boolean;
  /** contains unquoted glob characters (pathname expansion) */
  glob: boolean;
  /** contains unquoted brace expansion (`{a,b}` / `{1..3}`) */
  brace: boolean;
  /** any part of it was quoted or escaped (quoted words are never keywords) */
  quoted: boolean;
}

export interface Redirect {
  op: string;
  target: Word;
}

export interface SimpleCommand {
  assignments: Word[];
  words: Word[];
  redirects: Redirect[];
  /** text given on stdin by a here-document or here-string */
  stdin?: Word;
  /** stdin comes from the previous command of a pipeline */
  piped: boolean;
}

export type ShellParse = { ok: true; commands: SimpleCommand[] } | { ok: false; reason: string };

export const MAX_SHELL_DEPTH = 12;
export const MAX_SIMPLE_COMMANDS = 1000;

export class ShellSyntaxError extends Error {}

const META = " \t\n;&|()<>";
const IGNORED_KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"]);
const HEADER_KEYWORDS = new Set(["for", "select"]);
const UNSUPPORTED_KEYWORDS = new Set(["case", "esac", "function", "[[", "]]", "coproc"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;

export function parseShell(src: string, depth = 0): ShellParse {
  try {
    const out: SimpleCommand[] = [];
    new Parser(src, depth, out).parseScript();
    return { ok: true, commands: out };
  } catch (e) {
    if (e instanceof ShellSyntaxError) return { ok: false, reason: e.message };
    throw e;
  }
}

interface Builder {
  text: string;
  dynamic: boolean;
  glob: boolean;
  quoted: boolean;
}

interface PendingHeredoc {
  delim: string;
  stripTabs: boolean;
  literal: boolean;
  cmd: SimpleCommand;
}

class Parser {
  private i = 0;
  private pending: PendingHeredoc[] = [];

  constructor(
    private readonly src: string,
    private readonly depth: number,
    private readonly out: SimpleCommand[],
  ) {
    if (depth > MAX_SHELL_DEPTH) throw new ShellSyntaxError(`command nests deeper than ${MAX_SHELL_DEPTH} levels`);
  }

  parseScript(): void {
    this.parseList(null, this.depth);
    if (this.pending.length > 0) throw new ShellSyntaxError(`here-document \`${this.pending[0]!.delim}\` is not terminated`);
  }

  private emit(cmd: SimpleCommand): void {
    if (this.out.length >= MAX_SIMPLE_COMMANDS) throw new ShellSyntaxError(`more than ${MAX_SIMPLE_COMMANDS} commands`);
    this.out.push(cmd);
  }

  /** Parses commands until the end of input or the `)` that closes a nested list. */
  private parseList(closer: ")" | null, depth: number): void {
    if (depth > MAX_SHELL_DEPTH) throw new ShellSyntaxError(`command nests deeper than ${MAX_SHELL_DEPTH} levels`);
    const s = this.src;
    let cur: SimpleCommand | undefined;
    let discard = false; // `for x in ...` headers are not commands
    let piped = false;
    const finish = (nextPiped: boolean) => {
      if (cur && !discard && (cur.words.length || cur.assignments.length || cur.redirects.length)) this.emit(cur);
      cur = undefined;
      discard = false;
      piped = nextPiped;
    };
    const current = () => (cur ??= { assignments: [], words: [], redirects: [], piped });
    for (;;) {
      const c = s[this.i];
      if (c === undefined) {
        if (closer) throw new ShellSyntaxError("unterminated `(`");
        finish(false);
        return;
      }
      if (c === " " || c === "\t") {
        this.i++;
      } else if (c === "\\" && s[this.i + 1] === "\n") {
        this.i += 2;
      } else if (c === "\n") {
        finish(false);
        this.i++;
        this.readHeredocs();
      } else if (c === "#") {
        while (this.i < s.length && s[this.i] !== "\n") this.i++;
      } else if (c === ")") {
        if (closer !== ")") throw new ShellSyntaxError("unbalanced `)`");
        finish(false);
        this.i++;
        return;
      } else if (c === ";") {
        if (s[this.i + 1] === ";") throw new ShellSyntaxError("`;;` (case syntax) is not supported");
        finish(false);
        this.i++;
      } else if (c === "&" && s[this.i + 1] !== ">") {
        this.i += s[this.i + 1] === "&" ? 2 : 1;
        finish(false);
      } else if (c === "|") {
        const isOr = s[this.i + 1] === "|";
        this.i += isOr || s[this.i + 1] === "&" ? 2 : 1;
        finish(!isOr);
      } else if (c === "(") {
        if (cur && cur.words.length > 0) throw new ShellSyntaxError("function definitions are not supported");
        if (s[this.i + 1] === "(") throw new ShellSyntaxError("arithmetic commands `((...))` are not supported");
        finish(false);
        this.i++;
        this.parseList(")", depth + 1);
      } else if (this.atRedirect()) {
        this.parseRedirect(current());
      } else {
        const w = this.parseWord(depth);
        const cmd = current();
        if (cmd.words.length === 0 && !w.quoted) {
          if (cmd.assignments.length === 0 && IGNORED_KEYWORDS.has(w.text)) continue;
          if (UNSUPPORTED_KEYWORDS.has(w.text)) throw new ShellSyntaxError(`\`${w.text}\` is not supported`);
          if (cmd.assignments.length === 0 && HEADER_KEYWORDS.has(w.text)) discard = true;
          if (ASSIGNMENT.test(w.text) && !w.text.startsWith("=")) {
            cmd.assignments.push(w);
            continue;
          }
        }
        cmd.words.push(w);
      }
    }
  }

  private atRedirect(): boolean {
    const s = this.src;
    let j = this.i;
    while (j < s.length && s[j]! >= "0" && s[j]! <= "9") j++;
    const c = s[j];
    if (c === "<" || c === ">") return s[j + 1] !== "(" || j > this.i; // `<(` is process substitution
    return j === this.i && c === "&" && s[j + 1] === ">";
  }

  private parseRedirect(cmd: SimpleCommand): void {
    const s = this.src;
    while (s[this.i]! >= "0" && s[this.i]! <= "9") this.i++;
    let op = "";
    for (const candidate of ["&>>", "<<<", "<<-", "&>", ">>", ">|", ">&", "<&", "<>", "<<", "<", ">"]) {
      if (s.startsWith(candidate, this.i)) {
        op = candidate;
        break;
      }
    }
    this.i += op.length;
    while (s[this.i] === " " || s[this.i] === "\t") this.i++;
    if (this.i >= s.length || META.includes(s[this.i]!)) throw new ShellSyntaxError(`redirection \`${op}\` has no target`);
    const start = this.i;
    const target = this.parseWord(this.depth);
    if (op === "<<" || op === "<<-") {
      const literal = target.quoted || /["'\\]/.test(s.slice(start, this.i));
      this.pending.push({ delim: target.text, stripTabs: op === "<<-", literal, cmd });
      return;
    }
    if (op === "<<<") {
      cmd.stdin = target;
      return;
    }
    cmd.redirects.push({ op, target });
  }

  private readHeredocs(): void {
    const s = this.src;
    for (const h of this.pending.splice(0)) {
      let body = "";
      for (;;) {
        if (this.i >= s.length) throw new ShellSyntaxError(`here-document \`${h.delim}\` is not terminated`);
        let nl = s.indexOf("\n", this.i);
        if (nl < 0) nl = s.length;
        let line = s.slice(this.i, nl);
        this.i = Math.min(nl + 1, s.length);
        if (h.stripTabs) line = line.replace(/^\t+/, "");
        if (line === h.delim) break;
        body += line + "\n";
      }
      let dynamic = false;
      if (!h.literal) {
        // An unquoted here-document still runs `$(...)` and backticks.
        const scan = new Parser(body, this.depth + 1, this.out);
        dynamic = scan.scanExpansions();
      }
      h.cmd.stdin = { text: body, dynamic, glob: false, brace: false, quoted: true };
    }
  }

  /** Walks text that is not a command list but may contain expansions. */
  scanExpansions(): boolean {
    const b: Builder = { text: "", dynamic: false, glob: false, quoted: false };
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === "\\") this.i += 2;
      else if (c === "$") this.parseDollar(b, true, this.depth);
      else if (c === "`") this.parseBacktick(b, this.depth);
      else this.i++;
    }
    return b.dynamic;
  }

  private parseWord(depth: number): Word {
    const s = this.src;
    const b: Builder = { text: "", dynamic: false, glob: false, quoted: false };
    let braceDepth = 0;
    let braceSep = false;
    let brace = false;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if ((c === "<" || c === ">") && s[this.i + 1] === "(") {
        const start = this.i;
        this.i += 2;
        this.parseList(")", depth + 1);
        b.text += s.slice(start, this.i);
        b.dynamic = true;
        continue;
      }
      if (META.includes(c)) break;
      if (c === "\\") {
        if (s[this.i + 1] === "\n") {
          this.i += 2;
          continue;
        }
        b.text += s[this.i + 1] ?? "";
        b.quoted = true;
        this.i += 2;
      } else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated single quote");
        b.text += s.slice(this.i + 1, end);
        b.quoted = true;
        this.i = end + 1;
      } else if (c === '"') {
        this.parseDouble(b, depth);
      } else if (c === "$") {
        this.parseDollar(b, false, depth);
      } else if (c === "`") {
        this.parseBacktick(b, depth);
      } else {
        if (c === "*" || c === "?" || c === "[") b.glob = true;
        if (c === "{") braceDepth++;
        else if (c === "}" && braceDepth > 0) {
          if (braceSep) brace = true;
          braceDepth--;
        } else if (braceDepth > 0 && (c === "," || (c === "." && s[this.i + 1] === "."))) braceSep = true;
        b.text += c;
        this.i++;
      }
    }
    return { text: b.text, dynamic: b.dynamic, glob: b.glob, brace, quoted: b.quoted };
  }

  private parseDouble(b: Builder, depth: number): void {
    const s = this.src;
    b.quoted = true;
    this.i++;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) throw new ShellSyntaxError("unterminated double quote");
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") this.i += 2;
        else if (n === "$" || n === "`" || n === '"' || n === "\\") {
          b.text += n;
          this.i += 2;
        } else {
          b.text += c;
          this.i++;
        }
      } else if (c === "$") this.parseDollar(b, true, depth);
      else if (c === "`") this.parseBacktick(b, depth);
      else {
        b.text += c;
        this.i++;
      }
    }
  }

  private parseDollar(b: Builder, inDouble: boolean, depth: number): void {
    const s = this.src;
    const start = this.i;
    const n = s[this.i + 1];
    if (n === "'" && !inDouble) {
      this.i += 2;
      b.text += this.ansiC();
      b.quoted = true;
      return;
    }
    if (n === '"' && !inDouble) {
      this.i++;
      this.parseDouble(b, depth);
      return;
    }
    if (n === "(") {
      if (s[this.i + 2] === "(") this.parseArithmetic(depth);
      else {
        this.i += 2;
        this.parseList(")", depth + 1);
      }
    } else if (n === "{") {
      this.i += 2;
      this.parseParameter(depth);
    } else if (n !== undefined && /[A-Za-z_]/.test(n)) {
      this.i += 2;
      while (this.i < s.length && /[A-Za-z0-9_]/.test(s[this.i]!)) this.i++;
    } else if (n !== undefined && /[0-9@*#?$!-]/.test(n)) {
      this.i += 2;
    } else {
      b.text += "$";
      this.i++;
      return;
    }
    b.text += s.slice(start, this.i);
    b.dynamic = true;
  }

  /** `${...}`: may hold `$(...)`, backticks and quotes in its operands. */
  private parseParameter(depth: number): void {
    const s = this.src;
    const scratch: Builder = { text: "", dynamic: false, glob: false, quoted: false };
    for (;;) {
      const c = s[this.i];
      if (c === undefined) throw new ShellSyntaxError("unterminated `${`");
      if (c === "}") {
        this.i++;
        return;
      }
      if (c === "\\") this.i += 2;
      else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated single quote");
        this.i = end + 1;
      } else if (c === '"') this.parseDouble(scratch, depth);
      else if (c === "$") this.parseDollar(scratch, false, depth);
      else if (c === "`") this.parseBacktick(scratch, depth);
      else this.i++;
    }
  }

  /** `$((...))`: not a command, but command substitutions inside it still run. */
  private parseArithmetic(depth: number): void {
    const s = this.src;
    const scratch: Builder = { text: "", dynamic: false, glob: false, quoted: false };
    this.i += 3;
    let parens = 0;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) throw new ShellSyntaxError("unterminated `$((`");
      if (c === "(") parens++;
      else if (c === ")") {
        if (parens === 0) {
          if (s[this.i + 1] !== ")") throw new ShellSyntaxError("malformed `$((...))`");
          this.i += 2;
          return;
        }
        parens--;
      } else if (c === "$") {
        this.parseDollar(scratch, true, depth);
        continue;
      } else if (c === "`") {
        this.parseBacktick(scratch, depth);
        continue;
      }
      this.i++;
    }
  }

  private parseBacktick(b: Builder, depth: number): void {
    const s = this.src;
    const start = this.i;
    this.i++;
    let inner = "";
    for (;;) {
      const c = s[this.i];
      if (c === undefined) throw new ShellSyntaxError("unterminated backtick");
      if (c === "`") {
        this.i++;
        break;
      }
      if (c === "\\" && (s[this.i + 1] === "`" || s[this.i + 1] === "\\" || s[this.i + 1] === "$")) {
        inner += s[this.i + 1];
        this.i += 2;
      } else {
        inner += c;
        this.i++;
      }
    }
    new Parser(inner, depth + 1, this.out).parseScript();
    b.text += s.slice(start, this.i);
    b.dynamic = true;
  }

  /** `$'...'` with C escapes: `$'\x72m'` is `rm`, so it is decoded, not kept raw. */
  private ansiC(): string {
    const s = this.src;
    let out = "";
    for (;;) {
      const c = s[this.i];
      if (c === undefined) throw new ShellSyntaxError("unterminated `$'`");
      this.i++;
      if (c === "'") return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = s[this.i++];
      const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", e: "\x1b", E: "\x1b", f: "\f", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?" };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === "x" || e === "u" || e === "U") {
        const max = e === "x" ? 2 : e === "u" ? 4 : 8;
        const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(s.slice(this.i));
        if (!m) throw new ShellSyntaxError(`bad \`\\${e}\` escape in $'...'`);
        this.i += m[0].length;
        out += String.fromCodePoint(parseInt(m[0], 16));
      } else if (e !== undefined && e >= "0" && e <= "7") {
        const m = /^[0-7]{0,2}/.exec(s.slice(this.i))!;
        this.i += m[0].length;
        out += String.fromCharCode(parseInt(e + m[0], 8) & 255);
      } else {
        throw new ShellSyntaxError(`escape \`\\${e ?? ""}\` in $'...' is not supported`);
      }
    }
  }
}
