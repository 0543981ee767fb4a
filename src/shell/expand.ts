import { template, type TemplatePart } from "../match/template.js";
import type { List, Part, Word } from "./ast.js";
import { anyHole, type Field } from "./fields.js";

/**
 * Word expansion as far as it can be done before the command runs. Literal
 * text stays text; every expansion whose value is only known at run time
 * (`$X`, `${X:-a}`, `$(...)`, backticks, `$((...))`, `~`, globs, `$'...'`,
 * whose value dash and bash disagree on) becomes a hole. Two things are known
 * statically and expanded: brace expansion (brace.ts) and the output of a
 * `cat` that copies a literal here-document (`"$(cat <<'EOF' ... EOF)"`,
 * the way agents write commit messages).
 *
 * The caller learns, through `visit`, which parameters are read (environment
 * reads) and which command lists run inside the word (substitutions).
 */
export interface Visitor {
  params(names: readonly string[]): void;
  /** variables an arithmetic expansion evaluates (bash evaluates their values as arithmetic too) */
  arithmetic?(names: readonly string[]): void;
  commands(body: List, kind: "substitution" | "process"): void;
}

// `_opts.assignmentValue`: callers say when a word is an assignment value; it is expanded as a word (globbed, split), which only over-approximates
export function expandWord(w: Word, visit: Visitor, _opts: { assignmentValue?: boolean } = {}): Field {
  // the common case first: one literal part with nothing special in it
  if (w.parts.length === 1) {
    const p = w.parts[0]!;
    if (p.k === "lit" && (p.quoted || !SPECIAL_UNQUOTED.test(p.text))) {
      const t = p.text === "" ? [] : [p.text];
      return { t, path: t, split: false, vanish: false, src: w.src, text: p.text };
    }
  }
  const t: TemplatePart[] = [];
  const path: TemplatePart[] = [];
  let split = false;
  let ifs = false; // an unquoted expansion: IFS splitting can make any words of it
  let vanish = w.parts.length > 0;
  let procsub = false;
  const both = (p: TemplatePart) => {
    t.push(p);
    path.push(p);
  };
  w.parts.forEach((p, index) => {
    if (p.k !== "param" && p.k !== "cmd" && p.k !== "arith") vanish = false;
    else if (p.quoted) vanish = false;
    switch (p.k) {
      case "lit":
        if (p.quoted) both(p.text);
        else if (literalUnquoted(p.text, index === 0, t, path, w.src)) split = true;
        break;
      case "param":
        visit.params(p.names);
        visitInner(p.inner, visit);
        both(anyHole(p.src));
        if (!p.quoted) split = ifs = true;
        break;
      case "arith":
        visit.params(p.names);
        visit.arithmetic?.(p.names);
        visitInner(p.inner, visit);
        both(anyHole(p.src));
        if (!p.quoted) split = ifs = true;
        break;
      case "cmd": {
        visit.commands(p.body, "substitution");
        const value = p.quoted ? staticOutput(p.body) : undefined;
        if (value !== undefined) both(value);
        else {
          both(anyHole(p.src));
          if (!p.quoted) split = ifs = true;
        }
        break;
      }
      case "procsub":
        visit.commands(p.body, "process");
        both(anyHole(p.src));
        procsub = true;
        break;
      case "ansic":
        both(anyHole(p.src));
        break;
    }
  });
  const f: Field = { t: template(t), path: template(path), split, vanish, src: w.src };
  if (split && !ifs) f.globOnly = true;
  if (procsub) f.procsub = true;
  if (f.t.every((x) => typeof x === "string") && f.path.every((x) => typeof x === "string")) f.text = (f.t as string[]).join("");
  return f;
}

const SPECIAL_UNQUOTED = /[*?~]|\[.*\]/;

function visitInner(parts: readonly Part[], visit: Visitor): void {
  for (const p of parts) {
    if (p.k === "cmd") visit.commands(p.body, "substitution");
    else if (p.k === "procsub") visit.commands(p.body, "process");
    else if (p.k === "param" || p.k === "arith") {
      // arithmetic nested in an operand (`${x:-$((N))}`) evaluates N's value too
      if (p.k === "arith") visit.arithmetic?.(p.names);
      visitInner(p.inner, visit);
    }
  }
}

/**
 * Unquoted literal text: globs become holes (any text as text; within one
 * path segment as a path, `**` across segments), a leading `~` (or one after
 * `=` or `:`, which bash expands in assignments and in `--opt=~/x`) becomes
 * a hole for the home directory. Returns true when it has a glob.
 */
