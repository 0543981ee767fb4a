import { cwdField, type Field, fieldHead, fieldText, isConcreteField } from "./fields.js";
import type { Invocation, Model, Runner } from "./invocation.js";
import { SET_OPTIONS } from "./builtins.js";

/**
 * Commands that run shell code: the shells themselves (`bash -c SCRIPT`,
 * a script on stdin, a script file), `eval`, `source`/`.`, `trap` handlers
 * and `alias` (which changes how later lines are read). Script text the
 * engine can see is parsed and checked like the line itself; text it cannot
 * see (from a pipe, `/dev/stdin`, a run-time value) is refused.
 */

// Options that do not change what the script means (not `-T`: CDABLE_VARS to zsh; not `-b`: zsh ends its options there, so `-c` would be a script file).
const SAFE_FLAGS = "ceuxvfnsCEahmp";
// the `set -o` names that change no meaning, but not `history` at start-up
const SAFE_OPTIONS: ReadonlySet<string> = new Set([...SET_OPTIONS].filter((o) => o !== "history"));
const SAFE_LONG = new Set(["--norc", "--noprofile", "--noediting", "--restricted", "--verbose"]);

/** A path a script read from it comes from a pipe or the agent's stdin. */
export const STREAM_PATH = /^(\/dev\/stdin|\/dev\/fd\/\d+|\/proc\/[^/]+\/fd\/\d+|\/dev\/pts\/.*|\/dev\/tty\S*)$/;

function shell(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  let i = 0;
  let inline = false;
  let stdin = false;
  while (i < args.length) {
    const f = args[i]!;
    if (!isConcreteField(f)) {
      if (fieldHead(f) === "" || fieldHead(f).startsWith("-") || fieldHead(f).startsWith("+"))
        run.uncertain(`\`${inv.name}\` with an option only known at run time`);
      break;
    }
    const t = fieldText(f);
    if (t === "--" || t === "-") {
      i++;
      break;
    }
    if (t.startsWith("--")) {
      if (t === "--rcfile" || t === "--init-file" || t === "--login") run.uncertain(`\`${inv.name} ${t}\` runs a startup file the engine cannot see`);
      if (!SAFE_LONG.has(t)) run.uncertain(`\`${inv.name} ${t}\` is not modelled`);
      i++;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(t)) {
      const letters = t.slice(1);
      i++;
      for (const ch of letters) {
        if (ch === "c") inline = true;
        else if (ch === "s") stdin = true;
        else if (ch === "o" || ch === "O") {
          const name = args[i];
          if (!name || !isConcreteField(name)) run.uncertain(`\`${inv.name} -${ch}\` without an option name`);
          if (ch === "O" || !SAFE_OPTIONS.has(fieldText(name)))
            run.uncertain(`\`${inv.name} -${ch} ${fieldText(name)}\` changes how the shell reads the script`);
          i++;
        } else if (ch === "i") run.uncertain(`\`${inv.name} -i\` is an interactive shell: it reads startup files and expands aliases and history`);
        else if (ch === "l") run.uncertain(`\`${inv.name} -l\` is a login shell: it runs the profile scripts first, which the engine cannot see; drop -l`);
        else if (!SAFE_FLAGS.includes(ch)) run.uncertain(`\`${inv.name} -${ch}\` changes how the shell reads the script`);
      }
      continue;
    }
    break;
  }
  // every zsh first runs ~/.zshenv (a file the agent may have written) unless `-f` (NO_RCS); /etc/zsh/zshenv is root's
  const noRcs = args.slice(0, i).some((f) => /^-[A-Za-z]*f[A-Za-z]*$/.test(fieldText(f)));
  if (inv.name === "zsh" && !noRcs) run.uncertain("`zsh` first runs ~/.zshenv, which the engine cannot see; pass -f (`zsh -f -c ...`) to skip it");
  const rest = args.slice(i);
  if (inline) {
    const script = rest[0];
    if (!script) run.uncertain(`\`${inv.name} -c\` without a script`);
    run.script(script, inv, { what: `\`${inv.name} -c\`` });
    return;
  }
  if (!stdin && rest.length > 0) {
    // a script file: its text is not visible, so it is a command the policy decides on by name, and a file read
    scriptFile(inv, rest[0]!, "searched");
    return;
  }
  fromStdin(inv);
}

