import type { Base } from "./effects.js";
import { applyTag } from "./file-effects.js";
import { type Field, fieldHead, fieldText, isConcreteField, literalField, unknownField, cwdField } from "./fields.js";
import { optSpec, parseArgs, type ParsedArgs } from "./getopt.js";
import type { Invocation, Model, Runner, Stdin } from "./invocation.js";

/**
 * Programs that run another program named in their arguments. A deny on
 * `terraform destroy*` must also catch `sudo -u ci terraform destroy`,
 * `timeout 5 terraform destroy`, `env -C /x terraform destroy` and
 * `xargs terraform destroy`, so the inner command is checked like any
 * command (and its files against the directory the wrapper runs it in).
 * Options are parsed exactly (getopt.ts, stopping at the command as these
 * programs do); one the table does not know is refused, since it could take
 * a value and move where the command starts.
 *
 * Option tags: `@d` runs the command in that directory, `@s` a shell script
 * string, `@S` (env) a string split into words before the command, `@w`/`@r`
 * files written/read, `@x` something the engine cannot see (refused), `@n`
 * "runs no command" (list, version, signal a process).
 */
interface WrapperDef {
  opts: string;
  /** words between the options and the command (timeout's DURATION) */
  positionals?: number;
  /** `NAME=VALUE` words before the command are environment settings (env, sudo) */
  assignments?: boolean;
  /** the command runs in the shell itself (`command cd` changes the shell's directory) */
  inShell?: boolean;
  /** what running with no command means: nothing, or reading every environment variable (`env`) */
  bare?: "nothing" | "env" | "uncertain";
  /** the command's stdin (xargs gives it /dev/null) */
  stdin?: Stdin;
}

