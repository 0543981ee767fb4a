import { ANY, literals, NfaBuilder, NOT_SLASH, union, type Nfa } from "./automaton.js";
import { product } from "./automaton-products.js";
import { foldCase, foldInert } from "./fold.js";
import { NORMAL_PATHS } from "./path-domain.js";
import { template, type Hole, type Template, type TemplatePart } from "./template.js";

/**
 * The normalized absolute paths a path template can stand for, as an
 * automaton. A path template is the absolute path a command names before
 * lexical resolution (`/app/src/` + a glob hole + `.ts`). Its holes change
 * what resolution does, and this follows them soundly, erring on the side of
 * more paths (a larger set only ever makes a decision stricter):
 *
 * - an `any` hole can hold `/`, `..` and so climb anywhere: the set is every
 *   path; so is a template that does not start with a literal `/`;
 * - a segment with `segment` holes may come out empty or `.` (the segment
 *   vanishes) or `..` (it removes the one before); each such reading is a
 *   branch, and each branch is intersected with the normalized paths;
 * - a `below` hole (a directory walk's `**`) may hold `/` but only real names,
 *   so it stays where it is and its segments never vanish or climb; a step up
 *   after it (`..`) would remove an unknown number of them: every path;
 * - past `MAX_BRANCHES` readings, or when the automata grow too large: every path.
 *
 * Case-insensitive policies fold the literal text; a character next to a hole
 * whose fold could depend on the hole (a letter that could take a combining
 * accent from it, an accent that could join the hole's last letter) becomes
 * part of the hole.
 */
export const MAX_BRANCHES = 64;

const caches = { exact: new WeakMap<Template, Nfa>(), folded: new WeakMap<Template, Nfa>() };

export function pathTemplateNfa(t: Template, opts: { caseInsensitive?: boolean } = {}): Nfa {
  const ci = opts.caseInsensitive === true;
  const cache = ci ? caches.folded : caches.exact;
  let a = cache.get(t);
  if (!a) {
    a = build(ci ? foldTemplate(t) : t);
    cache.set(t, a);
  }
  return a;
}

type Atom = string | Hole;
/** one path segment of a template: literal text and segment holes */
type Seg = Atom[];

function build(t: Template): Nfa {
  const first = t[0];
  if (typeof first !== "string" || !first.startsWith("/")) return NORMAL_PATHS;
  if (t.some((p) => typeof p !== "string" && p.hole === "any")) return NORMAL_PATHS;
  const segments: Seg[] = [[]];
  for (const part of t) {
    if (typeof part !== "string") {
      segments[segments.length - 1]!.push(part);
      continue;
    }
    const pieces = part.split("/");
    pieces.forEach((piece, k) => {
      if (k > 0) segments.push([]);
      if (piece !== "") segments[segments.length - 1]!.push(piece);
    });
  }
  segments.shift(); // before the leading `/`
  const isBelow = (a: Atom) => typeof a !== "string" && a.hole === "below";
  const firstBelow = segments.findIndex((seg) => seg.some(isBelow));
  let climbsBelow = false;
  const branches: Seg[][] = [];
  const up = (k: number, stack: Seg[]): Seg[] | undefined => {
    if (firstBelow >= 0 && k > firstBelow) climbsBelow = true;
    return climbsBelow ? undefined : stack.slice(0, -1);
  };
  const walk = (k: number, stack: Seg[]): boolean => {
    if (k === segments.length) {
      branches.push(stack);
      return branches.length <= MAX_BRANCHES;
    }
    const seg = segments[k]!;
    const text = seg.filter((a): a is string => typeof a === "string").join("");
    const holed = seg.length > 0 && seg.some((a) => typeof a !== "string");
    if (!holed) {
      if (text === "" || text === ".") return walk(k + 1, stack);
      if (text === "..") {
        const parent = up(k, stack);
        return parent !== undefined && walk(k + 1, parent);
      }
      return walk(k + 1, [...stack, seg]);
    }
    // A holed segment: a proper name, or (when its literal text allows) nothing or a step up,
    // unless its holes are `name` or `below` holes, which never make it empty, `.` or `..`.
    if (!walk(k + 1, [...stack, seg])) return false;
    if (seg.some(isBelow) || seg.every((a) => typeof a === "string" || a.hole === "name")) return true;
    if ((text === "" || text === ".") && !walk(k + 1, stack)) return false;
    if (text === "" || text === "." || text === "..") {
      const parent = up(k, stack);
      if (parent === undefined || !walk(k + 1, parent)) return false;
    }
    return true;
  };
  if (!walk(0, []) || climbsBelow) return NORMAL_PATHS;
  const parts: Nfa[] = [];
  for (const br of branches) {
    if (br.length === 0) {
      parts.push(literals(["/"]));
      continue;
    }
    const b = new NfaBuilder();
    const s = b.state();
    let q = s;
    for (const seg of br) {
      q = b.literal(q, "/");
      for (const atom of seg) {
        if (typeof atom === "string") q = b.literal(q, atom);
        else {
          const loop = b.state();
          b.epsilon(q, loop);
          b.edges(loop, atom.hole === "below" ? ANY : NOT_SLASH, loop);
          q = loop;
        }
      }
    }
    b.accepting(q);
    const p = product(b.build(s), NORMAL_PATHS);
    if (!p) return NORMAL_PATHS;
    parts.push(p);
  }
  return union(parts);
}

