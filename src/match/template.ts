/**
 * A string only partly known before a command runs: literal text with holes
 * where the shell substitutes something at run time (`$X`, `${X:-a}`, `$(cmd)`,
 * a glob). A template stands for the set of strings its holes can produce, and
 * rules are applied to that set soundly:
 *
 * - a deny (or require_approval) rule applies when it MAY match: some string of
 *   the set matches it;
 * - an allow rule applies only when it MUST match: every string of the set
 *   matches it.
 *
 * So `terraform ${X:-destroy}` is caught by a deny on `terraform destroy*`,
 * and `cat src/*.ts` can be allowed by `/app/**` while `cat *` cannot be
 * allowed when a `**\/.env` deny could match a file `*` expands to.
 *
 * Holes over-approximate: a hole may stand for more strings than the shell
 * could produce (never fewer), which only ever makes a decision stricter.
 */
export type Hole =
  /** any string at all, including `/`, spaces and the empty string (a parameter or command substitution) */
  | { hole: "any"; source: string }
  /** any string without `/` (a glob `*`, `?` or `[...]` inside one path segment; dotfiles included, since dotglob may be on) */
  | { hole: "segment"; source: string }
  /**
   * like `segment`, and the path segment it stands in is a real directory entry:
   * never empty, `.` or `..` (a glob segment that does not start with a literal
   * `.`: bash, dash and zsh never expand `*` or `?*` to `.` or `..`)
   */
  | { hole: "name"; source: string }
  /**
   * names of existing entries joined by `/`, as a directory walk yields them
   * below the point the hole stands (`**`, every file below a directory a
   * recursive search reads): it may hold `/`, and no path segment it touches
   * is empty, `.` or `..`, so the path stays below what precedes it
   */
  | { hole: "below"; source: string };

export type TemplatePart = string | Hole;

/** Literal parts are never empty and never adjacent (see `template()`). */
export type Template = readonly TemplatePart[];

/** What a compiled field test answers for a template, in addition to `test` for plain strings. */
export interface TemplateTest {
  /** some string the template stands for passes the test */
  may(t: Template): boolean;
  /** every string the template stands for passes the test */
  must(t: Template): boolean;
}

export function isHole(p: TemplatePart): p is Hole {
  return typeof p !== "string";
}

/** Builds a template: joins adjacent literals, drops empty ones. */
export function template(parts: Iterable<TemplatePart>): Template {
  const out: TemplatePart[] = [];
  for (const p of parts) {
    if (typeof p === "string") {
      if (p === "") continue;
      const last = out[out.length - 1];
      if (typeof last === "string") out[out.length - 1] = last + p;
      else out.push(p);
    } else out.push(p);
  }
  return out;
}

/** True when the template has no hole: it is exactly one string. */
export function isConcrete(t: Template): boolean {
  return t.every((p) => typeof p === "string");
}

/** The one string of a concrete template, or undefined. */
export function concreteText(t: Template): string | undefined {
  return isConcrete(t) ? (t as readonly string[]).join("") : undefined;
}

/** How the template reads in a reason or an audit record: holes as the text the shell would substitute. */
export function templateSource(t: Template): string {
  return t.map((p) => (typeof p === "string" ? p : p.source)).join("");
}
