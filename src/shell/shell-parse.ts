import type { AndOr, Command, HereDoc, List, Part, Pipeline, Redirect, SimpleCommand, Word } from "./ast.js";
import { Budget, MAX_NESTING, MAX_SIMPLE_COMMANDS, MAX_WORDS } from "./limits.js";

/**
 * Parses a command line into the syntax tree of the grammar the engine
 * accepts, or refuses it with a reason that says what to write instead.
 *
 * The grammar is the part of POSIX sh on which bash, dash and zsh agree
 * (checked against the real shells by test/shell-diff): simple commands with
 * assignments and redirections, pipelines, `&&`/`||`, `;`/`&`/newline lists,
 * `( )`, `{ }`, `if`, `while`/`until`, `for NAME in WORDS`, quotes, `$name`,
 * `${name}` with the plain operators, `$(...)`, backticks without
 * backslashes, `$((...))`, `$'...'`, here-documents and here-strings.
 * Whatever falls outside (a construct the shells read differently, or one of
 * bash's or zsh's own) is refused: one shell running more than the engine
 * saw is exactly the bypass this exists to prevent.
 */
export type ShellParse = { ok: true; list: List } | { ok: false; reason: string };

export class ShellSyntaxError extends Error {}

export interface ParseOptions {
  /** nesting already used by the caller (a script inside a script) */
  depth?: number;
  budget?: Budget;
  /** commands and words so far, shared by the scripts of one line */
  counter?: { commands: number; words: number };
}

export function parseShell(src: string, opts: ParseOptions = {}): ShellParse {
  try {
    return { ok: true, list: parseScript(src, opts.depth ?? 0, opts.budget ?? Budget.forLine(src.length), opts.counter ?? { commands: 0, words: 0 }) };
  } catch (e) {
    if (e instanceof ShellSyntaxError) return { ok: false, reason: e.message };
    if (e instanceof RangeError) return { ok: false, reason: "the command nests too deeply to check" };
    throw e;
  }
}

interface Counter {
  commands: number;
  words: number;
}

function parseScript(src: string, depth: number, budget: Budget, counter: Counter): List {
  if (!budget.take(src.length)) throw new ShellSyntaxError("the command line is too large to check (scripts inside scripts)");
  for (let k = 0; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if ((c < 0x20 && c !== 9 && c !== 10) || c === 0x7f) {
      throw new ShellSyntaxError(
        `control character U+${c.toString(16).toUpperCase().padStart(4, "0")} in the command; shells and terminals disagree on what it means, remove it`,
      );
    }
  }
  const p = new Parser(src, depth, budget, counter);
  const list = p.parseList(null);
  p.finish();
  return list;
}

/** characters that end a word */
const META = " \t\n;&|()<>";
const META_CHAR = new Uint8Array(128);
for (const c of META) META_CHAR[c.charCodeAt(0)] = 1;
const isMeta = (code: number) => code < 128 && META_CHAR[code] === 1;
/** characters reserved words are made of */
const RESERVED_CHAR = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyz{}![]") RESERVED_CHAR[c.charCodeAt(0)] = 1;
/** characters that are plain text inside an unquoted word */
const PLAIN_CHAR = new Uint8Array(128);
for (let c = 33; c < 127; c++) PLAIN_CHAR[c] = 1;
for (const c of META + "\\'\"$`") PLAIN_CHAR[c.charCodeAt(0)] = 0;
const RESERVED = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "for",
  "in",
  "{",
  "}",
  "!",
  "case",
  "esac",
  "select",
  "function",
  "coproc",
  "[[",
  "]]",
  "time",
  "repeat",
  "foreach",
  "end",
]);
/** reserved words that begin something the grammar does not model */
const REFUSED: Record<string, string> = {
  case: "`case` is not supported; write it as `if`/`elif` tests",
  esac: "`esac` without `case`",
  select: "`select` is not supported",
  function: "function definitions are not supported; write the commands out",
  coproc: "`coproc` is not supported",
  "[[": "`[[ ... ]]` is bash/zsh only (dash runs it as a command); use `[ ... ]` (test)",
  "]]": "`]]` without `[[`",
  foreach: "`foreach` is zsh only; use `for NAME in ...; do ...; done`",
  end: "`end` is a zsh reserved word; quote it",
};
const HEREDOC_DELIMITER = /^(?:[A-Za-z0-9_.-]+|'[A-Za-z0-9_.-]+'|"[A-Za-z0-9_.-]+"|\\[A-Za-z0-9_.-]+)$/;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPECIAL_PARAMS = "@*#?-$!0123456789";

interface PendingHeredoc {
  redirect: Redirect;
  delimiter: string;
  stripTabs: boolean;
  literal: boolean;
}

/**
 * One parser per script text. Nested constructs (`$(...)`, `( )`, bodies)
 * are parsed by the same parser at a deeper level; here-documents opened at
 * one level must have their bodies at that level (a here-document whose body
 * would start inside a `$(...)` is exactly where bash and dash disagree).
 */
class Parser {
  private i = 0;
  /** pending here-documents per nesting level of `$(...)` */
  private pending: PendingHeredoc[][] = [[]];
  /** `{ }` groups open around the current position (zsh closes them at a word ending in `}`) */
  private groups = 0;

  constructor(
    private readonly s: string,
    private depth: number,
    private readonly budget: Budget,
    private readonly counter: Counter,
  ) {}

