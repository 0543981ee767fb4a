import { cwdField, type Field, fieldHead, fieldText, isConcreteField, literalField, unknownField } from "./fields.js";
import type { Invocation, Model, Runner } from "./invocation.js";
import { remoteUrl } from "./network-programs.js";

/**
 * git: its global options (`-C DIR` moves the directory of everything
 * after it; `-c KEY=VALUE` only for settings that do not run programs or
 * redirect the network), the subcommand options that run commands
 * (`rebase --exec`, `bisect run`, `submodule foreach`, `filter-branch
 * --*-filter` are checked as commands; `--upload-pack`, `--receive-pack`,
 * `difftool --extcmd`, `grep -O` are refused), remotes given as URLs on the
 * line (network destinations), and `git config` setting a key that runs a
 * program (refused). Every other word may name a file (`git show
 * HEAD:.env`): it is checked against deny rules.
 *
 * Aliases and remotes defined in git's configuration files are outside the
 * model: a policy protects those files with file rules (`.git/config`,
 * `~/.gitconfig`), and named remotes (`origin`) reach whatever they point to.
 */

/** Settings that neither run a program nor change where git connects. */
const SAFE_CONFIG =
  /^(color(\..+)?|user\.(name|email|signingkey)|author\.(name|email)|committer\.(name|email)|core\.(quotepath|autocrlf|safecrlf|filemode|ignorecase|precomposeunicode|longpaths|abbrev|commentchar|eol|whitespace|symlinks)|init\.defaultbranch|advice\..+|log\..+|pull\.(rebase|ff)|push\.(default|autosetupremote|followtags)|merge\.(ff|conflictstyle|log)|diff\.(noprefix|renames|colormoved|algorithm|mnemonicprefix|relative|context|interhunkcontext|statgraphwidth)|status\..+|grep\.(linenumber|extendedregexp|patterntype|column|fullname|fallbacktonogrep)|fetch\.(prune|prunetags|parallel|writecommitgraph)|rebase\.(autostash|autosquash|updaterefs|stat|missingcommitscheck)|commit\.(verbose|cleanup|status)|gc\.(auto|autodetach)|safe\.directory|column\..+|format\.(pretty|numbered|signoff)|blame\..+|branch\.(sort|autosetupmerge|autosetuprebase)|tag\.sort|versionsort\..+|help\.autocorrect|maintenance\.auto|pager\.(log|diff|show|branch|status|config|tag|grep|blame|stash)=(false|true|0|1)?|feature\..+|index\..+|checkout\.(defaultremote|workers)|clone\.defaultremotename|submodule\.recurse=false|credential\.helper=)$/i;

const GLOBAL_VALUE = new Set(["-C", "-c", "--namespace", "--git-dir", "--work-tree", "--super-prefix", "--config-env", "--list-cmds", "--attr-source"]);
const GLOBAL_FLAGS = new Set([
  "-p",
  "--paginate",
  "-P",
  "--no-pager",
  "--no-replace-objects",
  "--bare",
  "--literal-pathspecs",
  "--glob-pathspecs",
  "--noglob-pathspecs",
  "--icase-pathspecs",
  "--no-optional-locks",
  "--version",
  "-v",
  "--help",
  "-h",
  "--html-path",
  "--man-path",
  "--info-path",
  "--no-advice",
]);

function configSafe(inv: Invocation, kv: Field, what: string): void {
  if (!isConcreteField(kv)) inv.run.uncertain(`\`git ${what}\` with a setting only known at run time`);
  const t = fieldText(kv);
  const eq = t.indexOf("=");
  const key = eq < 0 ? t : t.slice(0, eq);
  const value = eq < 0 ? "" : t.slice(eq + 1);
  // `blame.ignoreRevsFile` is read (and its lines shown in errors)
  if (/^blame\.ignorerevsfile$/i.test(key) && value !== "") inv.run.file("read", literalField(value), inv.bases);
  if (!SAFE_CONFIG.test(key) && !SAFE_CONFIG.test(`${key}=${value}`)) {
    inv.run.uncertain(
      `\`git ${what} ${key}=...\`: this setting can run a program or change where git connects (only plain settings like user.name or color.* are modelled)`,
    );
  }
}

/** How many directories above the current one a repository's root is looked for (`git show HEAD:path`). */
const REPO_ROOT_DEPTH = 12;

