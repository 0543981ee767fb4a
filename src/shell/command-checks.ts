import type { Template } from "../match/template.js";
import type { AndOr, Command, List, Part, Pipeline, Redirect, SimpleCommand, Word } from "./ast.js";
import { BraceError, expandBraces } from "./brace.js";
import type { Base, CommandAnalysis, FileOp, NetEffect } from "./effects.js";
import { expandWord, literalStdin, literalStdinOfBareCat, type Visitor } from "./expand.js";
import { assignmentField, assignmentPolicy, splitAssignment } from "./assignments.js";
import { baseKey, limitBases, sameBases, union } from "./directories.js";
import { type Field, fieldText, isConcreteField, joinFields, literalField } from "./fields.js";
import { pathCandidates } from "./possible-files.js";
import { procPathKind } from "./proc-paths.js";
import type { Invocation, Runner, Stdin } from "./invocation.js";
import { Budget, MAX_SCRIPT_NESTING, MAX_SUBJECTS, MAX_WRAPPERS } from "./limits.js";
import { destinationsIn, urlLike } from "./network-programs.js";
import { modelFor, SHELL_MAINTAINED } from "./programs.js";
import { isAssignment, parseShell } from "./shell-parse.js";

export type { CommandAnalysis } from "./effects.js";
export { NEVER_ALLOWED_ASSIGNMENTS, RUNS_ITS_VALUE } from "./assignments.js";

/**
 * Turns a command line into everything the policy must allow for it to run
 * (effects.ts): each command the shell would run, with the commands those
 * run in turn, and the files, environment variables and network
 * destinations they name. The line is allowed only if each is. Anything the
 * model cannot tell, it refuses with a reason (`{ ok: false }`), which the
 * engine reports as `uncertain`.
 */
export type AnalyzeResult = { ok: true; analysis: CommandAnalysis } | { ok: false; reason: string };

export interface AnalyzeOptions {
  /**
   * Directories whose programs are the same as the bare name (`/usr/bin/git`
   * is `git`); a program anywhere else (`./git`, `/tmp/git`) is a different
   * command. Default: the system directories only root can write.
   */
  commandPaths?: readonly string[];
  /** `NAME=VALUE` patterns of assignments a command may carry without them being part of its text */
  allowAssignments?: readonly string[];
  /** report the words of unmodelled programs as files they may touch (only deny rules act on those) */
  possibleFiles?: boolean;
  /** and their URL words as destinations they may connect to */
  possibleNetwork?: boolean;
}

export const DEFAULT_COMMAND_PATHS: readonly string[] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

class Uncertain extends Error {}

// Redirection to these is not a file action anyone needs a policy for.
const HARMLESS_TARGETS = new Set([
  "/dev/null",
  "/dev/stdout",
  "/dev/stderr",
  "/dev/tty",
  "/dev/zero",
  "/dev/random",
  "/dev/urandom",
  "/dev/full",
  "/dev/fd/0",
  "/dev/fd/1",
  "/dev/fd/2",
  "/dev/stdin",
]);

export function analyzeCommand(line: string, opts: AnalyzeOptions = {}): AnalyzeResult {
  const a = new Analyzer(line, opts);
  try {
    a.scriptTop(line, { cwds: [{ kind: "cwd" }], bound: new Map() });
  } catch (e) {
    if (e instanceof Uncertain) return { ok: false, reason: e.message };
    if (e instanceof BraceError) return { ok: false, reason: e.message };
    if (e instanceof RangeError) return { ok: false, reason: "the command nests too deeply to check" };
    throw e;
  }
  return { ok: true, analysis: a.result() };
}

/** The shell state that matters to the analysis: where relative paths point, which variables the line set itself. */
interface Scope {
  cwds: Base[];
  /** variables the line set itself; true when the value may hold text bash's arithmetic would run (`a[$(cmd)]`) */
  bound: Map<string, boolean>;
}