const DEFS: Record<string, WrapperDef> = {
  sudo: {
    opts: "+ -A -b -B -E -e@e -H -i@i -K@n -k -l@n -N -n -P -S -s@i -V@n -v@n -g: -h:: -p: -C: -D:@d -R:@x -r: -t: -T: -U: -u: --askpass/A --background/b --bell/B --close-from/C --chdir/D --preserve-env:: --edit/e --group/g --set-home/H --help/h --host: --login/i --remove-timestamp/K --reset-timestamp/k --list/l --non-interactive/n --preserve-groups/P --prompt/p --chroot/R --role/r --stdin/S --shell/s --type/t --command-timeout/T --other-user/U --user/u --version/V --validate/v",
    assignments: true,
    bare: "nothing",
  },
  doas: { opts: "+ -L@n -n -s@i -C:@n -u:", bare: "nothing" },
  env: {
    opts: "+ -i -0 -v -u: -C:@d -S:@S --ignore-environment/i --null/0 --debug/v --unset/u --chdir/C --split-string/S --block-signal:: --default-signal:: --ignore-signal:: --list-signal-handling --help --version",
    assignments: true,
    bare: "env",
  },
  nohup: { opts: "+ --help --version", bare: "uncertain" },
  setsid: { opts: "+ -c -f -w --ctty/c --fork/f --wait/w --help --version", bare: "uncertain" },
  timeout: {
    opts: "+ -f -k: -p -s: -v --foreground/f --kill-after/k --preserve-status/p --signal/s --verbose/v --help --version",
    positionals: 1,
    bare: "uncertain",
  },
  nice: { opts: "+ # -n: --adjustment/n --help --version", bare: "nothing" },
  ionice: { opts: "+ -c: -n: -p:@n -P:@n -u:@n -t --class/c --classdata/n --pid/p --pgid/P --uid/u --ignore/t --help --version", bare: "nothing" },
  stdbuf: { opts: "+ -i: -o: -e: --input/i --output/o --error/e --help --version", bare: "uncertain" },
  chrt: {
    opts: "+ -a -b -d -f -i -m@n -o -p@n -r -R -e -v -T: -P: -D: --all-tasks/a --batch/b --deadline/d --fifo/f --idle/i --max/m --other/o --pid/p --rr/r --reset-on-fork/R --verbose/v --sched-runtime/T --sched-period/P --sched-deadline/D --help --version",
    positionals: 1,
    bare: "nothing",
  },
  taskset: { opts: "+ -a -c -p@n --all-tasks/a --cpu-list/c --pid/p --help --version", positionals: 1, bare: "nothing" },
  // bash's and zsh's `time` keyword takes -p; dash runs GNU time, whose -o writes a file
  time: {
    opts: "+ -a -p -q -v -V@n -f: -o:@w --append/a --portability/p --quiet/q --verbose/v --format/f --output/o --help --version",
    inShell: true,
    bare: "nothing",
  },
  command: { opts: "+ -p -v@n -V@n", inShell: true, bare: "nothing" },
  builtin: { opts: "+", inShell: true, bare: "nothing" },
  exec: { opts: "+ -a: -c -l", bare: "nothing" },
  // zsh precommand modifiers (to bash they are unknown commands, which run nothing)
  noglob: { opts: "+", inShell: true, bare: "nothing" },
  nocorrect: { opts: "+", inShell: true, bare: "nothing" },
  "-": { opts: "+", inShell: true, bare: "nothing" },
  repeat: { opts: "+", positionals: 1, inShell: true, bare: "nothing" },
  unbuffer: { opts: "+ -p", bare: "nothing" },
  strace: {
    opts: "+ -c -C -d -D -f -F -h@n -i -k -n -q -r -t -T -v -V@n -w -x -y -z -Z -a: -b: -e: -E: -I: -o:@w -O: -p:@n -P: -s: -S: -u: -U: -X: --output/o --attach/p --help --version",
    bare: "nothing",
  },
  ltrace: { opts: "+ -b -c -C -d -D: -e: -f -F: -h@n -i -l: -L -n: -o:@w -p:@n -r -s: -S -t -T -u: -V@n -w: -x: --output/o --help --version", bare: "nothing" },
  pkexec: { opts: "+ --user: --disable-internal-agent --keep-cwd --help --version", bare: "uncertain" },
  // `xargs CMD`: CMD runs with words read from stdin (only known at run time)
  xargs: {
    opts: "+ -0 -a:@r -d: -E: -e:: -I: -i:: -L: -l:: -n: -o -p -P: -r -s: -t -x --null/0 --arg-file/a --delimiter/d --eof/e --replace/i --max-lines/l --max-args/n --open-tty/o --interactive/p --max-procs/P --process-slot-var: --no-run-if-empty/r --max-chars/s --show-limits --verbose/t --exit/x --help --version",
    stdin: { kind: "text", text: "" },
  },
  busybox: { opts: "+ --list@n --list-full@n --install@n --help@n", bare: "nothing" },
};

export const WRAPPERS: Record<string, Model> = Object.fromEntries(Object.entries(DEFS).map(([name, def]) => [name, (inv: Invocation) => wrapper(inv, def)]));
WRAPPERS.flock = flock;
WRAPPERS.watch = watch;
WRAPPERS.script = scriptProgram;
WRAPPERS.su = su;
WRAPPERS.runuser = su;
WRAPPERS.find = find;
WRAPPERS.parallel = parallel;