function git(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args;
  let bases = inv.bases;
  let i = 0;
  // global options, up to the subcommand
  for (; i < args.length; i++) {
    const f = args[i]!;
    if (!isConcreteField(f)) {
      if (fieldHead(f).startsWith("-") || fieldHead(f) === "") run.uncertain("`git` with an option or subcommand only known at run time");
      break;
    }
    const t = fieldText(f);
    if (!t.startsWith("-")) break;
    const eq = t.indexOf("=");
    const name = eq > 0 ? t.slice(0, eq) : t;
    if (t.startsWith("--exec-path")) {
      if (eq > 0 || args[i + 1] === undefined) run.uncertain("`git --exec-path=DIR` runs git's programs from DIR");
      continue; // `--exec-path` alone prints it
    }
    if (GLOBAL_FLAGS.has(t)) continue;
    if (!GLOBAL_VALUE.has(name) && !/^-C./.test(t) && !/^-c./.test(t)) run.uncertain(`\`git ${t}\` is not a git option the engine models`);
    const value: Field | undefined = eq > 0 ? literalField(t.slice(eq + 1)) : /^-[Cc]./.test(t) ? literalField(t.slice(2)) : args[++i];
    if (!value) run.uncertain(`\`git ${t}\` needs a value`);
    if (name === "-C" || t.startsWith("-C")) bases = run.chdir(bases, value);
    else if (name === "-c" || t.startsWith("-c")) configSafe(inv, value, "-c");
    else if (name === "--config-env") run.uncertain("`git --config-env` sets configuration from the environment");
    else if (name === "--git-dir" || name === "--work-tree") run.possibleFiles([value], bases);
  }
  const sub = args[i];
  if (!sub) return;
  const name = isConcreteField(sub) ? fieldText(sub) : "";
  const rest = args.slice(i + 1);
  // pathspec magic (`:(icase).ENV`, `:(glob)**`, `:!x`) makes git match paths its own way
  if (rest.some((f) => /^:[(!^/]/.test(fieldHead(f))))
    run.uncertain("git pathspec magic (`:(icase)`, `:(glob)`, `:!`, `:/`) matches paths in ways file rules cannot follow; name the paths");
  const sub2: Invocation = { ...inv, bases, args: rest };
  run.possibleFiles(withoutMessages(rest), bases);
  // `REV:path` names a path from the repository's root (only `REV:./path` is from the current directory),
  // which is the current directory or one above it: each of them is a possible read
  for (const f of withoutMessages(rest)) {
    const m = /^[^-:\s][^:\s]*:(?!\/\/)(?!\.\.?\/)([^/\s].*)$/.exec(text(f) ?? "");
    if (m) for (let up = 1; up <= REPO_ROOT_DEPTH; up++) run.file("read", literalField(`${"../".repeat(up)}${m[1]!}`), bases, { possible: true });
  }
  // `--pathspec-from-file=F` (add, commit, reset, checkout, restore, rm, stash): the paths are in F (or stdin)
  for (const o of findOption(rest, ["pathspec-from-file"], "")) {
    if (o.value) run.file("read", o.value, bases);
    run.file("read", unknownField("the paths a pathspec file names"), bases);
  }
  // files git itself writes: `--output=F` (diff, log, show, archive), `format-patch -o DIR`, `archive -o F`, `bundle create F`
  for (const o of findOption(rest, ["output"], name === "archive" ? "o" : "")) if (o.value) run.file("write", o.value, bases);
  if (name === "format-patch") for (const o of findOption(rest, ["output-directory"], "o")) if (o.value) run.file("write", o.value, bases, { tree: true });
  if (name === "bundle" && text(rest.find((f) => !fieldHead(f).startsWith("-"))) === "create") {
    const file = operands(rest).slice(1)[0];
    if (file) run.file("write", file, bases);
  }
  // `git remote-ext`, `remote-fd`, ...: remote helpers run directly (`remote-ext` runs a command)
  if (/^remote-/.test(name)) run.uncertain(`\`git ${name}\` is a remote helper (\`remote-ext\` runs a command); use fetch/push with a URL`);
  SUBCOMMANDS[name]?.(sub2, rest);
}

/** The words other than commit/tag messages (`-m MSG`): a message names no file. */
function withoutMessages(args: readonly Field[]): Field[] {
  const out: Field[] = [];
  for (let k = 0; k < args.length; k++) {
    const t = text(args[k]);
    // `-m MSG`, `-am MSG`, `-mMSG`, `--message=MSG`
    if (t === "--message" || (t !== undefined && /^-[A-Za-z]*m$/.test(t))) {
      k++;
      continue;
    }
    if (t !== undefined && (/^-[A-Za-z]*m./.test(t) || t.startsWith("--message="))) continue;
    out.push(args[k]!);
  }
  return out;
}

type Sub = (inv: Invocation, args: readonly Field[]) => void;

/** The work tree (or the paths given after `--`): every file under it is read. */
function workTree(inv: Invocation, args: readonly Field[]): void {
  const dd = args.findIndex((f) => text(f) === "--");
  const paths = dd >= 0 ? args.slice(dd + 1) : [];
  for (const p of paths.length > 0 ? paths : [cwdField()]) inv.run.file("read", p, inv.bases, { tree: true });
}

const text = (f: Field | undefined) => (f && isConcreteField(f) ? fieldText(f) : undefined);

/** An option given as `--name=v`, `--name v`, an unambiguous `--na` abbreviation, or (for short) `-x v`, `-xv`, bundled. */
function findOption(
  args: readonly Field[],
  long: readonly string[],
  short: string,
  all: readonly string[] = long,
): Array<{ value: Field | undefined; at: number }> {
  const out: Array<{ value: Field | undefined; at: number }> = [];
  for (let k = 0; k < args.length; k++) {
    const t = text(args[k]);
    if (t === undefined) continue;
    if (t === "--") break;
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      const n = (eq < 0 ? t : t.slice(0, eq)).slice(2);
      if (n.length === 0) continue;
      const hit = long.some((l) => l === n || (l.startsWith(n) && !all.some((o) => o !== l && o.startsWith(n) && !long.includes(o))));
      if (hit) out.push({ value: eq < 0 ? args[k + 1] : literalField(t.slice(eq + 1)), at: k });
    } else if (short && /^-[A-Za-z0-9]+/.test(t) && t.slice(1).includes(short)) {
      const at = t.indexOf(short);
      const attached = t.slice(at + 1);
      out.push({ value: attached ? literalField(attached) : args[k + 1], at: k });
    }
  }
  return out;
}