const copy = (s: Scope): Scope => ({ cwds: s.cwds, bound: new Map(s.bound) });
const SAFE_VALUE = /^[A-Za-z0-9_.,:\/+-]*$/;
const risky = (f: Field | undefined) => !f || !isConcreteField(f) || !SAFE_VALUE.test(fieldText(f));

interface Outcome {
  ok: Base[];
  fail: Base[];
}

class Analyzer implements Runner {
  private readonly budget: Budget;
  private readonly out: CommandAnalysis = { execs: [], files: [], env: [], net: [] };
  private readonly seen = new Set<string>();
  private readonly trusted: ReadonlySet<string>;
  private readonly assignmentOk: (name: string, value: Field) => boolean;
  private readonly mentionsCdpath: boolean;
  private scriptDepth = 0;
  /** commands and words parsed so far, over every script of the line */
  private readonly counter = { commands: 0, words: 0 };
  private readonly checkPossible: boolean;
  private readonly checkPossibleNet: boolean;
  /** for commands that run in the shell itself: that shell's scope */
  private readonly shells = new WeakMap<Invocation, Scope>();
  /**
   * Variables the line gives a value bash's arithmetic would run (`a[$(cmd)]`)
   * that may reach another shell's environment (`X=... bash -c`, `export X=...`,
   * `env X=...`): a nested script evaluating `$((X))` runs it.
   */
  private readonly riskyExported = new Set<string>();

  constructor(line: string, opts: AnalyzeOptions) {
    this.budget = Budget.forLine(line.length);
    this.trusted = new Set((opts.commandPaths ?? DEFAULT_COMMAND_PATHS).map((d) => d.replace(/\/+$/, "") || "/"));
    this.assignmentOk = assignmentPolicy(opts.allowAssignments ?? []);
    this.mentionsCdpath = line.includes("CDPATH");
    this.checkPossible = opts.possibleFiles === true;
    this.checkPossibleNet = opts.possibleNetwork === true;
  }

  result(): CommandAnalysis {
    return this.out;
  }

  private add(key: string): boolean {
    if (this.seen.has(key)) return false;
    if (this.seen.size >= MAX_SUBJECTS) throw new Uncertain(`the line makes more than ${MAX_SUBJECTS} distinct checks; split it into smaller commands`);
    this.seen.add(key);
    return true;
  }

  // ---- Runner: what program models report ----

  uncertain(reason: string): never {
    throw new Uncertain(reason);
  }

  file(op: FileOp, f: Field, bases: readonly Base[], opts: { tree?: boolean; possible?: boolean } = {}): void {
    if (f.procsub) return;
    if (isConcreteField(f)) {
      const text = fieldText(f);
      if (text === "" || text === "-" || HARMLESS_TARGETS.has(text)) return;
    }
    const proc = procPathKind(f.path, bases);
    if (proc === "alias")
      throw new Uncertain(
        `\`${f.src}\` reaches another file through /proc (a process's root, cwd or descriptors), which path rules cannot follow; name the file itself`,
      );
    if (proc === "environment") this.env(null); // a process's environ (or memory) holds every variable
    this.fileTemplate(op, f.path, bases, f.implicit ? { ...opts, implicit: true } : opts);
  }

  private fileTemplate(op: FileOp, path: Template, bases: readonly Base[], opts: { tree?: boolean; possible?: boolean; implicit?: boolean }): void {
    const key = `f${op}${opts.possible ? "?" : ""}${opts.tree ? "r" : ""}${opts.implicit ? "i" : ""}\0${templateKey(path)}\0${bases.map(baseKey).join("\0")}`;
    if (!this.add(key)) return;
    const e: CommandAnalysis["files"][number] = { op, path, bases };
    if (opts.possible) e.possible = true;
    if (opts.tree) e.tree = true;
    if (opts.implicit) e.implicit = true;
    this.out.files.push(e);
  }

