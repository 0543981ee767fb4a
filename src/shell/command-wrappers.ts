/**
 * Programs that run another program given in their arguments. A deny on
 * `terraform destroy*` must also catch `sudo -u ci terraform destroy`,
 * `timeout 5 terraform destroy`, `xargs terraform destroy` and
 * `find . -exec terraform destroy \;`, so the inner command is checked too.
 */
interface WrapperSpec {
  /** options that take a value (short letters and long names) */
  valueOpts: string;
  longValueOpts?: readonly string[];
  /** positional arguments before the command (timeout's DURATION, taskset's mask) */
  positionals?: number;
  /** `NAME=value` arguments before the command are settings, not the command (env) */
  skipAssignments?: boolean;
}

const WRAPPERS: Record<string, WrapperSpec> = {
  sudo: { valueOpts: "ughpCDrtUT", longValueOpts: ["user", "group", "host", "prompt", "close-from", "chdir", "role", "type", "other-user", "command-timeout"] },
  doas: { valueOpts: "uC" },
  env: { valueOpts: "uCS", longValueOpts: ["unset", "chdir", "split-string"], skipAssignments: true },
  nohup: { valueOpts: "" },
  setsid: { valueOpts: "" },
  time: { valueOpts: "fo", longValueOpts: ["format", "output"] },
  command: { valueOpts: "" },
  builtin: { valueOpts: "" },
  exec: { valueOpts: "a" },
  nice: { valueOpts: "n", longValueOpts: ["adjustment"] },
  ionice: { valueOpts: "cnp", longValueOpts: ["class", "classdata", "pid"] },
  timeout: { valueOpts: "sk", longValueOpts: ["signal", "kill-after"], positionals: 1 },
  stdbuf: { valueOpts: "ioe", longValueOpts: ["input", "output", "error"] },
  taskset: { valueOpts: "", positionals: 1 },
  chrt: { valueOpts: "", positionals: 1 },
  flock: { valueOpts: "wEc", longValueOpts: ["timeout", "conflict-exit-code", "command"], positionals: 1 },
  xargs: { valueOpts: "adEILnPs", longValueOpts: ["arg-file", "delimiter", "eof", "replace", "max-lines", "max-args", "max-procs", "max-chars"] },
  unbuffer: { valueOpts: "" },
  watch: { valueOpts: "nd", longValueOpts: ["interval", "differences"] },
  strace: { valueOpts: "eoOpPsSuUXb", positionals: 0 },
  ltrace: { valueOpts: "eoOpPsSuUXb", positionals: 0 },
};

export const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "busybox-sh"]);

/** Programs whose arguments are joined and run as a shell script. */
export const SCRIPT_RUNNERS = new Set(["eval", "watch"]);

/** The `[start, end)` word ranges of the commands a wrapper runs (none when it is not a wrapper). */
export function unwrap(words: readonly string[]): Array<[number, number]> {
  const name = basename(words[0] ?? "");
  const spec = WRAPPERS[name];
  if (!spec) return name === "find" ? findExec(words) : [];
  let i = 1;
  let positionals = spec.positionals ?? 0;
  while (i < words.length) {
    const w = words[i]!;
    if (w === "--") {
      i++;
      break;
    }
    if (w.startsWith("--") && w.length > 2) {
      const long = w.slice(2);
      i += !long.includes("=") && spec.longValueOpts?.includes(long) ? 2 : 1;
      continue;
    }
    if (w.startsWith("-") && w.length > 1) {
      i++;
      for (let k = 1; k < w.length; k++) {
        if (spec.valueOpts.includes(w[k]!)) {
          if (k === w.length - 1) i++; // value is the next word
          break; // value is attached
        }
      }
      continue;
    }
    if (spec.skipAssignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
      continue;
    }
    if (positionals > 0) {
      positionals--;
      i++;
      continue;
    }
    break;
  }
  return i < words.length ? [[i, words.length]] : [];
}

/** `find ... -exec cmd args {} \;` runs `cmd args`. */
function findExec(words: readonly string[]): Array<[number, number]> {
  const inner: Array<[number, number]> = [];
  for (let i = 1; i < words.length; i++) {
    if (!/^-(exec|execdir|ok|okdir)$/.test(words[i]!)) continue;
    let j = i + 1;
    while (j < words.length && words[j] !== ";" && words[j] !== "+") j++;
    if (j > i + 1) inner.push([i + 1, j]);
    i = j;
  }
  return inner;
}

export function basename(word: string): string {
  const slash = word.lastIndexOf("/");
  return slash < 0 ? word : word.slice(slash + 1);
}

/**
 * Where a shell invocation takes its script from: `-c 'script'`, a script
 * file argument, or stdin.
 */
export function shellScript(words: readonly string[]): { kind: "inline"; index: number } | { kind: "file" } | { kind: "stdin" } {
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") return i + 1 < words.length ? { kind: "file" } : { kind: "stdin" };
    if (w === "-o" || w === "+o" || w === "-O" || w === "+O" || w === "--rcfile" || w === "--init-file") {
      i++;
      continue;
    }
    if (/^-[A-Za-z]+$/.test(w)) {
      if (w.includes("c")) return { kind: "inline", index: i + 1 };
      if (w.includes("s")) return { kind: "stdin" };
      continue;
    }
    if (w.startsWith("--") || w.startsWith("+")) continue;
    return { kind: "file" };
  }
  return { kind: "stdin" };
}
