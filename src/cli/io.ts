import type { Readable } from "node:stream";

/** What a command may touch, passed in so commands are testable in-process. */
export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  stdin?: Readable;
  cwd: string;
}