function wrapper(inv: Invocation, def: WrapperDef): void {
  const run: Runner = inv.run;
  if (inv.name === "time" && inv.args.length > 0 && fieldHead(inv.args[0]!).startsWith("-")) {
    run.uncertain("`time -p` (or any option): zsh's `time` takes none and runs `-p` as the command; leave the option out");
  }
  const spec = optSpec(def.opts);
  const parsed = parseArgs(inv.args, spec);
  if (parsed.error) run.uncertain(`\`${inv.name}\`: ${parsed.error} (the engine parses ${inv.name}'s options exactly; write them as its manual does)`);
  if (parsed.unknown) run.uncertain(`\`${inv.name}\` with a word only known at run time before the command: which command runs is not known`);
  let bases: readonly Base[] = inv.bases;
  let prepend: Field[] = [];
  let noCommand = false;
  let shell = false;
  for (const o of parsed.options) {
    if (o.tag === "d" && o.value) bases = run.chdir(bases, o.value);
    else if (o.tag === "S" && o.value) prepend = [...prepend, ...splitString(inv, o.value)];
    else if (o.tag === "n") noCommand = true;
    else if (o.tag === "i") shell = true;
    else if (o.tag === "e") return sudoedit(inv, parsed, bases);
    else if (o.tag && o.value) applyTag(inv, o.tag, o.value, `-${o.name}`);
    else if (o.tag === "x") run.uncertain(`\`${inv.name} -${o.name}\` is not modelled`);
  }
  let rest = [...prepend, ...inv.args.slice(parsed.rest ?? inv.args.length)];
  // `env -` is `env -i`
  if (inv.name === "env" && rest.length > 0 && isConcreteField(rest[0]!) && fieldText(rest[0]!) === "-") rest = rest.slice(1);
  if (noCommand) return;
  for (let k = 0; k < (def.positionals ?? 0); k++) {
    if (rest.length === 0) break;
    if (!isConcreteField(rest[0]!) && rest[0]!.split) run.uncertain(`\`${inv.name}\` with a word only known at run time before the command`);
    rest = rest.slice(1);
  }
  const assignments: Field[] = [];
  if (def.assignments) {
    // env takes any word with `=` before the command as a setting (`=x` too); sudo needs a name before it
    const setting = inv.name === "env" ? (h: string) => h.includes("=") : (h: string) => /^[^=]+=/.test(h);
    while (rest.length > 0 && setting(fieldHead(rest[0]!))) {
      assignments.push(rest[0]!);
      rest = rest.slice(1);
    }
    if (rest.length > 0 && fieldHead(rest[0]!) === "" && !isConcreteField(rest[0]!))
      run.uncertain(`\`${inv.name}\` with a word only known at run time before the command`);
  }
  if ((def.inShell || inv.name === "exec") && rest.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(fieldHead(rest[0]!))) {
    run.uncertain(`\`${inv.name} ${rest[0]!.src}\`: zsh reads an assignment there, bash a command name; put the assignment before \`${inv.name}\``);
  }
  if (inv.name === "xargs") return xargs(inv, parsed, rest, bases);
  if (inv.name === "busybox" && rest.length > 0) {
    // `busybox APPLET ARGS`: the applet is the command
    run.argv(rest, inv, { bases });
    return;
  }
  if (rest.length === 0) {
    if (shell) run.uncertain(`\`${inv.name}\` starts an interactive shell, which reads commands the engine cannot see`);
    if (def.bare === "env") run.env(null);
    if (def.bare === "uncertain") run.uncertain(`\`${inv.name}\` without a command`);
    for (const a of assignments) run.assignment(a, inv);
    return;
  }
  if (shell) {
    // sudo -s / -i CMD: the user's shell runs the words joined; plain words mean the same there
    if (!rest.every((f) => isConcreteField(f) && /^[A-Za-z0-9_./:=@%+,-]+$/.test(fieldText(f)))) {
      run.uncertain(
        `\`${inv.name} -s/-i\` passes the command through a shell with its own quoting; write the command without special characters, or without -s/-i`,
      );
    }
    viaShell(inv, literalField(rest.map(fieldText).join(" ")));
    return;
  }
  run.argv(rest, inv, { bases, inShell: def.inShell === true, assignments, ...(def.stdin ? { stdin: def.stdin } : {}) });
}

/** `sudo -e FILE...` (sudoedit) edits files: read and write. */
function sudoedit(inv: Invocation, parsed: ParsedArgs, bases: readonly Base[]): void {
  for (const f of inv.args.slice(parsed.rest ?? inv.args.length)) {
    inv.run.file("read", f, bases);
    inv.run.file("write", f, bases);
  }
}

/**
 * `env -S 'a b "c d"'`: env's own splitting (quotes, backslash escapes,
 * `${NAME}`). The plain part of that language is modelled; the rest refused.
 */
function splitString(inv: Invocation, value: Field): Field[] {
  if (!isConcreteField(value)) inv.run.uncertain("`env -S` with a string only known at run time");
  const s = fieldText(value);
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) inv.run.uncertain("`env -S`: unterminated quote");
      cur = (cur ?? "") + s.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = s.indexOf('"', i + 1);
      const inner = end < 0 ? "" : s.slice(i + 1, end);
      if (end < 0 || /[\\$]/.test(inner)) inv.run.uncertain("`env -S`: escapes and `${...}` inside double quotes are not modelled; use single quotes");
      cur = (cur ?? "") + inner;
      i = end;
    } else if (c === "\\" || c === "$" || (c === "#" && cur === undefined)) {
      inv.run.uncertain("`env -S`: backslash escapes, `${NAME}` and `#` comments are not modelled; write the words plainly");
    } else cur = (cur ?? "") + c;
  }
  if (cur !== undefined) words.push(cur);
  return words.map(literalField);
}

