import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";
import { INIT_TEMPLATE } from "./init-template.js";

export const INIT_HELP = `usage: safeclaw init [dir]

Writes a deny-by-default safeclaw.config.yaml (with commented examples of every
action) into dir (default: the current directory). Never overwrites a file.

exit: 0 written, 1 the file already exists`;

export function initCommand(dir: string | undefined, io: Io): number {
  const target = join(resolve(io.cwd, dir ?? "."), "safeclaw.config.yaml");
  if (existsSync(target)) throw new CliExit(EXIT.invalid, `safeclaw init: ${target} already exists; not overwriting it`);
  mkdirSync(resolve(io.cwd, dir ?? "."), { recursive: true });
  writeFileSync(target, INIT_TEMPLATE, { flag: "wx" });
  io.stdout(`wrote ${target}`);
  return EXIT.ok;
}