function literalUnquoted(s: string, atStart: boolean, t: TemplatePart[], path: TemplatePart[], word: string): boolean {
  // `[` starts a bracket expression only when a `]` follows in the word (`[` alone, the test command, is text)
  const bracket = word.indexOf("]", word.indexOf("[") + 1) > 0;
  let glob = false;
  let lit = "";
  const flush = () => {
    if (lit) {
      t.push(lit);
      path.push(lit);
    }
    lit = "";
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const tildeHere = c === "~" && ((i === 0 && atStart) || (i > 0 && (s[i - 1] === "=" || s[i - 1] === ":")));
    if (tildeHere) {
      let j = i + 1;
      while (j < s.length && s[j] !== "/" && s[j] !== ":") j++;
      flush();
      const h = anyHole(s.slice(i, j));
      t.push(h);
      path.push(h);
      i = j - 1;
      continue;
    }
    if (c === "*" || c === "?" || (c === "[" && bracket)) {
      glob = true;
      flush();
      let j = i + 1;
      if (c === "*") while (s[j] === "*") j++;
      else if (c === "[") {
        const close = s.indexOf("]", i + 2);
        if (close > 0 && !s.slice(i, close).includes("/")) j = close + 1;
      }
      const globText = s.slice(i, j);
      t.push(anyHole(globText));
      path.push(c === "*" && j - i > 1 ? anyHole(globText) : { hole: c !== "[" && segmentNeverDots(path) ? "name" : "segment", source: globText });
      i = j - 1;
      continue;
    }
    lit += c;
  }
  flush();
  return glob;
}

/**
 * Whether a glob added to the path segment `path` ends in can never make that
 * segment `.` or `..`: bash (dotglob or not), dash and zsh never expand `*` or
 * `?` to `.` or `..` unless the segment starts with a literal `.`. So a glob
 * that starts the segment, or follows literal text that does not start with
 * `.`, gives a `name` hole; one after a hole or a leading `.` does not.
 */
function segmentNeverDots(path: readonly TemplatePart[]): boolean {
  let first: TemplatePart | undefined;
  for (let k = path.length - 1; k >= 0; k--) {
    const p = path[k]!;
    if (typeof p !== "string") {
      first = p;
      continue;
    }
    const slash = p.lastIndexOf("/");
    if (slash >= 0) {
      const rest = p.slice(slash + 1);
      if (rest !== "") first = rest;
      break;
    }
    first = p;
  }
  if (first === undefined) return true; // the glob starts the segment
  return typeof first === "string" && !first.startsWith(".");
}

/**
 * The output of `cat` copying a literal here-document or here-string, with
 * the trailing newlines a command substitution strips; undefined for any
 * other command list.
 */
export function staticOutput(body: List): string | undefined {
  const stdin = literalStdinOfBareCat(body);
  return stdin === undefined ? undefined : stdin.replace(/\n+$/, "");
}

/** The text a lone `cat` (no arguments) copies from a literal here-document or here-string. */
export function literalStdinOfBareCat(body: List): string | undefined {
  if (body.items.length !== 1) return undefined;
  const item = body.items[0]!;
  if (item.background || item.rest.length > 0 || item.first.negated || item.first.commands.length !== 1) return undefined;
  const c = item.first.commands[0]!;
  if (c.type !== "simple" || c.assignments.length > 0 || c.words.length !== 1 || c.redirects.length !== 1) return undefined;
  const w = c.words[0]!;
  if (w.src !== "cat") return undefined;
  return literalStdin(c.redirects[0]!);
}

/** The text a redirection feeds to stdin when it is literal (a quoted here-document, a quoted here-string). */
export function literalStdin(r: { op: string; target: Word; heredoc?: { text: string; literal: boolean; parts: Part[] } }): string | undefined {
  if ((r.op === "<<" || r.op === "<<-") && r.heredoc) {
    if (r.heredoc.literal) return r.heredoc.text;
    if (r.heredoc.parts.every((p) => p.k === "lit")) return r.heredoc.parts.map((p) => (p as { text: string }).text).join("");
    return undefined;
  }
  if (r.op === "<<<" && r.target.parts.every((p) => p.k === "lit" && (p.quoted || !/[*?[~{]/.test(p.text)))) {
    return r.target.parts.map((p) => (p as { text: string }).text).join("") + "\n";
  }
  return undefined;
}