/**
 * `xargs [OPTS] CMD ARGS`: runs CMD with more words read from stdin (or
 * `-a FILE`), so the inner command has a run-time tail; with `-I R`, every
 * word containing R is only known at run time.
 */
function xargs(inv: Invocation, parsed: ParsedArgs, rest: Field[], bases: readonly Base[]): void {
  const replace = parsed.options.find((o) => o.name === "I" || o.name === "i");
  const command = rest.length > 0 ? rest : [literalField("echo")];
  let inner: Field[];
  if (replace) {
    const r = replace.value && isConcreteField(replace.value) ? fieldText(replace.value) : replace.name === "i" ? "{}" : undefined;
    if (r === undefined) inv.run.uncertain("`xargs -I` with a replacement string only known at run time");
    inner = command.map((f, k) => (k > 0 && fieldText(f).includes(r) ? unknownField(`${f.src} (with the input)`) : f));
  } else inner = [...command, unknownField("words read from stdin")];
  inv.run.argv(inner, inv, { bases, stdin: { kind: "text", text: "" } });
}

/**
 * A program that runs a script through a shell (`flock -c`, `su -c`,
 * `script -c`, `watch`): the shell is a command it runs (`sh -c SCRIPT`),
 * checked like any, and so is the script.
 */
function viaShell(inv: Invocation, script: Field): void {
  inv.run.argv([literalField("sh"), literalField("-c"), script], inv);
}

/** `flock [OPTS] FILE CMD ARGS`, `flock FILE -c 'script'`, `flock NUMBER`. */
function flock(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(
    inv.args,
    optSpec(
      "+ -s -e -x -n -u -o -F -v -w: -E: -c:@s --shared/s --exclusive/x --unlock/u --nonblock/n --nb/n --close/o --no-fork/F --verbose/v --timeout/w --conflict-exit-code/E --command/c --help --version",
    ),
  );
  if (parsed.error) run.uncertain(`\`flock\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`flock` with a word only known at run time before the command");
  const early = parsed.options.find((o) => o.name === "c");
  const rest = inv.args.slice(parsed.rest ?? inv.args.length);
  const lock = rest[0];
  if (!lock) return;
  if (!(isConcreteField(lock) && /^\d+$/.test(fieldText(lock)))) run.file("write", lock, inv.bases);
  if (early?.value) {
    viaShell(inv, early.value);
    return;
  }
  const next = rest[1];
  if (!next) return;
  if (isConcreteField(next) && (fieldText(next) === "-c" || fieldText(next) === "--command")) {
    if (rest.length !== 3) run.uncertain("`flock FILE -c` takes exactly one script argument");
    viaShell(inv, rest[2]!);
    return;
  }
  if (!isConcreteField(next) && fieldHead(next) === "") run.uncertain("`flock FILE` followed by a word only known at run time");
  run.argv(rest.slice(1), inv);
}

/** `watch [OPTS] CMD...`: the words joined run through `sh -c` (with `-x`, as a command). */
function watch(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(
    inv.args,
    optSpec(
      "+ -b -c -C -d:: -e -g -n: -p -t -w -x -q: --beep/b --color/c --no-color/C --differences/d --errexit/e --chgexit/g --interval/n --precise/p --no-title/t --no-wrap/w --exec/x --equexit/q --help --version",
    ),
  );
  if (parsed.error) run.uncertain(`\`watch\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`watch` with a word only known at run time before the command");
  const rest = inv.args.slice(parsed.rest ?? inv.args.length);
  if (rest.length === 0) return;
  if (parsed.options.some((o) => o.name === "x")) run.argv(rest, inv);
  else {
    if (!rest.every(isConcreteField)) run.uncertain("`watch` with a command only known at run time");
    viaShell(inv, literalField(rest.map(fieldText).join(" ")));
  }
}

/** `script [OPTS] [FILE]`: `-c CMD` runs CMD through the user's shell; the session is logged to FILE. */
function scriptProgram(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(
    inv.args,
    optSpec(
      "-a -e -f -q -c:@s -E: -I:@w -O:@w -B:@w -T:@w -t::@w -m: --append/a --return/e --flush/f --quiet/q --command/c --echo/E --log-in/I --log-out/O --log-io/B --log-timing/T --timing/t --logging-format/m --force --output-limit: --help --version",
    ),
  );
  if (parsed.error) run.uncertain(`\`script\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`script` with a word only known at run time");
  for (const o of parsed.options) if (o.tag === "w" && o.value) run.file("write", o.value, inv.bases);
  run.file("write", parsed.operands[0] ?? literalField("typescript"), inv.bases);
  const command = parsed.options.find((o) => o.name === "c");
  if (!command?.value) run.uncertain("`script` without `-c` starts an interactive shell, which reads commands the engine cannot see");
  viaShell(inv, command.value);
}

/** `su [OPTS] [-] [USER [ARGS]]`: `-c CMD` runs CMD through the user's shell. */
function su(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args.filter((f) => !(isConcreteField(f) && fieldText(f) === "-"));
  const parsed = parseArgs(
    args,
    optSpec(
      "-c:@s -f -g: -G: -l -m -p -P -s:@x -w: -u: -T --command/c --session-command:@s --fast/f --group/g --supp-group/G --login/l --preserve-environment/m --pty/P --shell/s --whitelist-environment/w --user/u --no-pty/T --help --version",
    ),
  );
  if (parsed.error) run.uncertain(`\`${inv.name}\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain(`\`${inv.name}\` with a word only known at run time`);
  for (const o of parsed.options) if (o.tag === "x" && o.value) run.uncertain(`\`${inv.name} -s\` runs a shell of its own choosing`);
  if (parsed.operands.length > 1) run.uncertain(`\`${inv.name} USER ARGS\` passes ARGS to the user's shell (a script to run); use -c`);
  const command = parsed.options.find((o) => o.tag === "s");
  if (!command?.value) run.uncertain(`\`${inv.name}\` without -c starts an interactive shell, which reads commands the engine cannot see`);
  viaShell(inv, command.value);
}