  possibleFiles(fields: readonly Field[], bases: readonly Base[]): void {
    if (this.checkPossibleNet) {
      for (const f of fields) {
        const u = urlLike(f);
        if (u) this.net({ url: u, possible: true });
        for (const d of destinationsIn(f)) this.net({ url: d, possible: true });
      }
    }
    if (!this.checkPossible) return;
    for (const f of fields) {
      if (f.procsub) continue;
      for (const c of pathCandidates(f)) {
        // a directory given to a program that may walk it (`zip -r x .`, `rg -uu KEY ./`): everything under it
        const t = fieldText(c);
        const tree = t === "." || t === ".." || t.endsWith("/") || t.endsWith("/.") || t.endsWith("/..");
        for (const op of ["read", "write", "delete"] as const) this.file(op, c, bases, { possible: true, tree });
      }
    }
  }

  env(key: string | null): void {
    if (key !== null && SHELL_MAINTAINED.has(key)) return;
    if (!this.add(`e\0${key ?? "*"}`)) return;
    this.out.env.push({ key });
  }

  net(n: NetEffect): void {
    if (!this.add(`n${n.possible ? "?" : ""}\0${n.url ?? ""}\0${n.host ?? ""}\0${n.port ?? ""}\0${n.scheme ?? ""}`)) return;
    this.out.net.push(n);
  }

  private exec(text: Template, possible = false): void {
    if (!this.add(`x${possible ? "?" : ""}\0${text.length === 1 && typeof text[0] === "string" ? text[0] : templateKey(text)}`)) return;
    this.out.execs.push(possible ? { text, possible } : { text });
  }

  chdir(bases: readonly Base[], dir: Field): Base[] {
    if (!isConcreteField(dir)) return [{ kind: "unknown" }];
    const d = fieldText(dir);
    if (d === "") return [...bases];
    if (!d.startsWith("/") && !d.startsWith("./") && !d.startsWith("../") && d !== "." && d !== ".." && this.mentionsCdpath) return [{ kind: "unknown" }];
    return limitBases(
      bases.map((b) =>
        d.startsWith("/") ? { kind: "dir", dir: d } : b.kind === "cwd" ? { kind: "dir", dir: d } : b.kind === "dir" ? { kind: "dir", dir: `${b.dir}/${d}` } : b,
      ),
    );
  }

  script(text: Field | string, from: Invocation, opts: { bases?: readonly Base[]; what?: string; inShell?: boolean } = {}): void {
    const what = opts.what ?? `\`${from.name}\``;
    let src: string;
    if (typeof text === "string") src = text;
    else {
      if (!isConcreteField(text)) throw new Uncertain(`the script run by ${what} is only known at run time (\`${text.src}\`); write the commands out`);
      src = fieldText(text);
    }
    const shell = opts.inShell ? this.shells.get(from) : undefined;
    const scope: Scope = shell ?? { cwds: [...(opts.bases ?? from.bases)], bound: new Map() };
    this.runScript(src, scope, what);
  }

  /**
   * A trap handler runs in the shell itself at moments the engine cannot
   * place (DEBUG before every command): if it can change directory,
   * every relative path after it is in an unknown directory.
   */
  hook(text: Field, from: Invocation): void {
    const shell = this.shells.get(from);
    const scope: Scope = shell ? copy(shell) : { cwds: [...from.bases], bound: new Map() };
    if (!isConcreteField(text)) throw new Uncertain(`the trap handler \`${text.src}\` is only known at run time; write it out`);
    this.runScript(fieldText(text), scope, "`trap`");
    if (shell && !sameBases(scope.cwds, shell.cwds)) shell.cwds = [{ kind: "unknown" }];
  }

  /** After a script the engine cannot read ran in the shell (`source file`): where it left the shell is unknown. */
  forget(from: Invocation): void {
    const shell = this.shells.get(from);
    if (shell) shell.cwds = [{ kind: "unknown" }];
  }