const MARK = /\p{M}/u;
const HANGUL_VT = (cp: number) => cp >= 0x1160 && cp <= 0x11ff;
/** Hangul jamo and syllables: they compose with the jamo that follow them (`ᄀ` + `ᅡ` is `가`). */
const HANGUL = (cp: number) => (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xac00 && cp <= 0xd7a3);

/**
 * Folds the literal text of a template for a case-insensitive policy. Text
 * whose fold could change with what a neighbouring hole holds joins the hole:
 * before a hole, the last letter with its accents (unless it is inert ASCII)
 * and any Hangul before it; after a hole, leading accents and Hangul
 * vowel/final jamo.
 */
export function foldTemplate(t: Template): Template {
  const out: TemplatePart[] = [];
  for (let i = 0; i < t.length; i++) {
    const part = t[i]!;
    if (typeof part !== "string") {
      out.push(part);
      continue;
    }
    let cps = [...part];
    let lead: Hole | undefined;
    let trail: Hole | undefined;
    const prev = t[i - 1];
    const next = t[i + 1];
    if (prev !== undefined && typeof prev !== "string") {
      let k = 0;
      while (k < cps.length && (MARK.test(cps[k]!) || HANGUL_VT(cps[k]!.codePointAt(0)!))) k++;
      if (k > 0) {
        lead = { hole: prev.hole, source: cps.slice(0, k).join("") };
        cps = cps.slice(k);
      }
    }
    if (next !== undefined && typeof next !== "string" && cps.length > 0) {
      let k = cps.length;
      while (k > 0 && MARK.test(cps[k - 1]!)) k--;
      if (k > 0 && !foldInert(cps[k - 1]!.codePointAt(0)!)) k--;
      while (k > 0 && HANGUL(cps[k - 1]!.codePointAt(0)!)) k--;
      if (k < cps.length) {
        trail = { hole: next.hole, source: cps.slice(k).join("") };
        cps = cps.slice(0, k);
      }
    }
    if (lead) out.push(lead);
    out.push(foldCase(cps.join("")));
    if (trail) out.push(trail);
  }
  return template(out);
}

/**
 * The directory (segments) every value of a path template lies under: the
 * complete segments of its leading literal text, resolved, less one per later
 * segment that could step up (`..`, or a holed segment whose literal text is
 * all dots). Root when a hole could hold `/` or the template is not absolute.
 */
export function templateDirectory(t: Template): string[] {
  const head = t[0];
  if (typeof head !== "string" || !head.startsWith("/")) return [];
  if (t.some((p) => typeof p !== "string" && p.hole === "any")) return [];
  const pieces = head.split("/");
  const partial = t.length > 1 ? pieces.pop()! : ""; // the segment the first hole is in
  const dir: string[] = [];
  for (const seg of pieces) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") dir.pop();
    else dir.push(seg);
  }
  // Later segments: the partial one (with the first hole) and those after it.
  const later: string[][] = [[partial]];
  for (const part of t.slice(1)) {
    if (typeof part !== "string") {
      later[later.length - 1]!.push("\u0000hole");
      continue;
    }
    part.split("/").forEach((piece, k) => {
      if (k > 0) later.push([]);
      later[later.length - 1]!.push(piece);
    });
  }
  for (const seg of later) {
    const text = seg.filter((x) => x !== "\u0000hole").join("");
    const holed = seg.includes("\u0000hole");
    if (text === ".." || (holed && (text === "" || text === "."))) dir.pop();
  }
  return dir;
}