/**
 * `find [-H -L -P -D x -O n] PATHS... EXPRESSION`: the paths are read
 * (listed); `-exec`/`-execdir`/`-ok`/`-okdir CMD ... ;` run CMD with each
 * file found (`{}`, only known at run time); `-delete` removes what it finds;
 * `-fprint FILE` and friends write files. A run-time word in the expression
 * could be any of these, so it is refused.
 */
function find(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  let i = 0;
  while (i < args.length) {
    const t = isConcreteField(args[i]!) ? fieldText(args[i]!) : undefined;
    if (t === "-H" || t === "-L" || t === "-P") i++;
    else if (t === "-D" || (t !== undefined && t.startsWith("-O"))) i += t === "-D" ? 2 : 1;
    else break;
  }
  const paths: Field[] = [];
  while (i < args.length) {
    const f = args[i]!;
    const head = fieldHead(f);
    if (isConcreteField(f) && /^[-!(),]/.test(head) && head !== "-") break;
    if (!isConcreteField(f) && (head === "" || head.startsWith("-"))) run.uncertain("`find` with a word only known at run time where its expression starts");
    paths.push(f);
    i++;
  }
  const roots = paths.length > 0 ? paths : [cwdField()];
  for (const p of roots) run.file("read", p, inv.bases);
  const found = (src: string) => ({ ...unknownField(src) });
  for (; i < args.length; i++) {
    const f = args[i]!;
    if (!isConcreteField(f)) run.uncertain(`\`find\` expression word \`${f.src}\` is only known at run time (it could be -exec or -delete)`);
    const t = fieldText(f);
    if (t === "-exec" || t === "-execdir" || t === "-ok" || t === "-okdir") {
      let j = i + 1;
      while (
        j < args.length &&
        !(isConcreteField(args[j]!) && (fieldText(args[j]!) === ";" || (fieldText(args[j]!) === "+" && fieldText(args[j - 1]!) === "{}")))
      )
        j++;
      if (j >= args.length) run.uncertain(`\`find ${t}\` without \`;\` or \`+\``);
      const inner = args.slice(i + 1, j).map((w) => (isConcreteField(w) && fieldText(w).includes("{}") ? found(`${w.src} (a file find found)`) : w));
      if (inner.length === 0) run.uncertain(`\`find ${t}\` without a command`);
      const bases = t === "-execdir" || t === "-okdir" ? [{ kind: "unknown" } as Base] : inv.bases;
      run.argv(inner, inv, { bases, stdin: t.startsWith("-ok") ? { kind: "inherit" } : { kind: "text", text: "" } });
      i = j;
    } else if (t === "-delete") {
      for (const p of roots) run.file("delete", p, inv.bases, { tree: true });
    } else if (t === "-fprint" || t === "-fprint0" || t === "-fls" || t === "-fprintf") {
      const v = args[i + 1];
      if (!v) run.uncertain(`\`find ${t}\` without a file`);
      run.file("write", v, inv.bases);
      i += t === "-fprintf" ? 2 : 1;
    } else if (t === "-files0-from") {
      const v = args[i + 1];
      if (!v) run.uncertain("`find -files0-from` without a file");
      run.file("read", v, inv.bases);
      run.file("read", unknownField("the directories a list names"), inv.bases, { tree: true });
      i++;
    } else if (VALUE_TESTS.has(t)) {
      i++;
    }
  }
}