  private runScript(src: string, scope: Scope, what: string): void {
    if (++this.scriptDepth > MAX_SCRIPT_NESTING) throw new Uncertain(`scripts nest deeper than ${MAX_SCRIPT_NESTING} levels (${what})`);
    const parsed = parseShell(src, { budget: this.budget, counter: this.counter });
    if (!parsed.ok) throw new Uncertain(this.scriptDepth === 1 ? parsed.reason : `in the script run by ${what}: ${parsed.reason}`);
    this.walkList(parsed.list, scope);
    this.scriptDepth--;
  }

  /** The top-level script: the request's command line. */
  scriptTop(src: string, scope: Scope): void {
    this.runScript(src, scope, "the command");
  }

  argv(
    fields: readonly Field[],
    from: Invocation,
    opts: { bases?: readonly Base[]; stdin?: Stdin; inShell?: boolean; assignments?: readonly Field[] } = {},
  ): void {
    if (from.wrappers + 1 > MAX_WRAPPERS) throw new Uncertain(`more than ${MAX_WRAPPERS} commands wrapped in one another`);
    const ctx: InvokeContext = { stdin: opts.stdin ?? from.stdin, bases: opts.bases ?? from.bases, wrappers: from.wrappers + 1, wrapped: true };
    for (const a of opts.assignments ?? []) {
      const split = splitAssignment(a);
      if (split && risky(split.value)) this.riskyExported.add(split.name);
    }
    const shell = opts.inShell ? this.shells.get(from) : undefined;
    if (shell) ctx.scope = shell;
    const prefix = (opts.assignments ?? []).filter((a) => {
      const split = splitAssignment(a);
      return !split || !this.assignmentAllowed(split.name, split.value);
    });
    this.invoke(fields, prefix, ctx);
  }

  assignment(word: Field, from: Invocation): void {
    const split = splitAssignment(word);
    if (!split) return;
    const shell = this.shells.get(from);
    if (shell) shell.bound.set(split.name, risky(split.value));
    if (risky(split.value)) this.riskyExported.add(split.name);
    if (!this.assignmentAllowed(split.name, split.value)) this.exec(word.t);
  }

  // ---- walking the tree ----

  private walkList(list: List, scope: Scope): void {
    for (const item of list.items) {
      if (item.background) {
        const sub = copy(scope);
        this.walkAndOr(item, sub);
      } else this.walkAndOr(item, scope);
    }
  }

  private walkAndOr(item: AndOr, scope: Scope): void {
    let { ok, fail } = this.walkPipeline(item.first, scope);
    for (const { op, pipeline } of item.rest) {
      if (op === "&&") {
        scope.cwds = ok;
        const r = this.walkPipeline(pipeline, scope);
        ok = r.ok;
        fail = union(fail, r.fail);
      } else {
        scope.cwds = fail;
        const r = this.walkPipeline(pipeline, scope);
        ok = union(ok, r.ok);
        fail = r.fail;
      }
    }
    scope.cwds = union(ok, fail);
  }

  private walkPipeline(p: Pipeline, scope: Scope): Outcome {
    if (p.commands.length === 1) {
      const r = this.walkCommand(p.commands[0]!, scope, { kind: "inherit" });
      return p.negated ? { ok: r.fail, fail: r.ok } : r;
    }
    // every part runs in a subshell in bash and dash; zsh runs the last one in the shell itself
    p.commands.forEach((c, k) => {
      const sub = copy(scope);
      const r = this.walkCommand(c, sub, k === 0 ? { kind: "inherit" } : { kind: "pipe" });
      if (k === p.commands.length - 1 && !sameBases(union(r.ok, r.fail), scope.cwds)) {
        throw new Uncertain("`cd` at the end of a pipeline changes the directory in zsh but not in bash; run it on its own");
      }
    });
    return { ok: scope.cwds, fail: scope.cwds };
  }

