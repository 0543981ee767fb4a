import { awk } from "./awk-program.js";
import { BUILTINS } from "./builtins.js";
import { WRAPPERS } from "./command-wrappers.js";
import { EDITORS } from "./editors.js";
import { FILE_PROGRAMS } from "./file-effects.js";
import { GIT } from "./git.js";
import type { Model } from "./invocation.js";
import { NETWORK_PROGRAMS } from "./network-programs.js";
import { sed } from "./sed-script.js";
import { SHELL_MODELS } from "./shells.js";
import { TAR } from "./tar.js";

/**
 * The program models, by name. A program without one is "unknown": every
 * word of it may name a file, so file deny rules still apply to them
 * (`jq`-like tools the table does not list, `docker`, `make`, `python`).
 * Interpreters with inline code (`python -c`, `node -e`, `perl -e`,
 * `ruby -e`) are unknown programs on purpose: their code is not analysed,
 * the command text (`python -c print(1)`) is what a policy decides on.
 */
const MODELS: Record<string, Model> = {
  ...FILE_PROGRAMS,
  ...BUILTINS,
  ...WRAPPERS,
  ...SHELL_MODELS,
  ...NETWORK_PROGRAMS,
  ...GIT,
  ...TAR,
  ...EDITORS,
  sed,
  gsed: sed,
  awk,
  gawk: awk,
  mawk: awk,
  nawk: awk,
};

/** Every program with a model (for tests). */
export const MODELLED_PROGRAMS: readonly string[] = Object.keys(MODELS);

export function modelFor(name: string): Model | undefined {
  return Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
}

/** Variables the shell sets itself: reading them is not reading the environment. */
export const SHELL_MAINTAINED: ReadonlySet<string> = new Set([
  "RANDOM",
  "LINENO",
  "SECONDS",
  "BASHPID",
  "PPID",
  "UID",
  "EUID",
  "REPLY",
  "OPTIND",
  "OPTARG",
  "OPTERR",
  "PIPESTATUS",
  "BASH_VERSION",
  "BASH_SOURCE",
  "BASH_LINENO",
  "FUNCNAME",
  "PWD",
  "OLDPWD",
  "SHLVL",
  "HOSTNAME",
  "HOSTTYPE",
  "OSTYPE",
  "MACHTYPE",
  "BASH",
  "BASH_SUBSHELL",
  "EPOCHSECONDS",
  "EPOCHREALTIME",
  "SRANDOM",
  "IFS",
  "PS1",
  "PS2",
  "PS4",
]);
