import { type Field, fieldHead, fieldText, isConcreteField, literalField, unknownField } from "./fields.js";
import type { Invocation, Model, Runner } from "./invocation.js";

/**
 * Shell builtins and small programs that touch no file: their words are not
 * file names (so no "possible file" checks), and some of them read or change
 * the shell itself: `set`/`export -p`/`printenv` read the environment,
 * `export A=1` is the assignment `A=1`, and the ones that change how later
 * lines are read (`set -o posix`, `shopt -s nocaseglob`, `setopt`, `enable`,
 * `hash -p`) are refused.
 */

// `-T` is CDABLE_VARS to zsh (`cd name` goes to $name), so it is not among them
const SET_FLAGS = "euxvfCnabhmE";
export const SET_OPTIONS: ReadonlySet<string> = new Set([
  "errexit",
  "nounset",
  "xtrace",
  "verbose",
  "noglob",
  "noclobber",
  "noexec",
  "pipefail",
  "allexport",
  "errtrace",
  "functrace",
  "notify",
  "monitor",
  "hashall",
  "braceexpand",
  "emacs",
  "vi",
  "ignoreeof",
  "nolog",
  "history",
]);
const SHOPT_OPTIONS = new Set([
  "nullglob",
  "failglob",
  "dotglob",
  "globstar",
  "extglob",
  "inherit_errexit",
  "lastpipe",
  "expand_aliases",
  "xpg_echo",
  "checkwinsize",
  "histappend",
  "cmdhist",
  "lithist",
  "progcomp",
  "progcomp_alias",
  "interactive_comments",
  "sourcepath",
  "nocasematch",
  "extquote",
  "promptvars",
  "checkhash",
  "checkjobs",
  "huponexit",
  "globasciiranges",
  "hostcomplete",
  "force_fignore",
  "histreedit",
  "histverify",
  "no_empty_cmd_completion",
  "shift_verbose",
  "login_shell",
  "mailwarn",
  "complete_fullquote",
  "assoc_expand_once",
  "localvar_inherit",
  "localvar_unset",
  "noexpand_translation",
  "patsub_replacement",
  "varredir_close",
  "gnu_errfmt",
  "execfail",
  "extdebug",
]);

function set(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  if (args.length === 0) {
    run.env(null); // prints every variable
    return;
  }
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (!isConcreteField(f)) {
      if (fieldHead(f).startsWith("-") || fieldHead(f).startsWith("+") || fieldHead(f) === "") run.uncertain("`set` with an option only known at run time");
      return;
    }
    const t = fieldText(f);
    if (t === "--" || t === "-") return; // the rest are positional parameters
    if (!/^[-+]/.test(t)) return;
    for (const ch of t.slice(1)) {
      if (ch === "o") {
        const name = args[i + 1];
        if (!name) return; // `set -o` prints the options
        if (!isConcreteField(name) || !SET_OPTIONS.has(fieldText(name)))
          run.uncertain(`\`set -o ${name.src}\` changes how the shell reads or runs what follows; leave it out`);
        i++;
      } else if (!SET_FLAGS.includes(ch))
        run.uncertain(
          `\`set ${t[0]}${ch}\` changes how the shell reads or runs what follows (-k passes assignments to commands, -P changes cd, -H expands history); leave it out`,
        );
    }
  }
}

function shopt(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  let setting = false;
  for (const f of args) {
    if (!isConcreteField(f)) run.uncertain("`shopt` with a word only known at run time");
    const t = fieldText(f);
    if (/^-[suopq]+$/.test(t)) {
      if (/[su]/.test(t)) setting = true;
      continue;
    }
    if (setting && !SHOPT_OPTIONS.has(t)) run.uncertain(`\`shopt ${t}\` changes how bash reads what follows (posix, compat, nocaseglob); leave it out`);
  }
}

/** zsh's option commands change the grammar of everything after them. */
function zshOptions(inv: Invocation): void {
  if (inv.args.length > 0) inv.run.uncertain(`\`${inv.name}\` changes how zsh reads what follows; leave it out`);
}

/** `export`, `declare`, `local`, `readonly`, `typeset`: `NAME=VALUE` words are assignments. */
function declaration(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  const words = args.filter((f) => !/^[-+]/.test(fieldHead(f)));
  const flags = args.filter((f) => /^[-+]/.test(fieldHead(f))).map((f) => (isConcreteField(f) ? fieldText(f) : "?"));
  if (flags.includes("?")) run.uncertain(`\`${inv.name}\` with an option only known at run time`);
  if (flags.some((f) => /^-.*[in]/.test(f)))
    run.uncertain(`\`${inv.name} -i\`/\`-n\` makes later assignments arithmetic or references (bash runs code hidden in values); leave it out`);
  if ((words.length === 0 && !flags.some((f) => /f/.test(f))) || flags.some((f) => /^[-+].*m/.test(f))) {
    // `export`, `export -p`, `declare`, `declare -p`: print variables and their values; zsh's `typeset -m PATTERN` prints the ones that match
    run.env(null);
    return;
  }
  for (const w of words) {
    if (fieldHead(w) === "" && !isConcreteField(w)) run.uncertain(`\`${inv.name} ${w.src}\`: which variable is set is only known at run time`);
    if (/^[A-Za-z_][A-Za-z0-9_]*\[/.test(fieldHead(w)))
      run.uncertain(`\`${inv.name} ${w.src}\`: bash evaluates the subscript, which can run commands; use a plain name`);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(fieldHead(w))) run.assignment(w, inv);
    // `declare -p NAME` prints it, and so does zsh's `typeset NAME` for a parameter that exists
    else if (isConcreteField(w)) run.env(fieldText(w));
    else run.env(null);
  }
}