  private walkCommand(c: Command, scope: Scope, stdin: Stdin): Outcome {
    if (c.type === "simple") return this.simple(c, scope, stdin);
    this.redirects(c.redirects, scope, stdin);
    switch (c.type) {
      case "subshell":
        this.walkList(c.body, copy(scope));
        return { ok: scope.cwds, fail: scope.cwds };
      case "group":
        this.walkList(c.body, scope);
        return { ok: scope.cwds, fail: scope.cwds };
      case "if": {
        const ends: Base[][] = [];
        for (const b of c.branches) {
          this.walkList(b.condition, scope);
          const body = { cwds: scope.cwds, bound: scope.bound };
          this.walkList(b.body, body);
          ends.push(body.cwds);
        }
        if (c.otherwise) {
          const body = { cwds: scope.cwds, bound: scope.bound };
          this.walkList(c.otherwise, body);
          ends.push(body.cwds);
        } else ends.push(scope.cwds);
        scope.cwds = ends.reduce(union);
        return { ok: scope.cwds, fail: scope.cwds };
      }
      case "loop":
      case "for": {
        if (c.type === "for") {
          const items = c.items.map((w) => this.field(w, scope));
          const values = c.items.flatMap(
            (w, k) =>
              expandBraces(w)?.map((parts) => (parts.every((p) => p.k === "lit") ? parts.map((p) => (p as { text: string }).text).join("") : undefined)) ?? [
                isConcreteField(items[k]!) ? fieldText(items[k]!) : undefined,
              ],
          );
          scope.bound.set(
            c.name,
            values.some((v) => v === undefined || !SAFE_VALUE.test(v)),
          );
        }
        const before = scope.cwds;
        const trial: Scope = { cwds: before, bound: scope.bound };
        if (c.type === "loop") this.walkList(c.condition, trial);
        this.walkList(c.body, trial);
        if (!sameBases(trial.cwds, before)) {
          // the body changes directory: later rounds start somewhere unknown
          const again: Scope = { cwds: [{ kind: "unknown" }], bound: scope.bound };
          if (c.type === "loop") this.walkList(c.condition, again);
          this.walkList(c.body, again);
          scope.cwds = [{ kind: "unknown" }];
        }
        return { ok: scope.cwds, fail: scope.cwds };
      }
    }
  }

  /** Expands a word for its side effects and value. */
  private field(w: Word, scope: Scope, opts: { assignmentValue?: boolean } = {}): Field {
    return expandWord(w, this.visitor(scope), opts);
  }

  private visitor(scope: Scope): Visitor {
    return {
      params: (names) => {
        for (const n of names) if (!scope.bound.has(n)) this.env(n);
      },
      arithmetic: (names) => {
        const set = names.find((n) => scope.bound.get(n) === true || (!scope.bound.has(n) && this.riskyExported.has(n)));
        if (set)
          throw new Uncertain(
            `arithmetic (\`$((...))\`, \`\${x:N}\`) evaluates \`${set}\`, which the line sets: bash would evaluate its value as arithmetic, which can run commands; use the number directly`,
          );
      },
      commands: (body) => this.walkList(body, copy(scope)),
    };
  }

