import { basename, SCRIPT_RUNNERS, shellScript, SHELLS, unwrap } from "./command-wrappers.js";
import { fileEffects, UncertainFile } from "./file-effects.js";
import { MAX_SHELL_DEPTH, parseShell, type SimpleCommand, type Word } from "./shell-parse.js";

/**
 * Turns a command line into everything the policy must allow for it to run:
 * the text of every simple command (and of the commands that wrappers, `sh -c`,
 * `eval` and here-documents fed to a shell run), plus the files its
 * redirections read and write. The whole line is allowed only if each is.
 */
export interface CommandAnalysis {
  /** command texts, quoting removed, words joined by one space */
  checks: string[];
  /** files read through `<` (as written; resolved against cwd by the caller) */
  reads: string[];
  /** files written through `>`, `>>`, `&>`, `<>`, or by commands such as `tee`, `cp`, `sed -i` */
  writes: string[];
  /** files removed by `rm`, `mv` (its sources), `shred` */
  deletes: string[];
}

export type AnalyzeResult = { ok: true; analysis: CommandAnalysis } | { ok: false; reason: string };

class Uncertain extends Error {}

// Redirection to these is not a file write anyone needs a policy for.
const HARMLESS_TARGETS = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/0", "/dev/fd/1", "/dev/fd/2"]);
const DIRECTORY_CHANGERS = new Set(["cd", "pushd", "popd"]);

export function analyzeCommand(line: string): AnalyzeResult {
  const acc: CommandAnalysis = { checks: [], reads: [], writes: [], deletes: [] };
  let changesDir = false;
  try {
    changesDir = addScript(line, 0, acc);
  } catch (e) {
    if (e instanceof Uncertain) return { ok: false, reason: e.message };
    throw e;
  }
  if (changesDir && [...acc.reads, ...acc.writes, ...acc.deletes].some((p) => !p.startsWith("/"))) {
    return { ok: false, reason: "a relative file path follows `cd`: the directory it refers to is not known before the command runs" };
  }
  const harmless = (p: string) => !HARMLESS_TARGETS.has(p);
  acc.reads = [...new Set(acc.reads.filter(harmless))];
  acc.writes = [...new Set(acc.writes.filter(harmless))];
  acc.deletes = [...new Set(acc.deletes.filter(harmless))];
  if (acc.checks.length > 1) acc.checks = [...new Set(acc.checks)];
  return { ok: true, analysis: acc };
}

/** Returns true when the script changes directory. */
function addScript(src: string, depth: number, acc: CommandAnalysis): boolean {
  if (depth > MAX_SHELL_DEPTH) throw new Uncertain(`command nests deeper than ${MAX_SHELL_DEPTH} levels`);
  const parsed = parseShell(src, depth);
  if (!parsed.ok) throw new Uncertain(`cannot parse command: ${parsed.reason}`);
  let changesDir = false;
  for (const sc of parsed.commands) changesDir = addSimple(sc, depth, acc) || changesDir;
  return changesDir;
}

function addSimple(sc: SimpleCommand, depth: number, acc: CommandAnalysis): boolean {
  for (const w of [...sc.assignments, ...sc.words]) {
    if (w.brace) throw new Uncertain(`brace expansion in \`${w.text}\` is not supported; write the words out`);
  }
  for (const r of sc.redirects) addRedirect(r.op, r.target, acc);
  if (sc.words.length === 0) {
    // A bare assignment can change what later commands run (PATH, LD_PRELOAD), so it is checked as written.
    if (sc.assignments.length > 0) acc.checks.push(sc.assignments.map((w) => w.text).join(" "));
    return false;
  }
  return addWords(sc.words, sc.assignments, depth, sc, acc);
}

function addRedirect(op: string, target: Word, acc: CommandAnalysis): void {
  if ((op === ">&" || op === "<&") && /^(\d+|-)$/.test(target.text)) return; // fd duplication
  if (target.dynamic || target.glob) throw new Uncertain(`redirection target \`${target.text}\` is only known at run time`);
  if (HARMLESS_TARGETS.has(target.text)) return;
  if (op === "<" || op === "<&" || op === "<>") acc.reads.push(target.text);
  if (op !== "<" && op !== "<&") acc.writes.push(target.text);
}

function addWords(words: Word[], assignments: Word[], depth: number, sc: SimpleCommand, acc: CommandAnalysis): boolean {
  const head = words[0]!;
  if (head.dynamic) throw new Uncertain(`command name \`${head.text}\` is only known at run time`);
  if (head.glob) throw new Uncertain(`command name \`${head.text}\` contains glob characters`);
  const texts = words.map((w) => w.text);
  const name = basename(head.text);
  acc.checks.push([...assignments.map((w) => w.text), ...texts].join(" "));
  if (assignments.length > 0) acc.checks.push(texts.join(" "));
  // `/usr/bin/terraform destroy` is still `terraform destroy` to a deny rule.
  if (head.text.includes("/")) acc.checks.push([name, ...texts.slice(1)].join(" "));
  let changesDir = DIRECTORY_CHANGERS.has(name);
  try {
    const fx = fileEffects(name, words.slice(1));
    if (fx) {
      acc.reads.push(...fx.reads);
      acc.writes.push(...fx.writes);
      acc.deletes.push(...fx.deletes);
    }
  } catch (e) {
    if (e instanceof UncertainFile) throw new Uncertain(e.message);
    throw e;
  }

  if (SHELLS.has(name)) {
    const where = shellScript(texts);
    if (where.kind === "inline") {
      const script = words[where.index];
      if (!script) throw new Uncertain(`\`${name} -c\` without a script`);
      if (script.dynamic) throw new Uncertain(`the script given to \`${name} -c\` is only known at run time`);
      changesDir = addScript(script.text, depth + 1, acc) || changesDir;
    } else if (where.kind === "stdin") {
      if (sc.stdin) {
        if (sc.stdin.dynamic) throw new Uncertain(`the script fed to \`${name}\` is only known at run time`);
        changesDir = addScript(sc.stdin.text, depth + 1, acc) || changesDir;
      } else if (sc.piped) {
        throw new Uncertain(`\`${name}\` reads its script from a pipe, which cannot be inspected`);
      }
    }
  }
  if (name === "eval") {
    const args = words.slice(1);
    if (args.some((w) => w.dynamic)) throw new Uncertain("`eval` of text only known at run time");
    changesDir = addScript(args.map((w) => w.text).join(" "), depth + 1, acc) || changesDir;
  }
  for (const [start, end] of unwrap(texts)) {
    const innerWords = words.slice(start, end);
    if (SCRIPT_RUNNERS.has(name)) {
      if (innerWords.some((w) => w.dynamic)) throw new Uncertain(`\`${name}\` of text only known at run time`);
      changesDir = addScript(innerWords.map((w) => w.text).join(" "), depth + 1, acc) || changesDir;
    } else {
      changesDir = addWords(innerWords, [], depth + 1, sc, acc) || changesDir;
    }
  }
  return changesDir;
}