/** The operands (words that are not options) of a subcommand, skipping values of the given options. */
function operands(args: readonly Field[], valueOptions: readonly string[] = []): Field[] {
  const out: Field[] = [];
  for (let k = 0; k < args.length; k++) {
    const t = text(args[k]);
    if (t === "--") {
      out.push(...args.slice(k + 1));
      break;
    }
    if (t !== undefined && t.startsWith("-")) {
      if (valueOptions.includes(t)) k++;
      continue;
    }
    out.push(args[k]!);
  }
  return out;
}

const refuse =
  (long: string[], short: string, why: string): Sub =>
  (inv, args) => {
    if (findOption(args, long, short).length > 0) inv.run.uncertain(why);
  };

/**
 * `git fetch|pull|push|ls-remote [<repository> [<refspec>...]]`: only the first
 * operand names where git connects; the words after it are refspecs
 * (`main:main`, `+HEAD:refs/heads/x`, `:old`), which git never reads as a URL.
 */
function network(inv: Invocation, args: readonly Field[], valueOptions: string[] = []): void {
  const [repository] = operands(args, valueOptions);
  if (repository === undefined) return;
  const t = text(repository);
  if (t === undefined || /:\/\//.test(t) || /^[^/]*?:/.test(t)) remoteUrl({ ...inv, name: "git" }, repository);
}

const UPLOAD_PACK = refuse(["upload-pack"], "u", "`--upload-pack` runs a program of the caller's choosing");

const SUBCOMMANDS: Record<string, Sub> = {
  clone: (inv, args) => {
    UPLOAD_PACK(inv, args);
    for (const c of findOption(args, ["config"], "c")) if (c.value) configSafe(inv, c.value, "clone -c");
    if (findOption(args, ["template"], "").length > 0) inv.run.uncertain("`git clone --template` installs hooks the engine cannot see");
    if (findOption(args, ["recurse-submodules", "recursive"], "").length > 0)
      inv.run.uncertain("`git clone --recurse-submodules` fetches from URLs inside the repository");
    const [remote] = operands(args, [
      "-b",
      "-o",
      "-c",
      "--depth",
      "--branch",
      "--origin",
      "--config",
      "--reference",
      "-j",
      "--jobs",
      "--separate-git-dir",
      "--filter",
      "--shallow-since",
      "--shallow-exclude",
      "-u",
    ]);
    if (remote) remoteUrl({ ...inv, name: "git clone" }, remote);
  },
  fetch: (inv, args) => {
    UPLOAD_PACK(inv, args);
    network(inv, args, [
      "--depth",
      "-j",
      "--jobs",
      "--shallow-since",
      "--shallow-exclude",
      "--negotiation-tip",
      "--filter",
      "-o",
      "--server-option",
      "--refmap",
    ]);
  },
  pull: (inv, args) => {
    UPLOAD_PACK(inv, args);
    network(inv, args, ["--depth", "-j", "--jobs", "-s", "--strategy", "-X", "--strategy-option"]);
  },
  "ls-remote": (inv, args) => {
    UPLOAD_PACK(inv, args);
    network(inv, args, ["-o", "--server-option", "--sort"]);
  },
  push: (inv, args) => {
    if (findOption(args, ["receive-pack", "exec"], "").length > 0)
      inv.run.uncertain("`git push --receive-pack/--exec` runs a program of the caller's choosing");
    for (const r of findOption(args, ["repo"], "")) if (r.value) remoteUrl({ ...inv, name: "git push --repo" }, r.value);
    network(inv, args, ["-o", "--push-option", "--repo"]);
  },
  archive: (inv, args) => {
    if (findOption(args, ["exec"], "").length > 0) inv.run.uncertain("`git archive --exec` runs a program of the caller's choosing");
    for (const r of findOption(args, ["remote"], "")) if (r.value) remoteUrl({ ...inv, name: "git archive" }, r.value);
  },
  remote: (inv, args) => {
    const ops = operands(args, ["-t", "-m"]);
    if (text(ops[0]) === "add" && ops[2]) remoteUrl({ ...inv, name: "git remote add" }, ops[2]);
    if (text(ops[0]) === "set-url" && ops[2]) remoteUrl({ ...inv, name: "git remote set-url" }, ops[ops.length - 1]!);
  },
  submodule: (inv, args) => {
    const ops = operands(args, ["-b", "--branch", "--name", "--reference", "--depth", "-j", "--jobs"]);
    const verb = text(ops[0]);
    if (verb === "add" && ops[1]) remoteUrl({ ...inv, name: "git submodule add" }, ops[1]);
    if (verb === "update" || verb === "init" || verb === "sync")
      inv.run.uncertain(`\`git submodule ${verb}\` fetches from URLs (and may run update commands) inside the repository`);
    if (verb === "foreach") {
      const at = args.findIndex((f) => text(f) === "foreach");
      const cmd = args.slice(at + 1).filter((f) => !["--recursive", "-q", "--quiet"].includes(text(f) ?? ""));
      if (!cmd.every(isConcreteField)) inv.run.uncertain("`git submodule foreach` with a command only known at run time");
      inv.run.script(cmd.map(fieldText).join(" "), inv, { what: "`git submodule foreach`", bases: [{ kind: "unknown" }] });
    }
  },
  rebase: (inv, args) => {
    for (const x of findOption(args, ["exec"], "x", ["exec", "empty"])) {
      if (!x.value) return inv.run.uncertain("`git rebase --exec` without a command");
      inv.run.script(x.value, inv, { what: "`git rebase --exec`" });
    }
  },
  bisect: (inv, args) => {
    const at = args.findIndex((f) => text(f) === "run");
    if (at >= 0) {
      if (at + 1 >= args.length) inv.run.uncertain("`git bisect run` without a command");
      inv.run.argv(args.slice(at + 1), inv);
    }
  },
  "filter-branch": (inv, args) => {
    for (const f of ["tree-filter", "index-filter", "env-filter", "msg-filter", "commit-filter", "tag-name-filter", "parent-filter", "setup"]) {
      for (const x of findOption(args, [f], "")) {
        if (!x.value) return inv.run.uncertain(`\`git filter-branch --${f}\` without a command`);
        inv.run.script(x.value, inv, { what: `\`git filter-branch --${f}\``, bases: [{ kind: "unknown" }] });
      }
    }
  },
  difftool: refuse(["extcmd", "tool"], "x", "`git difftool -x/--tool` runs a program the engine cannot check"),
  mergetool: refuse(["tool"], "t", "`git mergetool --tool` runs a program the engine cannot check"),
  grep: (inv, args) => {
    if (findOption(args, ["open-files-in-pager"], "O").length > 0) inv.run.uncertain("`git grep -O` runs a pager program on the results");
    // it prints the contents of every tracked file of the work tree (a committed `.env` too: the
    // same text `git show HEAD:.env` prints), and with --untracked/--no-index untracked ones: a
    // read of the tree below the cwd, or of the paths after `--`, like `grep -r`
    workTree(inv, args);
  },
  // adding or stashing everything reads every file of the work tree (a `.env` not in .gitignore too)
  add: (inv, args) => {
    if (findOption(args, ["all"], "A").length > 0) workTree(inv, args);
  },
  stash: (inv, args) => {
    if (findOption(args, ["include-untracked", "all"], "u").length > 0 || args.some((f) => text(f) === "-a")) workTree(inv, args);
  },
  commit: (inv, args) => {
    if (findOption(args, ["all"], "a").length > 0) workTree(inv, args);
  },
  config: (inv, args) => {
    const ops = operands(args, ["-f", "--file", "--blob", "--type", "--default", "--comment"]);
    // `--null`/`-z` only change how values are printed: `git config -z alias.x '!cmd'` still sets it
    const readOnly = args.some((f) =>
      /^--(get|get-all|get-regexp|get-urlmatch|list|show-origin|show-scope|name-only|get-color|get-colorbool)$|^-l$/.test(text(f) ?? ""),
    );
    // renaming a section moves its keys into another (`color` -> `alias`): whatever was set there now runs
    if (args.some((f) => /^--rename-section$/.test(text(f) ?? "")) || text(ops[0]) === "rename-section")
      return inv.run.uncertain("`git config --rename-section` moves settings into a section that may run programs (`alias`); set the keys directly");
    const removing = args.some((f) => /^--(unset|unset-all|remove-section)$/.test(text(f) ?? ""));
    const verbs = ["get", "get-all", "list", "get-regexp", "get-urlmatch", "get-color", "get-colorbool", "unset", "remove-section", "rename-section", "edit"];
    if (readOnly || removing || ops.length < 2 || verbs.includes(text(ops[0]) ?? "")) return;
    const setVerb = text(ops[0]) === "set";
    const key = setVerb ? ops[1] : ops[0];
    const value = setVerb ? ops[2] : ops[1];
    if (!key || !isConcreteField(key) || (value && !isConcreteField(value)))
      return inv.run.uncertain("`git config` setting a key or value only known at run time");
    configSafe(inv, literalField(`${fieldText(key)}=${value ? fieldText(value) : ""}`), "config");
  },
  "send-pack": (inv, args) => {
    if (findOption(args, ["receive-pack", "exec"], "").length > 0)
      inv.run.uncertain("`git send-pack --receive-pack/--exec` runs a program of the caller's choosing");
    network(inv, args);
  },
  "fetch-pack": (inv, args) => {
    if (findOption(args, ["upload-pack", "exec"], "").length > 0)
      inv.run.uncertain("`git fetch-pack --upload-pack/--exec` runs a program of the caller's choosing");
    network(inv, args, ["--depth", "--shallow-since", "--shallow-exclude"]);
  },
  "for-each-repo": (inv) =>
    inv.run.uncertain(
      "`git for-each-repo` runs git with options (`-c alias...`) in repositories listed in the configuration; run the git command in each directory",
    ),
  instaweb: (inv) => inv.run.uncertain("`git instaweb` starts a web server program (`--httpd`) the engine does not model"),
  "cat-file": (inv, args) => {
    if (args.some((f) => /^--batch/.test(text(f) ?? "-")) || !args.every(isConcreteField))
      inv.run.uncertain("`git cat-file --batch` reads the objects to show (`HEAD:path`) from stdin, which the engine cannot see; name the object on the line");
  },
  "hash-object": (inv, args) => {
    if (findOption(args, ["stdin-paths"], "").length > 0) inv.run.file("read", unknownField("the files named on stdin"), inv.bases);
  },
  "send-email": (inv) => inv.run.uncertain("`git send-email` runs SMTP programs and commands (--to-cmd, --smtp-server) the engine does not model"),
  "credential-cache": () => {},
};

export const GIT: Record<string, Model> = { git };