function printenv(inv: Invocation): void {
  const names = inv.args.filter((f) => !fieldHead(f).startsWith("-"));
  if (names.length === 0) inv.run.env(null);
  for (const n of names) {
    if (!isConcreteField(n)) inv.run.env(null);
    else inv.run.env(fieldText(n));
  }
}

function enable(inv: Invocation): void {
  const listing = inv.args.length === 0 || inv.args.every((f) => isConcreteField(f) && /^-[aps]+$/.test(fieldText(f)));
  if (!listing) inv.run.uncertain("`enable` loads or disables builtins, changing what later command names run");
}

function hash(inv: Invocation): void {
  // bash `hash -p PATH NAME`, zsh `hash NAME=PATH`: NAME then runs that program
  if (inv.args.some((f) => !isConcreteField(f) || /^-[a-z]*[pd]/.test(fieldText(f)) || fieldText(f).includes("=")))
    inv.run.uncertain("`hash -p` / `hash NAME=PATH` makes a command name run another program");
}

/**
 * `compgen`: `-W WORDS` expands each word (command substitutions included),
 * `-C CMD` and `-F FUNC` run code to make the list; `-v`, `-e`, `-A variable`
 * list the shell's variables.
 */
function compgen(inv: Invocation): void {
  const args = inv.args;
  for (let k = 0; k < args.length; k++) {
    const f = args[k]!;
    if (!isConcreteField(f)) inv.run.uncertain("`compgen` with an option only known at run time");
    const t = fieldText(f);
    if (t === "--") break;
    if (!t.startsWith("-")) continue;
    if (/[WCFX]/.test(t.slice(1))) inv.run.uncertain("`compgen -W/-C/-F/-X` expands words or runs code to complete; leave it out");
    if (/[ve]/.test(t.slice(1)) || (t.endsWith("A") && /^(variable|export|arrayvar)$/.test(fieldText(args[k + 1] ?? literalField(""))))) inv.run.env(null);
    if (/[AGPS]$/.test(t)) k++; // the option's value
  }
}

/**
 * `ps`: BSD-style options (no dash) with `e` show each process's environment
 * after its command, the shell's own (and the agent's) included.
 */
function ps(inv: Invocation): void {
  for (const f of inv.args) {
    if (!isConcreteField(f)) {
      inv.run.env(null);
      continue;
    }
    const t = fieldText(f);
    if (!t.startsWith("-") && /^[A-Za-z]+$/.test(t) && t.includes("e")) inv.run.env(null);
  }
}

/** `history -r/-n FILE` reads the file into the list (and `history` prints it), `-w/-a FILE` writes it; no FILE is $HISTFILE. */
function history(inv: Invocation): void {
  const args = inv.args;
  const flags = args
    .filter((f) => isConcreteField(f) && /^-[a-z]+$/.test(fieldText(f)))
    .map(fieldText)
    .join("");
  if (args.some((f) => !isConcreteField(f) && /^-|^$/.test(fieldHead(f)))) inv.run.uncertain("`history` with an option only known at run time");
  if (/[sp]/.test(flags)) return; // the words are history text, not files
  const files = args.filter((f) => !(isConcreteField(f) && /^-[a-z]+$/.test(fieldText(f))) && !/^\d+$/.test(fieldText(f)));
  const ops: Array<"read" | "write"> = [...(/[rn]/.test(flags) ? ["read" as const] : []), ...(/[wa]/.test(flags) ? ["write" as const] : [])];
  for (const op of ops) {
    if (files.length === 0) inv.run.file(op, unknownField("$HISTFILE"), inv.bases);
    for (const f of files) inv.run.file(op, f, inv.bases);
  }
}

/**
 * `nslookup NAME`: asks the system resolver; `nslookup NAME SERVER` asks that
 * server, and without a NAME it reads commands (`server HOST`) from stdin.
 */
