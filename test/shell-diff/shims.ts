import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The only directory on PATH inside the sandbox. Three kinds of entries:
 * - shims: a dash script that appends its argv and cwd (NUL-separated) to
 *   /log/exec and exits 0 without output, so `rm -rf /` or `curl` do nothing
 *   and `$(cmd)` expands to the empty string everywhere, deterministically;
 * - real programs (symlinks) whose whole point is to run another command:
 *   env, timeout, xargs, find, flock, ... run for real, so what they exec is
 *   what the real tool execs (`env -S`, `flock -c`), seen by strace;
 * - models of the wrappers that cannot run unprivileged (sudo, su, doas):
 *   small scripts written from their manuals that run the command they name.
 * The shells themselves are symlinks too, so `bash -c '...'` really runs.
 */
export const SHELL_BINARIES = { bash: "/usr/bin/bash", dash: "/usr/bin/dash", zsh: "/usr/bin/zsh" } as const;
export type ShellName = keyof typeof SHELL_BINARIES;
export const SHELL_NAMES = Object.keys(SHELL_BINARIES) as ShellName[];

const REAL_PROGRAMS = ["env", "timeout", "nice", "nohup", "setsid", "stdbuf", "taskset", "ionice", "chrt", "xargs", "find", "flock"];

/** Names that get a recording shim. Builtins that also exist as programs are here so `env echo` finds one. */
export const SHIM_NAMES = [
  "rm",
  "git",
  "ls",
  "cat",
  "curl",
  "wget",
  "cp",
  "mv",
  "tee",
  "touch",
  "head",
  "tail",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "sed",
  "awk",
  "sort",
  "uniq",
  "wc",
  "cut",
  "tr",
  "chmod",
  "chown",
  "mkdir",
  "rmdir",
  "ln",
  "python",
  "python3",
  "node",
  "npm",
  "npx",
  "make",
  "terraform",
  "helm",
  "kubectl",
  "docker",
  "ssh",
  "scp",
  "nc",
  "base64",
  "xxd",
  "od",
  "diff",
  "less",
  "more",
  "file",
  "id",
  "whoami",
  "uname",
  "date",
  "sleep",
  "yes",
  "echo",
  "printf",
  "test",
  "[",
  "kill",
  "pwd",
  "true",
  "false",
  "time",
  "watch",
  "script",
  "strace",
  "ltrace",
  "unbuffer",
  "shred",
  "unlink",
  "truncate",
  "strings",
  "nl",
  "tac",
  "md5sum",
  "sha256sum",
  "bat",
  "hexdump",
  "cmp",
  "a",
  "b",
  "c",
  "x",
  "y",
  "f",
  "g",
  "cmd",
  "foo",
  "bar",
  "pwn",
  "evil",
  "ok",
  "run",
  "exec",
  "eval",
];

const SHIM = `#!/usr/bin/dash
# harness shim: record argv and cwd, do nothing, print nothing
printf '%s\\0' "$#" "$PWD" "$0" "$@" >>/log/exec 2>/dev/null
exit 0
`;

// sudo(8): options before the command; those listed take a value (attached or next word).
const SUDO_MODEL = `#!/usr/bin/dash
# model of sudo(8) option parsing: run the command as given (no privilege change)
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    --user=*|--group=*|--host=*|--prompt=*|--close-from=*|--chdir=*|--role=*|--type=*|--other-user=*|--command-timeout=*) shift ;;
    --user|--group|--host|--prompt|--close-from|--chdir|--role|--type|--other-user|--command-timeout) shift 2 ;;
    --shell|-s) shift; exec "\${SHELL:-/bin/sh}" -c "$*" ;;
    --*) shift ;;
    -*) opt="\${1#-}"; shift
        while [ -n "$opt" ]; do
          c="\${opt%"\${opt#?}"}"; opt="\${opt#?}"
          case "$c" in
            u|g|h|p|C|D|r|t|U|T) [ -z "$opt" ] && shift; opt="" ;;
            s) exec "\${SHELL:-/bin/sh}" -c "$*" ;;
          esac
        done ;;
    *=*) shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] && exec "$@"
exit 0
`;

// su(1) from util-linux: \`su [options] [-] [user [argument...]]\`, -c COMMAND runs \`$SHELL -c COMMAND\`.
const SU_MODEL = `#!/usr/bin/dash
# model of util-linux su(1): -c/--command runs the command with sh -c
cmd=""; have=0
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -c|--command|--session-command) cmd="$2"; have=1; shift 2 ;;
    --command=*|--session-command=*) cmd="\${1#*=}"; have=1; shift ;;
    -s|--shell|-g|--group|-G|--supp-group|-w|--whitelist-environment) shift 2 ;;
    -c*) cmd="\${1#-c}"; have=1; shift ;;
    -|-l|--login|-m|-p|--preserve-environment|-f|--fast|-P|--pty) shift ;;
    -*) shift ;;
    *) shift; break ;;
  esac
done
[ $have = 1 ] && exec /bin/sh -c "$cmd" "$@"
exit 0
`;

// doas(1): doas [-nSs] [-C config] [-u user] command [args]
const DOAS_MODEL = `#!/usr/bin/dash
# model of doas(1)
while getopts nSsLC:u: o; do case $o in s) exec "\${SHELL:-/bin/sh}" ;; esac; done
shift $((OPTIND - 1))
[ $# -gt 0 ] && exec "$@"
exit 0
`;

/** Creates the PATH directory under `root`; returns its path. */
export function makeShimDir(root: string): string {
  const dir = join(root, "shims");
  mkdirSync(dir, { recursive: true });
  const script = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  };
  for (const n of SHIM_NAMES) script(n, SHIM);
  for (const n of REAL_PROGRAMS) symlinkSync(`/usr/bin/${n}`, join(dir, n));
  for (const [n, bin] of Object.entries(SHELL_BINARIES)) symlinkSync(bin, join(dir, n));
  symlinkSync("/usr/bin/dash", join(dir, "sh"));
  script("sudo", SUDO_MODEL);
  script("su", SU_MODEL);
  script("doas", DOAS_MODEL);
  return dir;
}

/** Programs that run for real or as a model: what they exec counts, their own file access does not. */
export const PASS_THROUGH = new Set([...REAL_PROGRAMS, "sudo", "su", "doas"]);
export const SHIM_SET = new Set(SHIM_NAMES);
