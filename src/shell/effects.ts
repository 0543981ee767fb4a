import type { Template } from "../match/template.js";

/**
 * What a command line does, as the engine checks it: every command it runs
 * (with the commands that wrappers, `sh -c`, `eval`, `trap` and `find -exec`
 * run), every file it names, every environment variable it reads and every
 * network destination it connects to. request/shell-subjects.ts turns these
 * into the subjects rules are tested against.
 */
export interface CommandAnalysis {
  execs: ExecEffect[];
  files: FileEffect[];
  env: EnvEffect[];
  net: NetEffect[];
}

export interface ExecEffect {
  /** the command's words joined by one space; holes where they are only known at run time */
  text: Template;
  /**
   * The command cannot touch anything (a bare `cat` copying a literal
   * here-document): deny rules still apply, but it needs no allow.
   */
  possible?: boolean;
}

/** Where a relative path is relative to. */
export type Base =
  /** the request's working directory */
  | { kind: "cwd" }
  /** a directory the line changed to (`cd src`): absolute, or relative to the request's cwd */
  | { kind: "dir"; dir: string }
  /** a directory only known at run time (`cd $X`) */
  | { kind: "unknown" };

export type FileOp = "read" | "write" | "delete";

export interface FileEffect {
  op: FileOp;
  path: Template;
  /** every directory the path may be relative to (one when the line does not `cd`) */
  bases: readonly Base[];
  /**
   * A word of a program the engine does not model that may name a file
   * (`jq -R . .env`): deny rules apply, the default does not.
   */
  possible?: boolean;
  /** the file and everything under it (`rm -r`, `cp -r`, `grep -r`) */
  tree?: boolean;
  /** the current directory used without being named (`ls`): without any cwd it is not checked */
  implicit?: boolean;
}

export interface EnvEffect {
  /** a variable name, or null for every variable (`env`, `printenv`, `set`) */
  key: string | null;
}

export interface NetEffect {
  /** a URL as written (curl, wget, git remotes), to be parsed like any network request */
  url?: string;
  /** a URL word of a program the engine does not model: deny rules apply, the default does not */
  possible?: boolean;
  /** or a host and port (`ssh host`, `nc host 80`, `/dev/tcp/host/80`) */
  host?: string;
  port?: number;
  scheme?: string;
}