  finish(): void {
    if (this.i < this.s.length) throw new ShellSyntaxError(`unexpected \`${this.s[this.i]}\``);
    const open = this.pending[0]!;
    if (open.length > 0) throw new ShellSyntaxError(`here-document \`${open[0]!.delimiter}\` has no body (it starts on the line after the command)`);
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) throw new ShellSyntaxError(`the command nests deeper than ${MAX_NESTING} levels`);
  }

  private leave(): void {
    this.depth--;
  }

  private get here(): PendingHeredoc[] {
    return this.pending[this.pending.length - 1]!;
  }

  private anyPendingOutside(): boolean {
    for (let k = 0; k < this.pending.length - 1; k++) if (this.pending[k]!.length > 0) return true;
    return false;
  }

  /** A newline that is not a list separator at the here-document's own level. */
  private newlineInside(what: string): void {
    if (this.pending.some((p) => p.length > 0)) {
      throw new ShellSyntaxError(
        `a newline inside ${what} while a here-document is open: bash and dash read its body from different lines; put the here-document on its own line`,
      );
    }
  }

  // ---- lists and commands ----

  /**
   * A list up to the end of input, a `)` (closer ")"), or one of the reserved
   * words in `until` at command position (the body of a compound command).
   */
  parseList(closer: ")" | null, until?: ReadonlySet<string>): List {
    this.enter();
    const items: AndOr[] = [];
    for (;;) {
      this.skipSeparatorsAndComments(closer === ")" && this.pending.length > 1);
      if (this.i >= this.s.length) {
        if (closer) throw new ShellSyntaxError("`(` or `$(` is not closed");
        if (until) throw new ShellSyntaxError(`expected \`${[...until].join("` or `")}\` before the end of the command`);
        break;
      }
      const c = this.s[this.i]!;
      if (c === ")") {
        if (closer !== ")") throw new ShellSyntaxError("unbalanced `)`");
        break;
      }
      if (until && until.has(this.peekReserved() ?? "")) break;
      const item = this.parseAndOr(closer, until);
      items.push(item);
      // separator
      this.skipBlanks();
      const d = this.s[this.i];
      if (d === ";") {
        if (this.s[this.i + 1] === ";" || this.s[this.i + 1] === "&" || this.s[this.i + 1] === "|")
          throw new ShellSyntaxError(`\`${this.s.slice(this.i, this.i + 2)}\` (case syntax) is not supported`);
        this.i++;
        this.requireCommandAfter(";");
      } else if (d === "&") {
        item.background = true;
        this.i++;
        this.requireCommandAfter("&");
      } else if (d === "\n" || d === undefined || d === ")" || d === "#") {
        // newline, end, closer or comment: handled at the top of the loop
      } else if (until && until.has(this.peekReserved() ?? "")) {
        throw new ShellSyntaxError(`\`${this.peekReserved()}\` must follow \`;\` or a newline`);
      } else {
        throw new ShellSyntaxError(`unexpected \`${d}\``);
      }
    }
    this.leave();
    return { items };
  }

  /** After `;` or `&` on the same line there must not be another separator. */
  private requireCommandAfter(sep: string): void {
    this.skipBlanks();
    const d = this.s[this.i];
    if (d === ";" || d === "&" || d === "|") throw new ShellSyntaxError(`\`${sep}\` followed by \`${d}\` is a syntax error`);
  }

  private skipSeparatorsAndComments(inSubstitution: boolean): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === " " || c === "\t") this.i++;
      else if (c === "\\" && this.s[this.i + 1] === "\n") {
        this.newlineInside("a line continuation");
        this.i += 2;
      } else if (c === "\n") {
        if (this.anyPendingOutside()) this.newlineInside("`$(...)`");
        this.i++;
        this.readHeredocBodies();
      } else if (c === "#") {
        if (inSubstitution || this.pending.length > 1) throw new ShellSyntaxError("a comment inside `$(...)`; remove it (shells disagree on where it ends)");
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      } else return;
    }
  }

  private skipBlanks(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === " " || c === "\t") this.i++;
      else if (c === "\\" && this.s[this.i + 1] === "\n") {
        this.newlineInside("a line continuation");
        this.i += 2;
      } else return;
    }
  }

  private skipBlanksAndNewlines(): void {
    for (;;) {
      this.skipBlanks();
      if (this.s[this.i] === "\n") {
        if (this.anyPendingOutside()) this.newlineInside("`$(...)`");
        this.i++;
        this.readHeredocBodies();
      } else if (this.s[this.i] === "#") {
        if (this.pending.length > 1) throw new ShellSyntaxError("a comment inside `$(...)`; remove it (shells disagree on where it ends)");
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      } else return;
    }
  }

  private parseAndOr(closer: ")" | null, until?: ReadonlySet<string>): AndOr {
    const first = this.parsePipeline(closer, until);
    const rest: AndOr["rest"] = [];
    for (;;) {
      this.skipBlanks();
      const op = this.s.startsWith("&&", this.i) ? "&&" : this.s.startsWith("||", this.i) ? "||" : undefined;
      if (!op) break;
      this.i += 2;
      this.skipBlanksAndNewlines();
      rest.push({ op, pipeline: this.parsePipeline(closer, until) });
    }
    return { first, rest, background: false };
  }

  private parsePipeline(closer: ")" | null, until?: ReadonlySet<string>): Pipeline {
    this.skipBlanks();
    let negated = false;
    if (this.peekReserved() === "!") {
      this.i++;
      negated = true;
      this.skipBlanks();
      if (this.peekReserved() === "!") throw new ShellSyntaxError("`! !` is not supported");
    }
    const commands: Command[] = [this.parseCommand(closer, until)];
    for (;;) {
      this.skipBlanks();
      if (this.s[this.i] !== "|" || this.s[this.i + 1] === "|") break;
      this.i += this.s[this.i + 1] === "&" ? 2 : 1;
      this.skipBlanksAndNewlines();
      commands.push(this.parseCommand(closer, until));
    }
    return { negated, commands };
  }

  /** The reserved word at the current position, if the next token is one. */
  private peekReserved(): string | undefined {
    const s = this.s;
    let j = this.i;
    // reserved words are short: look at most 8 characters ahead
    const end = Math.min(s.length, j + 9);
    while (j < end && RESERVED_CHAR[s.charCodeAt(j)] === 1) j++;
    return j === this.i ? undefined : this.reservedAt(j);
  }

  private reservedAt(j: number): string | undefined {
    const s = this.s;
    if (j < s.length && !isMeta(s.charCodeAt(j))) return undefined;
    const w = s.slice(this.i, j);
    return RESERVED.has(w) ? w : undefined;
  }

  private expectReserved(word: string): void {
    this.skipBlanksAndNewlines();
    if (this.peekReserved() !== word) throw new ShellSyntaxError(`expected \`${word}\``);
    this.i += word.length;
  }

  private parseCommand(closer: ")" | null, until?: ReadonlySet<string>): Command {
    this.skipBlanks();
    const s = this.s;
    const c = s[this.i];
    if (c === undefined || c === "\n" || c === ";" || c === "&" || c === "|" || c === ")") {
      throw new ShellSyntaxError(c === undefined || c === "\n" ? "a command is missing (after `|`, `&&`, `||` or `!`)" : `unexpected \`${c}\``);
    }
    if (++this.counter.commands > MAX_SIMPLE_COMMANDS) throw new ShellSyntaxError(`more than ${MAX_SIMPLE_COMMANDS} commands in one line`);
    if (c === "(") {
      if (s[this.i + 1] === "(") throw new ShellSyntaxError("arithmetic commands `((...))` are not supported; use `[ ... ]` or `$((...))` in a word");
      this.i++;
      const body = this.parseList(")");
      this.i++; // `)`
      this.requireNonEmpty(body, "`( )`");
      return this.compoundTail({ type: "subshell", body, redirects: [] });
    }
    const r = this.peekReserved();
    if (r !== undefined) {
      const refused = REFUSED[r];
      if (refused) throw new ShellSyntaxError(refused);
      switch (r) {
        case "{": {
          this.i++;
          this.groups++;
          const body = this.parseList(closer, new Set(["}"]));
          this.groups--;
          this.expectReserved("}");
          this.requireNonEmpty(body, "`{ }`");
          return this.compoundTail({ type: "group", body, redirects: [] });
        }
        case "if":
          return this.parseIf();
        case "while":
        case "until": {
          this.i += r.length;
          const condition = this.parseList(null, new Set(["do"]));
          this.requireNonEmpty(condition, `\`${r}\``);
          this.expectReserved("do");
          const body = this.parseList(null, new Set(["done"]));
          this.requireNonEmpty(body, "`do ... done`");
          this.expectReserved("done");
          return this.compoundTail({ type: "loop", until: r === "until", condition, body, redirects: [] });
        }
        case "for":
          return this.parseFor();
        case "time":
        case "repeat":
          break; // a command (a wrapper in the command model)
        default:
          if (until?.has(r) || r === "then" || r === "else" || r === "elif" || r === "fi" || r === "do" || r === "done" || r === "}" || r === "in") {
            throw new ShellSyntaxError(`unexpected \`${r}\``);
          }
      }
    }
    return this.parseSimple();
  }

  private requireNonEmpty(l: List, what: string): void {
    if (l.items.length === 0) throw new ShellSyntaxError(`${what} with no command in it is a syntax error`);
  }

  private parseIf(): Command {
    this.i += 2;
    const branches: Array<{ condition: List; body: List }> = [];
    let otherwise: List | undefined;
    for (;;) {
      const condition = this.parseList(null, new Set(["then"]));
      this.requireNonEmpty(condition, "`if`");
      this.expectReserved("then");
      const body = this.parseList(null, new Set(["elif", "else", "fi"]));
      this.requireNonEmpty(body, "`then`");
      branches.push({ condition, body });
      this.skipBlanksAndNewlines();
      const next = this.peekReserved();
      this.i += next!.length;
      if (next === "elif") continue;
      if (next === "else") {
        otherwise = this.parseList(null, new Set(["fi"]));
        this.requireNonEmpty(otherwise, "`else`");
        this.expectReserved("fi");
      }
      break;
    }
    const cmd: Command = { type: "if", branches, redirects: [] };
    if (otherwise) cmd.otherwise = otherwise;
    return this.compoundTail(cmd);
  }

  private parseFor(): Command {
    this.i += 3;
    this.skipBlanks();
    NAME.lastIndex = this.i;
    const m = NAME.exec(this.s);
    if (!m)
      throw new ShellSyntaxError(this.s.startsWith("((", this.i) ? "`for ((...))` is not supported; use `for NAME in WORDS`" : "`for` needs a variable name");
    this.i += m[0].length;
    if (this.i < this.s.length && !META.includes(this.s[this.i]!)) throw new ShellSyntaxError("`for` needs a plain variable name");
    this.skipBlanksAndNewlines();
    if (this.peekReserved() !== "in") {
      throw new ShellSyntaxError(
        "`for NAME do` / `for NAME;` (looping over the arguments) is read differently by shells; write `for NAME in WORDS; do ...; done`",
      );
    }
    this.i += 2;
    const items: Word[] = [];
    for (;;) {
      this.skipBlanks();
      const c = this.s[this.i];
      if (c === ";" || c === "\n") break;
      if (c === undefined || META.includes(c)) throw new ShellSyntaxError("`for NAME in WORDS` must end with `;` or a newline before `do`");
      items.push(this.parseWord());
    }
    if (this.s[this.i] === ";") this.i++;
    this.expectReserved("do");
    const body = this.parseList(null, new Set(["done"]));
    this.requireNonEmpty(body, "`do ... done`");
    this.expectReserved("done");
    return this.compoundTail({ type: "for", name: m[0], items, body, redirects: [] });
  }

  /** After a compound command only redirections may follow. */
  private compoundTail<T extends Command>(cmd: T): T {
    for (;;) {
      this.skipBlanks();
      if (this.atRedirect()) {
        cmd.redirects.push(this.parseRedirect());
        continue;
      }
      const c = this.s[this.i];
      if (c === undefined || c === "\n" || c === ";" || c === "&" || c === "|" || c === ")" || c === "#") return cmd;
      throw new ShellSyntaxError(`a word after a compound command (\`${this.s.slice(this.i, this.i + 10)}\`) is a syntax error`);
    }
  }

  private parseSimple(): SimpleCommand {
    const cmd: SimpleCommand = { type: "simple", assignments: [], words: [], redirects: [] };
    const s = this.s;
    for (;;) {
      this.skipBlanks();
      const c = s[this.i];
      if (c === undefined || c === "\n" || c === ";" || c === "&" || c === "|" || c === ")") {
        if (c === "&" && s[this.i + 1] === ">") {
          cmd.redirects.push(this.parseRedirect());
          continue;
        }
        break;
      }
      if (c === "#") break;
      if (c === "(") {
        throw new ShellSyntaxError(
          cmd.words.length === 1 ? "function definitions are not supported; write the commands out" : "`(` inside a command is a syntax error (quote it)",
        );
      }
      if (this.atRedirect()) {
        cmd.redirects.push(this.parseRedirect());
        continue;
      }
      const start = this.i;
      if (cmd.redirects.some((r) => r.op === "&>" || r.op === "&>>")) {
        throw new ShellSyntaxError(
          "a word after `&>FILE`: dash reads `&` (run in the background) and starts a new command there; put `&>FILE` last, or write `>FILE 2>&1`",
        );
      }
      const w = this.parseWord();
      if (cmd.words.length === 0 && isAssignment(w)) {
        if (s[start] !== undefined && /[A-Za-z_]/.test(s[start])) {
          cmd.assignments.push(w);
          continue;
        }
      }
      if (cmd.words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.parts.map((p) => (p.k === "lit" ? p.text : "$")).join(""))) {
        throw new ShellSyntaxError(
          `\`${w.src}\` looks like an assignment but is quoted, so it is run as a command named \`NAME=...\`; unquote the name or quote the whole command differently`,
        );
      }
      if (
        cmd.words.length === 1 &&
        cmd.words[0]!.src === "time" &&
        w.parts.length === 1 &&
        w.parts[0]!.k === "lit" &&
        !w.parts[0]!.quoted &&
        RESERVED.has(w.src) &&
        w.src !== "time"
      ) {
        throw new ShellSyntaxError(
          `\`time ${w.src}\`: bash and zsh time a compound command, dash runs a program named \`${w.src}\`; time a simple command or a script`,
        );
      }
      const first = w.parts[0];
      const last = w.parts[w.parts.length - 1];
      if (cmd.words.length > 0 && w.parts.length === 1 && first!.k === "lit" && !first!.quoted && (w.src === "}" || w.src === "{")) {
        throw new ShellSyntaxError(`a bare \`${w.src}\` argument is read as a brace by zsh; quote it`);
      }
      if (cmd.words.length === 0 && first?.k === "lit" && !first.quoted && first.text.startsWith("{")) {
        throw new ShellSyntaxError(`zsh reads \`{\` at the start of a command (\`${w.src}\`) as a group; quote it or put a space after it`);
      }
      if (this.groups > 0 && last?.k === "lit" && !last.quoted && last.text.endsWith("}")) {
        throw new ShellSyntaxError(`inside \`{ ... }\`, zsh ends the group at a word ending in \`}\` (\`${w.src}\`); quote the \`}\``);
      }
      cmd.words.push(w);
    }
    if (cmd.words.length === 0 && cmd.assignments.length === 0 && cmd.redirects.length === 0) throw new ShellSyntaxError("empty command");
    if (cmd.words.length === 0 && cmd.redirects.length > 0) {
      throw new ShellSyntaxError("a command of only redirections runs `cat` (or a pager) in zsh; write `: > FILE` or `cat < FILE`");
    }
    return cmd;
  }

  // ---- redirections and here-documents ----

  private atRedirect(): boolean {
    const s = this.s;
    let j = this.i;
    while (j < s.length && s[j]! >= "0" && s[j]! <= "9") j++;
    const c = s[j];
    if (c === "<" || c === ">") {
      if (j === this.i && s[j + 1] === "(") return false; // process substitution: a word
      return true;
    }
    // `2&>1`: zsh reads a redirection of fd 2 (a command of only redirections, which runs
    // cat), bash and dash the command `2` run in the background; parseRedirect refuses it
    if (c === "&" && s[j + 1] === ">") return true;
    if (j === this.i && c === "{") {
      // `{fd}>file` (bash) is a word and a redirection to dash
      const close = s.indexOf("}", j);
      if (close > j && /^\{[A-Za-z_][A-Za-z0-9_]*\}[<>]/.test(s.slice(j, close + 2)))
        throw new ShellSyntaxError("`{name}>` file descriptor variables are bash only; use a number");
    }
    return false;
  }

  private parseRedirect(): Redirect {
    const s = this.s;
    const fdStart = this.i;
    while (s[this.i]! >= "0" && s[this.i]! <= "9") this.i++;
    let fd: number | undefined;
    if (this.i > fdStart) {
      if (this.i - fdStart > 1)
        throw new ShellSyntaxError(`file descriptor \`${s.slice(fdStart, this.i)}\`: dash and zsh read a number of more than one digit as a word; use 0-9`);
      fd = Number(s.slice(fdStart, this.i));
    }
    let op: Redirect["op"] | undefined;
    for (const candidate of ["&>>", "<<<", "<<-", "&>", ">>", ">|", ">&", "<&", "<>", "<<", "<", ">"] as const) {
      if (s.startsWith(candidate, this.i)) {
        op = candidate;
        break;
      }
    }
    if (!op) throw new ShellSyntaxError("bad redirection");
    if ((op === "&>" || op === "&>>") && fd !== undefined)
      throw new ShellSyntaxError(
        `\`${fd}${op}\`: zsh reads a redirection of fd ${fd}, bash and dash the word ${fd} then \`${op}\`; write \`${fd}>FILE\` or put a space before \`${op}\``,
      );
    this.i += op.length;
    if (op === "<" && /^[0-9]*-[0-9]*>/.test(s.slice(this.i))) throw new ShellSyntaxError("`<N-M>` is a number glob to zsh and redirections to bash; quote it");
    this.skipBlanks();
    const c = s[this.i];
    if (c === undefined || META.includes(c)) throw new ShellSyntaxError(`redirection \`${op}\` has no target`);
    if (c === "!" || (c === "|" && op.endsWith(">")))
      throw new ShellSyntaxError(`\`${op}${c}\` means "overwrite" to zsh and a file named \`${c}...\` to bash; use \`>|\` or quote the name`);
    const target = this.parseWord();
    const r: Redirect = { op, target };
    if (fd !== undefined) r.fd = fd;
    if (op === "<<" || op === "<<-") {
      if (!HEREDOC_DELIMITER.test(target.src)) {
        throw new ShellSyntaxError(`here-document delimiter \`${target.src}\`: use letters, digits, \`_\`, \`.\` or \`-\`, optionally in one pair of quotes`);
      }
      const literal = /['"\\]/.test(target.src);
      const delimiter = target.src.replace(/^['"\\]|['"]$/g, "");
      this.here.push({ redirect: r, delimiter, stripTabs: op === "<<-", literal });
    }
    return r;
  }

  /** At the start of a line: the bodies of the here-documents opened on the line before. */
  private readHeredocBodies(): void {
    const open = this.here;
    if (open.length === 0) return;
    const s = this.s;
    for (const h of open.splice(0)) {
      const lines: string[] = [];
      for (;;) {
        if (this.i >= s.length) throw new ShellSyntaxError(`here-document \`${h.delimiter}\` is not terminated (a line with only \`${h.delimiter}\`)`);
        let nl = s.indexOf("\n", this.i);
        if (nl < 0) nl = s.length;
        let line = s.slice(this.i, nl);
        this.i = nl < s.length ? nl + 1 : nl;
        if (h.stripTabs) line = line.replace(/^\t+/, "");
        if (line === h.delimiter) break;
        lines.push(line);
      }
      const text = lines.length > 0 ? lines.join("\n") + "\n" : "";
      const doc: HereDoc = { text, literal: h.literal, parts: [] };
      if (!h.literal) doc.parts = this.heredocParts(text);
      h.redirect.heredoc = doc;
    }
  }

  /** The expansions in an unquoted here-document body (it is read like a double-quoted string). */
  private heredocParts(text: string): Part[] {
    if (/\\\n/.test(text))
      throw new ShellSyntaxError(
        "a backslash at the end of a line in an unquoted here-document: shells join lines differently; quote the delimiter (`<<'EOF'`)",
      );
    const sub = new Parser(text, this.depth, this.budget, this.counter);
    if (!this.budget.take(text.length)) throw new ShellSyntaxError("the command line is too large to check");
    const parts: Part[] = [];
    sub.readQuotedRun(parts, "heredoc");
    return parts;
  }

  // ---- words ----

  parseWord(): Word {
    const s = this.s;
    const start = this.i;
    const parts: Part[] = [];
    if ((s[this.i] === "<" || s[this.i] === ">") && s[this.i + 1] === "(") {
      const dir = s[this.i];
      this.i += 2;
      this.pending.push([]);
      const body = this.parseList(")");
      this.closeSubstitution("`" + dir + "(...)`");
      this.i++;
      parts.push({ k: "procsub", src: s.slice(start, this.i), body });
      const n = s[this.i];
      if (n !== undefined && !META.includes(n)) throw new ShellSyntaxError("text right after a process substitution; separate it with a space");
      return { parts, src: s.slice(start, this.i) };
    }
    if (s[this.i] === "=" && this.i + 1 < s.length && !META.includes(s[this.i + 1]!)) {
      throw new ShellSyntaxError("a word starting with `=` is expanded to a command path by zsh; quote it");
    }
    let lit = "";
    const flush = () => {
      if (lit) parts.push({ k: "lit", text: lit, quoted: false });
      lit = "";
    };
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (META.includes(c)) {
        if ((c === "<" || c === ">") && s[this.i + 1] === "(") throw new ShellSyntaxError("a process substitution inside a word; separate it with a space");
        if (c === "(" && s[this.i + 1] === ")") throw new ShellSyntaxError("function definitions are not supported; write the commands out");
        if (c === "(")
          throw new ShellSyntaxError("`(` inside a word (a glob qualifier or pattern group to zsh and bash's extglob, a syntax error otherwise); quote it");
        break;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") {
          // bash joins the text around it before reading words: `2\<newline>>f` is `2>f`
          const after = s[this.i + 2];
          if (after !== undefined && after !== " " && after !== "\t" && after !== "\n")
            throw new ShellSyntaxError("a line continuation inside a word joins it with the next line; put a space before the backslash");
          this.newlineInside("a line continuation");
          this.i += 2;
          continue;
        }
        flush();
        if (n === undefined) throw new ShellSyntaxError("a backslash at the end of the command");
        parts.push({ k: "lit", text: n, quoted: true });
        this.i += 2;
      } else if (c === "'") {
        flush();
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated single quote");
        const text = s.slice(this.i + 1, end);
        if (text.includes("\n")) this.newlineInside("quotes");
        this.countWord();
        parts.push({ k: "lit", text, quoted: true });
        this.i = end + 1;
      } else if (c === '"') {
        flush();
        this.i++;
        this.readQuotedRun(parts, "double");
      } else if (c === "$") {
        flush();
        this.parseDollar(parts, false);
      } else if (c === "`") {
        flush();
        this.parseBacktick(parts, false);
      } else {
        // a run of plain characters at once
        let j = this.i + 1;
        while (j < s.length) {
          const code = s.charCodeAt(j);
          if (code < 128 ? PLAIN_CHAR[code] !== 1 : false) break;
          j++;
        }
        lit += s.slice(this.i, j);
        this.i = j;
      }
    }
    flush();
    this.countWord();
    return { parts, src: s.slice(start, this.i) };
  }

  /** Words and their parts are bounded per line (a 64 KB line of tiny words would otherwise be 30 000 of them). */
  private countWord(): void {
    if (++this.counter.words > MAX_WORDS) throw new ShellSyntaxError(`more than ${MAX_WORDS} words and expansions in one line; split it into smaller commands`);
  }

  /**
   * Inside double quotes (up to the closing `"`) or a here-document body (to
   * the end): `\` escapes only `$`, `` ` ``, `\`, newline (and `"` in double
   * quotes); `$` and backticks expand.
   */
  readQuotedRun(parts: Part[], mode: "double" | "heredoc"): void {
    const s = this.s;
    let lit = "";
    const flush = () => {
      if (lit) parts.push({ k: "lit", text: lit, quoted: true });
      lit = "";
    };
    for (;;) {
      const c = s[this.i];
      if (c === undefined) {
        if (mode === "double") throw new ShellSyntaxError("unterminated double quote");
        break;
      }
      if (c === '"' && mode === "double") {
        this.i++;
        break;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") {
          if (mode === "double")
            throw new ShellSyntaxError("a line continuation inside double quotes joins text in ways that change expansions; end the quote first");
          this.newlineInside("a line continuation");
          this.i += 2;
        } else if (n === "$" || n === "`" || n === "\\" || (n === '"' && mode === "double")) {
          lit += n;
          this.i += 2;
        } else {
          lit += c;
          this.i++;
        }
      } else if (c === "$") {
        flush();
        this.parseDollar(parts, true);
      } else if (c === "`") {
        flush();
        this.parseBacktick(parts, true);
      } else {
        let j = this.i;
        while (j < s.length) {
          const d = s[j];
          if (d === "\\" || d === "$" || d === "`" || (d === '"' && mode === "double")) break;
          if (d === "\n" && mode === "double") this.newlineInside("quotes");
          j++;
        }
        lit += s.slice(this.i, j);
        this.i = j;
      }
    }
    flush();
  }

  private parseDollar(parts: Part[], quoted: boolean): void {
    const s = this.s;
    const start = this.i;
    const n = s[this.i + 1];
    if (n === "'" && !quoted) {
      this.parseAnsiC(parts);
      return;
    }
    if (n === '"' && !quoted) throw new ShellSyntaxError('`$"..."` is a translated string to bash and `$` plus a string to dash; drop the `$`');
    if (n === "(") {
      if (s[this.i + 2] === "(") {
        this.parseArithmetic(parts, quoted);
        return;
      }
      this.i += 2;
      this.pending.push([]);
      const body = this.parseList(")");
      this.closeSubstitution("`$(...)`");
      this.i++;
      parts.push({ k: "cmd", src: s.slice(start, this.i), body, quoted });
      return;
    }
    if (n === "{") {
      this.parseBraceParam(parts, quoted);
      return;
    }
    if (n === "[") throw new ShellSyntaxError("`$[...]` is old bash arithmetic and text to dash; use `$((...))`");
    if (n === "\\" && s[this.i + 2] === "\n")
      throw new ShellSyntaxError("a line continuation after `$` joins it with the next line; write the expansion on one line");
    if (n !== undefined && /[A-Za-z_]/.test(n)) {
      NAME.lastIndex = this.i + 1;
      const m = NAME.exec(s)!;
      this.i += 1 + m[0].length;
      this.pushParam(parts, start, [m[0]], quoted);
      return;
    }
    if (n !== undefined && SPECIAL_PARAMS.includes(n)) {
      this.i += 2;
      this.pushParam(parts, start, [], quoted);
      return;
    }
    // A `$` that starts nothing is a literal dollar in every shell.
    if (n === undefined || META.includes(n) || '/.,:%}]\\"'.includes(n) || (quoted && n === "'")) {
      parts.push({ k: "lit", text: "$", quoted: true });
      this.i++;
      return;
    }
    throw new ShellSyntaxError(`\`$${n}\` is read differently by bash and zsh; quote the \`$\``);
  }

  /**
   * `$name` unbraced. zsh reads `$x[1]`, `$x:h` and `$10` as one expansion
   * (bash reads `$x` then text), so text that follows such a parameter is
   * swallowed into it: the result is unknown either way.
   */
  private pushParam(parts: Part[], start: number, names: string[], quoted: boolean): void {
    this.countWord();
    const s = this.s;
    const special = names.length === 0;
    const next = s[this.i];
    const greedy = next === "[" || next === ":" || (special && next !== undefined && /[A-Za-z0-9_#]/.test(next));
    if (greedy) {
      // swallow to the end of the word (or of the quoted run), parsing what runs
      const scratch: Part[] = [];
      this.readGreedyTail(scratch, quoted);
      parts.push({ k: "param", src: s.slice(start, this.i), names, inner: scratch, quoted });
      return;
    }
    parts.push({ k: "param", src: s.slice(start, this.i), names, inner: [], quoted });
  }

  private readGreedyTail(into: Part[], quoted: boolean): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (quoted ? c === '"' : META.includes(c)) break;
      if (c === "\\") {
        if (s[this.i + 1] === "\n") this.newlineInside("a line continuation");
        this.i += 2;
      } else if (c === "'" && !quoted) {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated single quote");
        this.i = end + 1;
      } else if (c === '"' && !quoted) {
        this.i++;
        this.readQuotedRun(into, "double");
      } else if (c === "$") this.parseDollar(into, quoted);
      else if (c === "`") this.parseBacktick(into, quoted);
      else if (c === "\n") {
        this.newlineInside("quotes");
        this.i++;
      } else this.i++;
    }
  }

  /** `${...}`: plain names and operators, operands without quotes or backslashes. */
  private parseBraceParam(parts: Part[], quoted: boolean): void {
    const s = this.s;
    const start = this.i;
    this.i += 2;
    let c = s[this.i];
    let length = false;
    if (c === "#" && s[this.i + 1] !== "}") {
      length = true;
      this.i++;
      c = s[this.i];
    }
    let name: string | undefined;
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      NAME.lastIndex = this.i;
      name = NAME.exec(s)![0];
      this.i += name.length;
    } else if (c !== undefined && /[0-9]/.test(c)) {
      while (/[0-9]/.test(s[this.i] ?? "")) this.i++;
    } else if (c !== undefined && SPECIAL_PARAMS.includes(c)) {
      this.i++;
    } else {
      throw new ShellSyntaxError(
        c === "!"
          ? "`${!...}` (indirection) is bash only; name the variable"
          : `\`\${${c ?? ""}\` is not a plain parameter (zsh flags and bash indirection are not supported)`,
      );
    }
    const names = name ? [name] : [];
    const inner: Part[] = [];
    if (s[this.i] === "}") {
      this.i++;
      parts.push({ k: "param", src: s.slice(start, this.i), names, inner, quoted });
      return;
    }
    if (length) throw new ShellSyntaxError("`${#name...}` with an operator is not supported");
    const op2 = s.slice(this.i, this.i + 2);
    const op1 = s[this.i]!;
    if (op1 === "[") throw new ShellSyntaxError("arrays (`${name[...]}`) are not supported");
    if (op2 === ":=" || op1 === "=") throw new ShellSyntaxError("`${name:=...}` assigns while expanding; write the assignment as its own command");
    if (op1 === "@") throw new ShellSyntaxError("`${name@...}` transformations are bash only (`@P` runs command substitutions in the value); leave them out");
    if ([":-", ":+", ":?", "##", "%%", "//", "/#", "/%", "^^", ",,"].includes(op2)) this.i += 2;
    else if ("-+?#%/:^,".includes(op1)) this.i += 1;
    else throw new ShellSyntaxError(`\`\${${name ?? ""}${op1}\` is not a supported parameter operator`);
    const substring = op1 === ":" && op2 !== ":-" && op2 !== ":+" && op2 !== ":?";
    // the operand
    for (;;) {
      const d = s[this.i];
      if (d === undefined) throw new ShellSyntaxError("unterminated `${`");
      if (d === "}") {
        this.i++;
        break;
      }
      if (d === "'" || d === '"' || d === "\\" || d === "`") {
        throw new ShellSyntaxError("quotes or backslashes inside `${...}` are read differently by bash, dash and zsh; assign the value to a variable first");
      }
      if (d === "{") throw new ShellSyntaxError("`{` inside `${...}` is read differently by the shells");
      if (d === "\n") throw new ShellSyntaxError("a newline inside `${...}`");
      // `${x:OFFSET:LENGTH}` is arithmetic: a name there is evaluated, and so is the text of an expansion
      // (`N='a[$(cmd)]'; ${x:$N}` runs cmd), so only literal numbers are read
      if (substring && (d === "$" || /[A-Za-z_]/.test(d)))
        throw new ShellSyntaxError(
          "`${name:offset:length}` evaluates its offset and length as arithmetic (a variable's value there can run commands); use numbers",
        );
      if (d === "$") this.parseDollar(inner, true);
      else this.i++;
    }
    for (const p of inner) if (p.k === "param" || p.k === "arith") names.push(...p.names);
    parts.push({ k: "param", src: s.slice(start, this.i), names, inner, quoted });
  }

  /**
   * `$((...))`: arithmetic on numbers and variable names. `$((` that is
   * really `$( (` (a subshell in a substitution) is refused: shells guess.
   */
  private parseArithmetic(parts: Part[], quoted: boolean): void {
    const s = this.s;
    const start = this.i;
    this.i += 3;
    let parens = 0;
    const names: string[] = [];
    const inner: Part[] = [];
    for (;;) {
      const c = s[this.i];
      if (c === undefined) throw new ShellSyntaxError("unterminated `$((`");
      if (c === "(") {
        parens++;
        this.i++;
      } else if (c === ")") {
        if (parens === 0) {
          if (s[this.i + 1] !== ")") throw new ShellSyntaxError("`$((` is not closed by `))` (if it is a subshell, write `$( (...) )`)");
          this.i += 2;
          break;
        }
        parens--;
        this.i++;
      } else if (c === "$") {
        this.parseDollar(inner, true);
      } else if (/[A-Za-z_]/.test(c)) {
        NAME.lastIndex = this.i;
        const m = NAME.exec(s)![0];
        names.push(m);
        this.i += m.length;
      } else if (/[0-9]/.test(c)) {
        while (/[0-9A-Za-z_#@]/.test(s[this.i] ?? "")) this.i++;
      } else if (" \t+-*/%<>=!&|^~?:,".includes(c)) {
        this.i++;
      } else {
        throw new ShellSyntaxError(`\`${c}\` inside \`$((...))\` is not supported (plain numbers, names and operators only)`);
      }
    }
    for (const p of inner) if (p.k === "param" || p.k === "arith") names.push(...p.names);
    parts.push({ k: "arith", src: s.slice(start, this.i), names, inner, quoted });
  }

  /**
   * Backticks: the first unescaped backtick ends them, and backslashes inside
   * are unescaped differently in and out of double quotes by each shell, so
   * backticks with a backslash inside are refused (write `$(...)`).
   */
  private parseBacktick(parts: Part[], quoted: boolean): void {
    const s = this.s;
    const start = this.i;
    const end = s.indexOf("`", this.i + 1);
    if (end < 0) throw new ShellSyntaxError("unterminated backtick");
    const inner = s.slice(this.i + 1, end);
    if (inner.includes("\\")) throw new ShellSyntaxError("a backslash inside backticks is unescaped differently by each shell; use `$(...)`");
    if (inner.includes("\n")) this.newlineInside("backticks");
    if (/<</.test(inner)) throw new ShellSyntaxError("a here-document inside backticks; use `$(...)`");
    this.enter();
    const body = parseScript(inner, this.depth, this.budget, this.counter);
    this.leave();
    this.i = end + 1;
    parts.push({ k: "cmd", src: s.slice(start, this.i), body, quoted });
  }

  /** Leaving `$(...)` or `<(...)`: its here-documents must have been read inside it. */
  private closeSubstitution(what: string): void {
    const open = this.pending.pop()!;
    if (open.length > 0)
      throw new ShellSyntaxError(
        `here-document \`${open[0]!.delimiter}\` inside ${what} has no body before the \`)\`; put its body on the lines after it, inside the parentheses`,
      );
  }

  /**
   * `$'...'`: bash and zsh decode C escapes; dash (0.5.12) reads a `$` and
   * an ordinary single-quoted string. Where the two readings end at
   * different quotes (`$'\''`) the line is refused; otherwise the word is
   * run-time text to the engine, since the shells give it different values.
   */
  private parseAnsiC(parts: Part[]): void {
    const s = this.s;
    const start = this.i;
    let j = this.i + 2;
    // the value is only a hole to the engine; only where the string ends matters (and that dash agrees)
    for (;;) {
      const q = s.indexOf("'", j);
      const b = s.indexOf("\\", j);
      if (q < 0) throw new ShellSyntaxError("unterminated `$'`");
      if (b >= 0 && b < q) {
        if (s[b + 1] === "'") throw new ShellSyntaxError("`\\'` inside `$'...'` ends the string for dash but not for bash; use `\"'\"` outside it");
        j = b + 2;
        continue;
      }
      j = q;
      break;
    }
    if (s.slice(start, j).includes("\n")) this.newlineInside("quotes");
    this.i = j + 1;
    this.countWord();
    parts.push({ k: "ansic", src: s.slice(start, this.i) });
  }
}

/** `NAME=...` with an unquoted name (a word the shell treats as an assignment). */
export function isAssignment(w: Word): boolean {
  const first = w.parts[0];
  if (!first || first.k !== "lit" || first.quoted) return false;
  const m = /^[A-Za-z_][A-Za-z0-9_]*(\+?)=/.exec(first.text);
  if (!m) {
    if (/^[A-Za-z_][A-Za-z0-9_]*\[/.test(first.text) && w.src.includes("="))
      throw new ShellSyntaxError("array assignments are bash only; assign a plain variable");
    return false;
  }
  if (m[1]) throw new ShellSyntaxError("`+=` is bash only (dash runs it as a command); write `NAME=$NAME...`");
  return true;
}