  /** Redirections: files read and written, and where stdin comes from. */
  private redirects(rs: readonly Redirect[], scope: Scope, stdin: Stdin): Stdin {
    let input = stdin;
    // zsh (MULTIOS) feeds a piped command both the pipe and its redirected input
    const piped = stdin.kind === "pipe";
    for (const r of rs) {
      const toStdin = r.fd === undefined || r.fd === 0;
      if (r.op === "<<" || r.op === "<<-" || r.op === "<<<") {
        if (r.op === "<<<") this.field(r.target, scope);
        else if (r.heredoc && !r.heredoc.literal) {
          expandWord({ parts: r.heredoc.parts, src: "here-document" }, this.visitor(scope));
        }
        if (toStdin) {
          const text = literalStdin(r);
          input = text === undefined ? { kind: "dynamic" } : { kind: "text", text };
        }
        continue;
      }
      if (expandBraces(r.target))
        throw new Uncertain(`brace expansion in the redirection target \`${r.target.src}\` (bash: "ambiguous redirect"); name one file`);
      const f = this.field(r.target, scope);
      if ((r.op === ">&" || r.op === "<&") && isConcreteField(f) && /^(\d|-)$/.test(fieldText(f))) {
        if (toStdin && r.op === "<&") input = { kind: "pipe" };
        continue;
      }
      if ((r.op === ">&" || r.op === "<&") && !isConcreteField(f))
        throw new Uncertain(`\`${r.op}${r.target.src}\` is a file descriptor or a file only at run time`);
      // bash expands a `>&WORD` file name its own way (`>&$\P/` opens `/`), and dash refuses it
      if ((r.op === ">&" || r.op === "<&") && /[$\\'"`]/.test(r.target.src))
        throw new Uncertain(
          `\`${r.op}${r.target.src}\`: bash reads a quoted or \`$\` file name after \`${r.op}\` differently from other words; write \`>FILE 2>&1\``,
        );
      if (isConcreteField(f)) {
        const m = /^\/dev\/(tcp|udp)\/([^/]+)\/([^/]+)$/.exec(fieldText(f));
        if (m) {
          const port = Number(m[3]);
          if (!Number.isInteger(port) || port < 1 || port > 65535)
            throw new Uncertain(`\`${fieldText(f)}\`: bash looks up the port by service name; write a number`);
          this.net({ host: m[2]!, port, scheme: m[1]! });
          // dash and zsh open it as a file (it does not exist)
          if (r.op !== "<" && r.op !== "<&") this.file("write", f, scope.cwds);
          if (r.op === "<" || r.op === "<&" || r.op === "<>") this.file("read", f, scope.cwds);
          continue;
        }
        if (/^\/dev\/(tcp|udp)(\/|$)/.test(fieldText(f))) throw new Uncertain(`\`${fieldText(f)}\` is a network connection to bash; write /dev/tcp/HOST/PORT`);
      } else if (mayBeNetworkPath(f)) {
        throw new Uncertain(
          `redirection to \`${r.target.src}\`, a file name only known at run time: bash connects to the network when it is /dev/tcp/...; name the file`,
        );
      }
      const reads = r.op === "<" || r.op === "<&" || r.op === "<>";
      const writes = r.op !== "<" && r.op !== "<&";
      if (reads) this.file("read", f, scope.cwds);
      if (writes) this.file("write", f, scope.cwds);
      if (reads && toStdin) input = f.procsub ? { kind: "pipe" } : { kind: "file", path: f };
    }
    return piped ? { kind: "pipe" } : input;
  }

  private simple(sc: SimpleCommand, scope: Scope, pipeIn: Stdin): Outcome {
    // Assignments first (their substitutions run before the command), then words, then redirections.
    const assignments: Array<{ name: string; field: Field; allowed: boolean }> = [];
    for (const a of sc.assignments) {
      const eq = a.parts[0]!.k === "lit" ? (a.parts[0] as { text: string }).text.indexOf("=") : -1;
      const name = (a.parts[0] as { text: string }).text.slice(0, eq);
      const value = this.field(
        { parts: [{ k: "lit", text: (a.parts[0] as { text: string }).text.slice(eq + 1), quoted: false }, ...a.parts.slice(1)], src: a.src.slice(eq + 1) },
        scope,
        { assignmentValue: true },
      );
      assignments.push({ name, field: value, allowed: this.assignmentAllowed(name, value) });
      // the value reaches the command's environment (or an exported variable's): a nested shell may evaluate it
      if (risky(value)) this.riskyExported.add(name);
    }
    const readings = this.readings(sc.words, scope);
    const stdin = this.redirects(sc.redirects, scope, pipeIn);
    if (sc.words.length === 0) {
      for (const a of assignments) scope.bound.set(a.name, risky(a.field));
      const shown = assignments.filter((a) => !a.allowed);
      if (shown.length > 0) this.exec(joinFields(shown.map((a) => assignmentField(a.name, a.field))));
      return { ok: scope.cwds, fail: scope.cwds };
    }
    const prefix = assignments.filter((a) => !a.allowed).map((a) => assignmentField(a.name, a.field));
    let outcome: Outcome | undefined;
    for (const fields of readings) {
      const o = this.invoke(fields, prefix, {
        stdin,
        bases: scope.cwds,
        wrappers: 0,
        scope,
        literalCat: literalStdinOfBareCat({ items: [{ first: { negated: false, commands: [sc] }, rest: [], background: false }] }) !== undefined,
      });
      // several readings (brace expansion or not) are all possible
      outcome = outcome ? { ok: union(outcome.ok, o.ok), fail: union(outcome.fail, o.fail) } : o;
    }
    return outcome!;
  }

  /** The words of a command, once per reading where bash/zsh brace expansion and dash differ. */
  private readings(words: readonly Word[], scope: Scope): Field[][] {
    const plain = words.map((w) => this.field(w, scope));
    const alts = words.map(expandBraces);
    if (!alts.some((x) => x !== undefined)) return [plain];
    const silent: Visitor = { params: () => {}, commands: () => {} };
    const empty = (parts: readonly Part[]) => parts.every((p) => p.k === "lit" && !p.quoted && p.text === "");
    // zsh keeps the empty words of `x {,} y`, bash drops them
    const zsh = words.flatMap((w, k) => alts[k]?.map((parts) => expandWord({ parts, src: w.src }, silent)) ?? [plain[k]!]);
    const bash = words.flatMap((w, k) => alts[k]?.filter((parts) => !empty(parts)).map((parts) => expandWord({ parts, src: w.src }, silent)) ?? [plain[k]!]);
    return zsh.length === bash.length ? [zsh, plain] : [bash, zsh, plain];
  }

  private assignmentAllowed(name: string, value: Field): boolean {
    return this.assignmentOk(name, value);
  }

  /**
   * Runs one command: its words (`fields`), after the assignments that stay
   * part of its text. Reports the command itself, then lets its program
   * model report what it does and the commands it runs in turn.
   */
  private invoke(fields: readonly Field[], prefix: readonly Field[], ctx: InvokeContext): Outcome {
    const same = (): Outcome => {
      const now = ctx.scope && !ctx.wrapped ? ctx.scope.cwds : (ctx.bases as Base[]);
      return { ok: now, fail: now };
    };
    if (fields.length === 0) {
      if (prefix.length > 0) this.exec(joinFields(prefix));
      return same();
    }
    const head = fields[0]!;
    const nameText = isConcreteField(head) ? fieldText(head) : undefined;
    const pure = ctx.literalCat === true && fields.length === 1 && nameText === "cat";
    let name: string | undefined;
    if (nameText !== undefined) {
      const resolved = this.commandName(nameText);
      name = resolved.name;
      const rest = fields.slice(1);
      if (resolved.trusted) {
        this.exec(joinFields([...prefix, literalField(name), ...rest]), pure);
        if (prefix.length > 0) this.exec(joinFields([literalField(name), ...rest]), pure);
      } else {
        this.exec(joinFields([...prefix, ...fields]), pure);
        if (prefix.length > 0) this.exec(joinFields(fields), pure);
        if (name !== nameText) this.exec(joinFields([literalField(name), ...rest]), pure);
      }
    } else {
      this.exec(joinFields([...prefix, ...fields]));
      if (prefix.length > 0) this.exec(joinFields(fields));
    }
    const inv: Invocation = {
      name: name ?? "",
      args: fields.slice(1),
      stdin: ctx.stdin,
      bases: ctx.bases,
      wrappers: ctx.wrappers,
      run: this,
      inShell: ctx.scope !== undefined,
    };
    if (ctx.scope) this.shells.set(inv, ctx.scope);
    if (name === undefined) {
      // the program itself is only known at run time: any word may be a file
      this.possibleFiles(fields, ctx.bases);
      return same();
    }
    if (name === "cd" || name === "pushd" || name === "popd" || name === "chdir") {
      const next = this.cd(inv);
      if (ctx.scope && ctx.wrapped) ctx.scope.cwds = union(next, ctx.scope.cwds);
      return { ok: next, fail: [...ctx.bases] };
    }
    if (ctx.scope) bindNames(name, inv.args, ctx.scope);
    const model = modelFor(name);
    if (model) model(inv);
    else this.possibleFiles(inv.args, ctx.bases);
    return same();
  }

  private commandName(text: string): { name: string; trusted: boolean } {
    if (!text.includes("/")) return { name: text, trusted: true };
    const slash = text.lastIndexOf("/");
    const name = text.slice(slash + 1);
    if (name === "" || !text.startsWith("/")) return { name: name || text, trusted: false };
    const dir = lexicalDir(text.slice(0, slash));
    return { name, trusted: dir !== undefined && this.trusted.has(dir) };
  }

  /** The directories after `cd`/`pushd` succeeds. */
  private cd(inv: Invocation): Base[] {
    let args = inv.args;
    while (args.length > 0 && isConcreteField(args[0]!) && /^-[LPe@]+$/.test(fieldText(args[0]!))) args = args.slice(1);
    if (args.length > 0 && isConcreteField(args[0]!) && fieldText(args[0]!) === "--") args = args.slice(1);
    if (inv.name === "popd" || args.length !== 1) return [{ kind: "unknown" }];
    const dir = args[0]!;
    if (isConcreteField(dir) && (fieldText(dir) === "-" || /^[+-]\d+$/.test(fieldText(dir)))) return [{ kind: "unknown" }];
    return this.chdir(inv.bases, dir);
  }
}

interface InvokeContext {
  stdin: Stdin;
  bases: readonly Base[];
  wrappers: number;
  /** the shell the command runs in, when it runs in the shell itself (not through an external wrapper) */
  scope?: Scope;
  /** reached through a wrapper (`command cd`), not as the line's own command */
  wrapped?: boolean;
  literalCat?: boolean;
}

/** Names the command sets in the shell (so `$name` after it is not an environment read). */
function bindNames(name: string, args: readonly Field[], scope: Scope): void {
  const texts = args.filter(isConcreteField).map(fieldText);
  switch (name) {
    case "read":
    case "mapfile":
    case "readarray":
      for (const t of texts) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) scope.bound.set(t, true);
      break;
    case "export":
    case "local":
    case "declare":
    case "typeset":
    case "readonly":
      for (const t of texts) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(t);
        if (m) scope.bound.set(m[1]!, true);
      }
      break;
    case "getopts":
      if (texts[1]) scope.bound.set(texts[1], false);
      break;
  }
}

function lexicalDir(dir: string): string | undefined {
  const out: string[] = [];
  for (const seg of dir.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return "/" + out.join("/");
}

function templateKey(t: Template): string {
  let k = "";
  for (const p of t) k += typeof p === "string" ? p.replace(/\u0001/g, "\u0001\u0001") : `\u0001${p.hole === "any" ? "*" : p.hole === "name" ? "n" : "s"}`;
  return k;
}

/** A run-time redirection target that could be `/dev/tcp/...` (bash connects instead of opening a file). */
function mayBeNetworkPath(f: Field): boolean {
  const first = f.path[0];
  // `~/x` is under the home directory
  if (typeof first !== "string" && first?.source.startsWith("~") && typeof f.path[1] === "string" && f.path[1].startsWith("/")) return false;
  const lead = typeof first === "string" ? first : "";
  return ["/dev/tcp/", "/dev/udp/"].some((p) => p.startsWith(lead) || lead.startsWith(p));
}

export { isAssignment };