// find primaries that take one value (so the value is not read as a primary)
const VALUE_TESTS = new Set([
  "-name",
  "-iname",
  "-path",
  "-ipath",
  "-wholename",
  "-iwholename",
  "-regex",
  "-iregex",
  "-regextype",
  "-type",
  "-xtype",
  "-user",
  "-group",
  "-uid",
  "-gid",
  "-perm",
  "-size",
  "-mtime",
  "-mmin",
  "-atime",
  "-amin",
  "-ctime",
  "-cmin",
  "-newer",
  "-anewer",
  "-cnewer",
  "-newerXY",
  "-links",
  "-inum",
  "-samefile",
  "-lname",
  "-ilname",
  "-maxdepth",
  "-mindepth",
  "-fstype",
  "-context",
  "-printf",
  "-used",
]);

/**
 * GNU parallel, in its plain form `parallel [flags] CMD ::: ARGS`: the
 * command (a shell command line, with `{}` replaced by each argument
 * quoted) is checked once per argument. Commands read from stdin or from
 * files (`::::`) are only known at run time and refused.
 */
function parallel(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  let i = 0;
  while (
    i < args.length &&
    isConcreteField(args[i]!) &&
    /^-(j\d*|k|v|q|-keep-order|-verbose|-jobs=\d+|-will-cite|-bar|-progress|-eta)$/.test(fieldText(args[i]!))
  )
    i++;
  if (i < args.length && isConcreteField(args[i]!) && fieldText(args[i]!) === "-j") i += 2;
  const sep = args.findIndex((f, k) => k >= i && isConcreteField(f) && fieldText(f) === ":::");
  if (sep < 0 || sep === i) run.uncertain("`parallel` reads commands or arguments the engine cannot see; use the form `parallel CMD ::: ARGS`");
  const cmd = args.slice(i, sep);
  const values = args.slice(sep + 1);
  if (!cmd.every(isConcreteField) || !values.every(isConcreteField) || values.some((v) => /^::::?$/.test(fieldText(v))))
    run.uncertain("`parallel` with words only known at run time, or several argument sources");
  if (cmd.some((f) => /^-/.test(fieldText(f)))) run.uncertain("`parallel` options after the command are not modelled");
  const text = cmd.map(fieldText).join(" ");
  if (/\{[^}]+\}/.test(text)) run.uncertain("`parallel` replacement strings other than `{}` are not modelled");
  for (const v of values.map(fieldText)) {
    const quoted = "'" + v.replace(/'/g, "'\\''") + "'";
    run.script(text.includes("{}") ? text.replace(/\{\}/g, quoted) : `${text} ${quoted}`, inv, { what: "`parallel`" });
  }
}
