/**
 * Bounds on the work one command line may cause, so that a 64 KB request of
 * any shape is decided in well under a millisecond or two: every recursion
 * has a depth limit, and text that is parsed again (a `bash -c` script, an
 * `eval`, a here-document fed to a shell) draws on one budget of characters.
 * Exceeding a bound is `uncertain`, never a crash.
 */
export const MAX_NESTING = 24;
/** scripts inside scripts: `bash -c '... eval "..." ...'` */
export const MAX_SCRIPT_NESTING = 6;
/** commands that run commands: `sudo env timeout 5 nice ls` */
export const MAX_WRAPPERS = 8;
export const MAX_SIMPLE_COMMANDS = 256;
/** words (and here-document bodies) in one line, with the scripts inside it */
export const MAX_WORDS = 2048;
/** words a brace expansion may produce on one command */
export const MAX_BRACE_WORDS = 1024;
/** subjects one line may produce (after removing duplicates) */
export const MAX_SUBJECTS = 512;

/** Characters parsed in total, shared by every nested parse of one line. */
export class Budget {
  constructor(public remaining: number) {}

  static forLine(length: number): Budget {
    return new Budget(2 * length + 4096);
  }

  take(n: number): boolean {
    this.remaining -= n;
    return this.remaining >= 0;
  }
}