function nslookup(inv: Invocation): void {
  const operands = inv.args.filter((f) => !fieldHead(f).startsWith("-") || fieldText(f) === "-");
  if (operands.length === 0 || fieldText(operands[0]!) === "-")
    inv.run.uncertain("`nslookup` without a name reads commands (and servers) from stdin; name what to look up");
  if (operands.length > 1) inv.run.uncertain("`nslookup NAME SERVER` asks that server, which the engine cannot check as a destination; leave the server out");
}

/** `hostname -F FILE` reads the new name from FILE (and `hostname` prints it). */
function hostname(inv: Invocation): void {
  const k = inv.args.findIndex((f) => /^(-[a-zA-Z]*F|--file)$/.test(fieldText(f)) || fieldText(f).startsWith("--file="));
  if (k < 0) return;
  const t = fieldText(inv.args[k]!);
  const file = t.startsWith("--file=") ? literalField(t.slice(7)) : inv.args[k + 1];
  inv.run.file("read", file ?? unknownField("a file"), inv.bases);
}

function refuse(reason: string): Model {
  return (inv) => inv.run.uncertain(reason);
}

/** Programs and builtins whose words are never file names. */
const NO_FILES = [
  "echo",
  "true",
  "false",
  ":",
  "sleep",
  "seq",
  "yes",
  "expr",
  "basename",
  "dirname",
  "pwd",
  "whoami",
  "id",
  "uname",
  "nproc",
  "arch",
  "tty",
  "logname",
  "groups",
  "users",
  "uptime",
  "clear",
  "tput",
  "kill",
  "jobs",
  "fg",
  "bg",
  "disown",
  "exit",
  "return",
  "shift",
  "break",
  "continue",
  "times",
  "umask",
  "ulimit",
  "type",
  "which",
  "whereis",
  "help",
  "dirs",
  "getconf",
  "locale",
  "complete",
  "suspend",
  "logout",
  "caller",
  "unalias",
  "pgrep",
  "free",
  "df",
  "lsblk",
  "sync",
];

/**
 * Builtins that take variable names: bash evaluates a subscript in a name
 * (`read 'a[$(cmd)]'`, `unset 'a[$(cmd)]'`, `printf -v 'a[$(cmd)]'`, `test -v`),
 * which runs what is inside it.
 */
function names(inv: Invocation): void {
  // options whose value is not a variable name
  const valued: Record<string, string> = { read: "dinNptu", mapfile: "dnOsuc", readarray: "dnOsuc", printf: "", wait: "", unset: "", getopts: "" };
  const args = inv.args;
  const subscript = (f: Field) => {
    if (!isConcreteField(f)) inv.run.uncertain(`\`${inv.name}\` with a variable name only known at run time`);
    if (/^[A-Za-z_][A-Za-z0-9_]*\[/.test(fieldText(f)))
      inv.run.uncertain(`\`${inv.name} ${fieldText(f)}\`: bash evaluates the subscript of a variable name, which can run commands; use a plain name`);
  };
  if (inv.name === "printf" || inv.name === "wait") {
    // only `-v NAME` / `-p NAME` names a variable
    const k = args.findIndex((f) => isConcreteField(f) && fieldText(f) === (inv.name === "printf" ? "-v" : "-p"));
    if (k >= 0 && args[k + 1]) subscript(args[k + 1]!);
    return;
  }
  const skip = valued[inv.name] ?? "";
  for (let k = 0; k < args.length; k++) {
    const f = args[k]!;
    const t = isConcreteField(f) ? fieldText(f) : undefined;
    if (t !== undefined && /^-[A-Za-z]+$/.test(t)) {
      if ((inv.name === "mapfile" || inv.name === "readarray") && t.includes("C")) inv.run.uncertain(`\`${inv.name} -C\` runs a callback command`);
      if (skip.includes(t[t.length - 1]!)) k++;
      continue;
    }
    if (inv.name === "getopts" && k === 0) continue; // the option string
    subscript(f);
  }
}

export const BUILTINS: Record<string, Model> = {
  ...Object.fromEntries(NO_FILES.map((n) => [n, () => {}])),
  read: names,
  mapfile: names,
  readarray: names,
  unset: names,
  getopts: names,
  wait: names,
  printf: names,
  set,
  shopt,
  setopt: zshOptions,
  unsetopt: zshOptions,
  emulate: zshOptions,
  export: declaration,
  declare: declaration,
  typeset: declaration,
  local: declaration,
  readonly: declaration,
  printenv,
  // envsubst replaces `$NAME` in its input with the variable's value
  envsubst: (inv) => inv.run.env(null),
  enable,
  hash,
  compgen,
  ps,
  history,
  nslookup,
  hostname,
  let: refuse("`let` evaluates variables as arithmetic (bash runs code hidden in their values); use `$((...))` in a word"),
  disable: refuse("`disable` (zsh) turns off reserved words and builtins, changing how later lines are read"),
  function: refuse("function definitions are not supported"),
  autoload: refuse("`autoload` loads functions the engine cannot see"),
  zmodload: refuse("`zmodload` loads zsh modules, which change what commands do"),
};
