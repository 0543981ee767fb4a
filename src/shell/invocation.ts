import type { Base, FileOp, NetEffect } from "./effects.js";
import type { Field } from "./fields.js";

/**
 * One command about to run, as a program model sees it (programs.ts): its
 * name and arguments after expansion, where its stdin comes from, the
 * directories its relative paths may be relative to, and the analyzer to
 * report effects to and to hand the commands it runs.
 */
export interface Invocation {
  /** the program's name (a trusted path like `/usr/bin/git` is `git`) */
  name: string;
  /** the words after the name */
  args: readonly Field[];
  stdin: Stdin;
  bases: readonly Base[];
  /** wrappers passed through so far */
  wrappers: number;
  /** it runs in the shell itself (not in a child process), so `cd` and `eval` in it affect the shell */
  inShell: boolean;
  run: Runner;
}

export type Stdin =
  /** the agent's stdin, or nothing redirected */
  | { kind: "inherit" }
  /** the previous command of a pipeline, or a process substitution */
  | { kind: "pipe" }
  /** a here-document or here-string whose text is known */
  | { kind: "text"; text: string }
  /** a here-document or here-string with expansions */
  | { kind: "dynamic" }
  /** a file (`< x`) */
  | { kind: "file"; path: Field };

export interface Runner {
  /** a file the command reads, writes or deletes (relative to `bases`) */
  file(op: FileOp, f: Field, bases: readonly Base[], opts?: { tree?: boolean; possible?: boolean }): void;
  /** words that may name files, of a program whose use of them is not modelled */
  possibleFiles(fields: readonly Field[], bases: readonly Base[]): void;
  env(key: string | null): void;
  net(n: NetEffect): void;
  /**
   * The program runs another command with these words (a wrapper);
   * `assignments` (`env A=1 cmd`) are checked like `A=1 cmd`; `inShell` for
   * `command`/`builtin`, which run the command in the shell itself.
   */
  argv(fields: readonly Field[], from: Invocation, opts?: { bases?: readonly Base[]; stdin?: Stdin; inShell?: boolean; assignments?: readonly Field[] }): void;
  /** the program runs this text as a shell script (`sh -c`, `eval`); `inShell` for `eval` */
  script(text: Field | string, from: Invocation, opts?: { bases?: readonly Base[]; what?: string; inShell?: boolean }): void;
  /** a trap handler: runs in the shell at moments the engine cannot place */
  hook(text: Field, from: Invocation): void;
  /** the shell ran a script the engine cannot read (`source file`): its directory is unknown after it */
  forget(from: Invocation): void;
  /** `NAME=VALUE` given to a declaration builtin (`export A=1`): checked like the assignment `A=1` */
  assignment(word: Field, from: Invocation): void;
  /** the directories after changing into `dir` */
  chdir(bases: readonly Base[], dir: Field): Base[];
  /** refuse the whole line */
  uncertain(reason: string): never;
}

/** The result of a program model: whether it knew the program. */
export type Model = (inv: Invocation) => void;
