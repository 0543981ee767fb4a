/**
 * Literal text a regular expression cannot match without: for each top-level
 * alternative, the longest run of characters every match of that alternative
 * contains, in order and adjacent. The rule index (engine/factor-lists.ts)
 * files a `matches` rule under these, so a request whose value contains none
 * of them is known not to match without running the regex.
 *
 * The reading is deliberately partial: anything this scanner does not fully
 * understand (a flag group such as `(?i)`, `\Q…\E`, a letter escape) ends the
 * current run or gives up on the whole expression (undefined), and giving up
 * only means the rule is scanned for every request, as before. It never
 * claims a run that a match could lack: the property test in
 * test/factor-index.test.ts checks that against RE2 itself.
 */
export function requiredRegexLiterals(source: string): string[] | undefined {
  // Flags can make a literal match other text (`(?i)a` matches `A`): give up.
  if (source.includes("(?") && /\(\?[a-zA-Z-]*[:)]/.test(source.replace(/\(\?:/g, ""))) return undefined;
  if (source.includes("\\Q")) return undefined;
  const alternatives = splitTopLevel(source);
  if (alternatives === undefined) return undefined;
  const out: string[] = [];
  for (const alt of alternatives) {
    const best = longestRun(alt);
    if (best === undefined || best === "") return undefined;
    out.push(best);
  }
  return out;
}

/** Top-level `|` alternatives; undefined when brackets do not balance as far as this scanner can tell. */
function splitTopLevel(s: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "[") {
      const end = classEnd(s, i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth < 0) return undefined;
    } else if (c === "|" && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  out.push(s.slice(start));
  return out;
}

/** Index of the `]` closing the class opened at `open`, or -1. */
function classEnd(s: string, open: number): number {
  let i = open + 1;
  if (s[i] === "^") i++;
  if (s[i] === "]") i++; // a leading `]` is a member
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "[" && s[i + 1] === ":") {
      const close = s.indexOf(":]", i + 2);
      if (close < 0) return -1;
      i = close + 1;
    } else if (c === "]") return i;
  }
  return -1;
}

/** Index of the `)` closing the group opened at `open`, or -1. */
function groupEnd(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "[") {
      i = classEnd(s, i);
      if (i < 0) return -1;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

/**
 * Where a letter or digit escape starting at `i` ends: `\x{…}` / `\p{…}`, `\xHH`,
 * `\pL`, octal `\123`, else the two characters. Reading too far only makes the
 * escape swallow text that would otherwise count as literal, which is safe.
 */
function escapeEnd(s: string, i: number): number {
  const e = s[i + 1]!;
  if ((e === "x" || e === "p" || e === "P") && s[i + 2] === "{") {
    const close = s.indexOf("}", i + 3);
    return close < 0 ? -1 : close + 1;
  }
  if (e === "p" || e === "P") return i + 3;
  if (e === "x") return i + 4;
  if (/[0-7]/.test(e)) {
    let j = i + 2;
    while (j < i + 4 && /[0-7]/.test(s[j] ?? "")) j++;
    return j;
  }
  return i + 2;
}

const QUANTIFIER = /^(?:\*|\+|\?|\{(\d+)(?:,(\d*))?\})/;

/**
 * The longest run of literal code points that every match of `alt` contains.
 * Atoms are literal code points (a punctuation escape included) or opaque
 * (`.`, a class, a group, a letter escape, an anchor); an opaque atom ends the
 * run; a quantifier allowing zero takes its literal out of the run, and any
 * other quantifier ends the run after it.
 */
function longestRun(alt: string): string | undefined {
  let best = "";
  let run: string[] = [];
  const end = () => {
    const r = run.join("");
    if (r.length > best.length) best = r;
    run = [];
  };
  for (let i = 0; i < alt.length;) {
    const c = alt.codePointAt(i)!;
    const ch = String.fromCodePoint(c);
    let literal: string | undefined;
    let next = i + ch.length;
    if (ch === "\\") {
      const e = alt[i + 1];
      if (e === undefined) return undefined;
      // Only an escaped ASCII punctuation character is surely itself; letters and digits are classes, anchors or codes.
      if (/[!-/:-@[-`{-~]/.test(e)) {
        literal = e;
        next = i + 2;
      } else {
        const n = escapeEnd(alt, i);
        if (n < 0) return undefined;
        next = n;
      }
    } else if (ch === "[") {
      const close = classEnd(alt, i);
      if (close < 0) return undefined;
      next = close + 1;
    } else if (ch === "(") {
      const close = groupEnd(alt, i);
      if (close < 0) return undefined;
      next = close + 1;
    } else if (ch === "." || ch === "^" || ch === "$") {
      // opaque
    } else if (ch === "*" || ch === "+" || ch === "?" || ch === "{" || ch === ")" || ch === "|") {
      // a quantifier with nothing to repeat or a stray bracket: RE2 refuses most of these; stay out of it
      return undefined;
    } else literal = ch;
    const q = QUANTIFIER.exec(alt.slice(next, next + 24));
    if (q) {
      next += q[0].length;
      if (alt[next] === "?") next++; // lazy
      const min = q[0] === "+" ? 1 : q[1] !== undefined ? Number(q[1]) : 0;
      if (literal !== undefined && min >= 1) run.push(literal);
      end();
    } else if (literal !== undefined) run.push(literal);
    else end();
    i = next;
  }
  end();
  return best;
}