/** `bash`, `sh -s`: the script is whatever stdin gives. */
function fromStdin(inv: Invocation): void {
  const run: Runner = inv.run;
  switch (inv.stdin.kind) {
    case "text":
      run.script(inv.stdin.text, inv, { what: `the here-document fed to \`${inv.name}\`` });
      return;
    case "file":
      scriptFile(inv, inv.stdin.path);
      return;
    case "dynamic":
      run.uncertain(`the script fed to \`${inv.name}\` is only known at run time (a here-document with expansions); quote its delimiter`);
    case "pipe":
      run.uncertain(`\`${inv.name}\` reads its script from a pipe, which the engine cannot see; run the commands directly`);
    case "inherit":
      run.uncertain(`\`${inv.name}\` reads its script from stdin, which the engine cannot see; pass it with -c`);
  }
}

/**
 * The file a shell reads a script from. A script operand without `/` (`. NAME`,
 * `bash NAME`, not a redirection) is looked up in $PATH: by `.` first, by bash
 * when NAME is not in the current directory; the file read is then not the
 * one the engine would name.
 */
function scriptFile(inv: Invocation, f: Field, lookup?: "searched"): void {
  const run: Runner = inv.run;
  if (lookup && isConcreteField(f) && fieldText(f) !== "" && !fieldText(f).includes("/")) {
    run.uncertain(
      `\`${inv.name} ${f.src}\` looks \`${fieldText(f)}\` up in $PATH (first, or when it is not in the current directory); write \`${inv.name} ./${fieldText(f)}\``,
    );
  }
  if (f.procsub) run.uncertain(`\`${inv.name}\` runs a script from a process substitution, which the engine cannot see`);
  if (!isConcreteField(f)) run.uncertain(`the script \`${inv.name}\` runs (\`${f.src}\`) is only known at run time`);
  const p = fieldText(f);
  if (p === "") {
    run.file("read", cwdField(), inv.bases); // the shell tries to open "", which resolves to the directory
    return;
  }
  if (STREAM_PATH.test(p) || p.startsWith("/proc/")) run.uncertain(`\`${inv.name} ${p}\` reads its script from a stream the engine cannot see`);
  run.file("read", f, inv.bases);
}

/** `eval WORDS`: the words joined by spaces are a script, run in the shell itself. */
function evalModel(inv: Invocation): void {
  const words = inv.args;
  if (words.length === 0) return;
  if (!words.every(isConcreteField)) inv.run.uncertain("`eval` of text only known at run time");
  const texts = words.map(fieldText);
  inv.run.script(texts.join(" "), inv, { what: "`eval`", inShell: true });
  // bash and zsh take a first `--` as the end of options, dash as the command `--`
  if (texts[0] === "--" && texts.length > 1) inv.run.script(texts.slice(1).join(" "), inv, { what: "`eval --`", inShell: true });
}

/** `source FILE` / `. FILE`: runs the file's text in the shell itself. */
function source(inv: Invocation): void {
  const run: Runner = inv.run;
  const f = inv.args[0];
  if (!f) return;
  scriptFile(inv, f, "searched");
  // what the file did to the shell (cd, variables) is not known
  run.forget(inv);
}

/** `trap [--] HANDLER SIGNAL...`: HANDLER is a script run later, in the shell. */
function trap(inv: Invocation): void {
  let args = inv.args;
  if (args.length > 0 && isConcreteField(args[0]!) && fieldText(args[0]!) === "--") args = args.slice(1);
  if (args.length === 0) return;
  const first = args[0]!;
  if (isConcreteField(first)) {
    const t = fieldText(first);
    if (t === "-l" || t === "-p" || t === "-P" || t === "-" || t === "" || /^\d+$/.test(t)) return;
    if (args.length === 1) return; // `trap SIGNAL`: reset (POSIX) or print
  }
  inv.run.hook(first, inv);
}

/** `alias NAME=VALUE` changes how every later line is read (dash and zsh expand aliases in scripts). */
function alias(inv: Invocation): void {
  for (const f of inv.args) {
    if (!isConcreteField(f) || fieldText(f).includes("="))
      inv.run.uncertain("`alias NAME=VALUE` changes how later commands are read; write the command instead of an alias");
  }
}

export const SHELLS = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh", "ksh93", "rbash"] as const;

export const SHELL_MODELS: Record<string, Model> = {
  ...Object.fromEntries(SHELLS.map((n) => [n, shell])),
  eval: evalModel,
  source,
  ".": source,
  trap,
  alias,
};
