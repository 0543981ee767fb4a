/**
 * The syntax tree of the shell grammar the engine accepts (README "Shell
 * commands: what the engine understands"). It is the subset on which bash,
 * dash and zsh read a line the same way; the parser refuses everything else,
 * so a tree exists only for lines whose structure all three agree on.
 */

/** A list of and-or lists run one after the other (`;`, `&`, newline). */
export interface List {
  items: AndOr[];
}

export interface AndOr {
  first: Pipeline;
  rest: Array<{ op: "&&" | "||"; pipeline: Pipeline }>;
  /** ended by `&`: runs in the background, in a subshell */
  background: boolean;
}

export interface Pipeline {
  negated: boolean;
  commands: Command[];
}

export type Command = SimpleCommand | Compound;

export interface SimpleCommand {
  type: "simple";
  assignments: Word[];
  words: Word[];
  redirects: Redirect[];
}

export type Compound =
  | { type: "subshell"; body: List; redirects: Redirect[] }
  | { type: "group"; body: List; redirects: Redirect[] }
  | { type: "if"; branches: Array<{ condition: List; body: List }>; otherwise?: List; redirects: Redirect[] }
  | { type: "loop"; until: boolean; condition: List; body: List; redirects: Redirect[] }
  | { type: "for"; name: string; items: Word[]; body: List; redirects: Redirect[] };

export interface Redirect {
  /** the file descriptor written before the operator (`2>`), if any */
  fd?: number;
  op: "<" | ">" | ">>" | ">|" | "<>" | "&>" | "&>>" | ">&" | "<&" | "<<" | "<<-" | "<<<";
  /** the target word; for here-documents, the delimiter */
  target: Word;
  /** for `<<` and `<<-`: the body */
  heredoc?: HereDoc;
}

export interface HereDoc {
  /** the body as written (tabs already stripped for `<<-`) */
  text: string;
  /** the delimiter was quoted: the body is literal */
  literal: boolean;
  /** the body's expansions when not literal */
  parts: Part[];
}

/** One word as written: its parts, and where it is in the source. */
export interface Word {
  parts: Part[];
  /** the source text of the word, for reasons */
  src: string;
}

export type Part =
  /** text; `quoted` text has no glob, brace or tilde meaning */
  | { k: "lit"; text: string; quoted: boolean }
  /** `$name`, `${name...}`: `names` are the parameters it reads, `inner` the expansions of its operand */
  | { k: "param"; src: string; names: string[]; inner: Part[]; quoted: boolean }
  /** `$(...)` or backticks */
  | { k: "cmd"; src: string; body: List; quoted: boolean }
  /** `$((...))`: `names` are the variables it reads, `inner` the expansions inside */
  | { k: "arith"; src: string; names: string[]; inner: Part[]; quoted: boolean }
  /** `<(...)` or `>(...)` (bash, zsh): a pipe to a command */
  | { k: "procsub"; src: string; body: List }
  /** `$'...'`: bash and zsh decode it, dash reads `$` and a quoted string (so its value is a hole) */
  | { k: "ansic"; src: string };
