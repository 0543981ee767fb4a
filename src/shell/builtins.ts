import { type Field, fieldHead, fieldText, isConcreteField } from "./fields.js";
import type { Invocation, Model, Runner } from "./invocation.js";

/**
 * Shell builtins and small programs that touch no file: their words are not
 * file names (so no "possible file" checks), and some of them read or change
 * the shell itself: `set`/`export -p`/`printenv` read the environment,
 * `export A=1` is the assignment `A=1`, and the ones that change how later
 * lines are read (`set -o posix`, `shopt -s nocaseglob`, `setopt`, `enable`,
 * `hash -p`) are refused.
 */

const SET_FLAGS = "euxvfCnabhmET";
const SET_OPTIONS = new Set(["errexit", "nounset", "xtrace", "verbose", "noglob", "noclobber", "noexec", "pipefail", "allexport", "errtrace", "functrace", "notify", "monitor", "hashall", "braceexpand", "emacs", "vi", "ignoreeof", "nolog", "history"]);
const SHOPT_OPTIONS = new Set(["nullglob", "failglob", "dotglob", "globstar", "extglob", "inherit_errexit", "lastpipe", "expand_aliases", "xpg_echo", "checkwinsize", "histappend", "cmdhist", "lithist", "progcomp", "progcomp_alias", "interactive_comments", "sourcepath", "nocasematch", "extquote", "promptvars", "checkhash", "checkjobs", "huponexit", "globasciiranges", "hostcomplete", "force_fignore", "histreedit", "histverify", "no_empty_cmd_completion", "shift_verbose", "login_shell", "mailwarn", "complete_fullquote", "assoc_expand_once", "localvar_inherit", "localvar_unset", "noexpand_translation", "patsub_replacement", "varredir_close", "gnu_errfmt", "execfail", "extdebug"]);

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
        if (!isConcreteField(name) || !SET_OPTIONS.has(fieldText(name))) run.uncertain(`\`set -o ${name.src}\` changes how the shell reads or runs what follows; leave it out`);
        i++;
      } else if (!SET_FLAGS.includes(ch)) run.uncertain(`\`set ${t[0]}${ch}\` changes how the shell reads or runs what follows (-k passes assignments to commands, -P changes cd, -H expands history); leave it out`);
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
  if (flags.some((f) => /^-.*[in]/.test(f))) run.uncertain(`\`${inv.name} -i\`/\`-n\` makes later assignments arithmetic or references (bash runs code hidden in values); leave it out`);
  if (words.length === 0 && !flags.some((f) => /f/.test(f))) {
    run.env(null); // `export`, `export -p`, `declare`, `declare -p`: print variables and their values
    return;
  }
  for (const w of words) {
    if (fieldHead(w) === "" && !isConcreteField(w)) run.uncertain(`\`${inv.name} ${w.src}\`: which variable is set is only known at run time`);
    if (/^[A-Za-z_][A-Za-z0-9_]*\[/.test(fieldHead(w))) run.uncertain(`\`${inv.name} ${w.src}\`: bash evaluates the subscript, which can run commands; use a plain name`);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(fieldHead(w))) run.assignment(w, inv);
    else if (flags.some((f) => /p/.test(f)) && isConcreteField(w)) run.env(fieldText(w));
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
  if (inv.args.some((f) => !isConcreteField(f) || /^-[a-z]*[pd]/.test(fieldText(f)))) inv.run.uncertain("`hash -p` makes a command name run another program");
}

function refuse(reason: string): Model {
  return (inv) => inv.run.uncertain(reason);
}

/** Programs and builtins whose words are never file names. */
const NO_FILES = [
  "echo", "true", "false", ":", "sleep", "seq", "yes", "expr", "basename", "dirname", "pwd", "whoami", "id", "uname", "hostname", "nproc", "arch", "tty", "logname", "groups", "users", "uptime", "clear", "tput", "kill", "jobs", "fg", "bg", "disown", "exit", "return", "shift", "break", "continue", "times", "umask", "ulimit", "type", "which", "whereis", "help", "dirs", "getconf", "locale", "compgen", "complete", "history", "suspend", "logout", "caller", "bind", "unalias", "pgrep", "ps", "free", "df", "lsblk", "nslookup", "sync", "env-update",
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
    if (/^[A-Za-z_][A-Za-z0-9_]*\[/.test(fieldText(f))) inv.run.uncertain(`\`${inv.name} ${fieldText(f)}\`: bash evaluates the subscript of a variable name, which can run commands; use a plain name`);
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
  enable,
  hash,
  let: refuse("`let` evaluates variables as arithmetic (bash runs code hidden in their values); use `$((...))` in a word"),
  disable: refuse("`disable` (zsh) turns off reserved words and builtins, changing how later lines are read"),
  function: refuse("function definitions are not supported"),
  autoload: refuse("`autoload` loads functions the engine cannot see"),
  zmodload: refuse("`zmodload` loads zsh modules, which change what commands do"),
};
