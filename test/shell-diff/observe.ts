import { SANDBOX_CWD, XTRACE_MARK, type RunResult } from "./sandbox.js";
import { PASS_THROUGH, SHELL_BINARIES, SHIM_SET, type ShellName } from "./shims.js";
import { parseStrace, str, strings, tok, utf8, type Syscall } from "./strace-parse.js";
import { parseRecord, quotesClosed, type TraceRecord } from "./xtrace.js";

/**
 * What a shell executed, from the strace of its run:
 * - `commands`: every execve attempt below the top shell (exact argv; also
 *   the commands that env/xargs/find/flock/sudo run, and nested shells'),
 *   plus xtrace records of commands no execve accounts for (builtins,
 *   functions, commands not found);
 * - `files`: files the shell processes themselves open (redirections, `.`,
 *   `$(<f)`), resolved against the cwd each process has at the time;
 * - `connects`: sockets the shell connects (bash's `/dev/tcp`).
 * Not seen: files the commands open (they are shims; their file effects are
 * the engine's command model, tested in file-effects.test.ts), builtins of a
 * nested dash/zsh (xtrace is only on for the top shell; nested bash inherits
 * nothing either), anything after the line turns xtrace off (`set +x`,
 * flagged in `xtraceOff`).
 */
export interface ExecutedCommand {
  text: string;
  argv?: string[];
  via: "execve" | "xtrace";
  /** execve attempts that failed (ENOENT, EACCES) still count: the shell tried to run them */
  ok?: boolean;
}

export interface FileEvent {
  path: string;
  access: "read" | "write" | "readwrite";
}

export interface ShellView {
  shell: ShellName;
  commands: ExecutedCommand[];
  files: FileEvent[];
  connects: string[];
  /** directories the shell listed (pathname expansion) */
  globbed: string[];
  syntaxError: boolean;
  xtraceOff: boolean;
  timedOut: boolean;
  /** the run did not show the top shell starting: nothing can be concluded */
  broken?: string;
  exitCode: number | null;
}

interface Proc {
  image: string;
  /** zsh opens a command it could not exec to see whether it is a script */
  failedExec?: string;
  cwd: string;
  inTree: boolean;
}

const SHELL_PATHS = new Set([
  ...Object.values(SHELL_BINARIES),
  "/bin/sh",
  "/usr/bin/sh",
  "/bin/bash",
  "/bin/dash",
  "/bin/zsh",
  "/shims/sh",
  "/shims/bash",
  "/shims/dash",
  "/shims/zsh",
]);
const SYNTAX = {
  bash: /syntax error|unexpected EOF|bad substitution/,
  dash: /Syntax error|Bad substitution/,
  zsh: /parse error|bad substitution|bad pattern/,
} as const;
const TEMP = /^\/tmp\/(sh-thd|zsh)/;

export function observe(run: RunResult, baseline?: Set<string>): ShellView {
  const calls = parseStrace(run.trace);
  const view: ShellView = {
    shell: run.shell,
    commands: [],
    files: [],
    connects: [],
    globbed: [],
    syntaxError: SYNTAX[run.shell].test(run.stderr),
    xtraceOff: false,
    timedOut: run.timedOut,
    exitCode: run.exitCode,
  };
  const parent = new Map<number, number>();
  for (const c of calls) {
    if (["clone", "clone3", "fork", "vfork"].includes(c.name) && c.retNum !== undefined && c.retNum > 0) parent.set(c.retNum, c.pid);
  }
  const procs = new Map<number, Proc>();
  const proc = (pid: number): Proc => {
    let p = procs.get(pid);
    if (!p) {
      const pp = parent.has(pid) ? proc(parent.get(pid)!) : { image: "?", cwd: "/", inTree: false };
      p = { ...pp };
      procs.set(pid, p);
    }
    return p;
  };
  let top: number | undefined;
  const xt = new Map<string, string>(); // open xtrace record per pid:fd
  const records: TraceRecord[] = [];
  const seenExec = new Set<string>();
  for (const c of calls) {
    const p = proc(c.pid);
    if (c.name === "execve" || c.name === "execveat") {
      const path = str(c.args[c.name === "execve" ? 0 : 1]) ?? "";
      const argv = (strings(c.args[c.name === "execve" ? 1 : 2]) ?? []).map(utf8);
      const ok = c.ret === "0";
      if (top === undefined) {
        if (ok && path === SHELL_BINARIES[run.shell] && argv[argv.length - 2] === "-c" && argv[argv.length - 1] === run.line) {
          top = c.pid;
          p.inTree = true;
          p.image = path;
          p.cwd = SANDBOX_CWD;
        }
        continue;
      }
      if (!p.inTree) continue;
      const key = `${c.pid}\0${argv.join("\0")}`;
      if (!seenExec.has(key)) {
        seenExec.add(key);
        view.commands.push({ text: argv.join(" "), argv, via: "execve", ok });
      }
      if (ok) p.image = path;
      else p.failedExec = resolve(utf8(path), p.cwd);
      continue;
    }
    if (!p.inTree) continue;
    const isShell = SHELL_PATHS.has(p.image);
    if (c.name === "chdir" && c.retNum === 0) {
      p.cwd = resolve(utf8(str(c.args[0]) ?? ""), p.cwd);
    } else if (isShell && (c.name === "open" || c.name === "openat" || c.name === "creat")) {
      const at = c.name === "openat" ? 1 : 0;
      if (c.name === "openat" && tok(c.args[0]) !== "AT_FDCWD") continue;
      const path = resolve(utf8(str(c.args[at]) ?? ""), p.cwd);
      const flags = c.name === "creat" ? "O_WRONLY|O_CREAT" : (tok(c.args[at + 1]) ?? "");
      // the loader's and the shell's own opens use O_CLOEXEC; zsh opens PATH entries while it looks a command up
      if (/O_CLOEXEC/.test(flags) || path === "/dev/tty" || TEMP.test(path) || path.startsWith("/shims/") || path === p.failedExec) continue;
      if (path.startsWith("/usr/share/locale/") || path.startsWith("/usr/lib/x86_64-linux-gnu/gconv/")) continue; // error messages
      if (baseline?.has(path)) continue;
      if (/O_DIRECTORY/.test(flags)) {
        view.globbed.push(path);
        continue;
      }
      const access = /O_RDWR/.test(flags) ? "readwrite" : /O_WRONLY/.test(flags) ? "write" : "read";
      if (!view.files.some((f) => f.path === path && f.access === access)) view.files.push({ path, access });
    } else if (isShell && c.name === "connect") {
      // AF_UNIX is the C library asking nscd about users; only IP sockets are the line's
      const addr = c.args[1] && "a" in c.args[1] ? c.args[1].a.map((x) => tok(x) ?? "").join(", ") : "";
      if (/AF_INET/.test(addr)) view.connects.push(addr);
    } else if (isShell && c.name === "write") {
      // the top shell and its subshells trace; nested shells started by the line do not (no -x)
      collectXtrace(run.shell, c, xt, records);
    }
  }
  if (top === undefined) {
    view.broken = `the top ${run.shell} never started (exit ${run.exitCode}, ${run.stderr.slice(0, 200)})`;
    return view;
  }
  const execNames = new Set(view.commands.map((x) => x.argv?.[0]));
  for (const r of records) {
    if (/^(set|setopt|unsetopt|shopt)( |$)/.test(r.text) && /(^| )(\+[A-Za-z]*x|.*xtrace|-o noxtrace)/.test(r.text.slice(4))) view.xtraceOff = true;
    if (/^(set|unsetopt) /.test(r.text) && /xtrace|\+[A-Za-z]*x/.test(r.text)) view.xtraceOff = true;
    if (r.kind === "keyword") continue;
    if (r.kind === "assignment") {
      // bash prints a command's prefix assignments as records of their own and zsh prints a
      // for-loop's variable as one; only dash's records say the assignment stood alone
      if (run.shell === "dash") view.commands.push({ text: utf8(r.text), via: "xtrace" });
      continue;
    }
    if (r.text === "") continue; // a command of redirections only: its effect is the file it opens
    // zsh can write an error message right after PS4 (`y: parameter not set`): not a command
    if (run.shell === "zsh" && /^(zsh:\d+: )?[^ ]*: (parameter not set|command not found|no matches found|bad substitution|parse error)/.test(r.text)) continue;
    const name = r.words ? r.words[0]! : r.text.split(" ")[0]!;
    // an external command is already in the list with its exact argv
    if (execNames.has(utf8(name)) && (SHIM_SET.has(name) || PASS_THROUGH.has(name) || SHELL_NAMES_SET.has(name) || name.includes("/"))) continue;
    view.commands.push({ text: utf8(r.text), via: "xtrace" });
  }
  return view;
}

const SHELL_NAMES_SET = new Set(["sh", "bash", "dash", "zsh"]);

function collectXtrace(shell: ShellName, c: Syscall, open: Map<string, string>, records: TraceRecord[]): void {
  const fd = tok(c.args[0]) ?? "";
  const data = str(c.args[1]) ?? "";
  const key = `${c.pid}:${fd}`;
  let buf = open.get(key);
  if (buf === undefined) {
    const m = /^@+XT@ /.exec(data);
    if (!m) return;
    buf = data.slice(m[0].length);
  } else buf += data;
  // dash writes a record word by word and ends it with a write of "\n"; zsh writes each record in one
  // write (so an error message that follows is not part of it); bash splits a record at newlines in words
  const done = shell === "dash" ? data === "\n" : shell === "zsh" ? true : buf.endsWith("\n") && quotesClosed(buf.slice(0, -1));
  if (shell === "zsh" && buf.endsWith("\n")) buf = buf.slice(0, -1) + "\n";
  else if (shell === "zsh") buf += "\n";
  if (!done) {
    open.set(key, buf);
    return;
  }
  open.delete(key);
  records.push(parseRecord(shell, buf.slice(0, -1), XTRACE_MARK.trim()));
}

/** Lexical resolution, as the engine does it. */
export function resolve(p: string, cwd: string): string {
  const abs = p.startsWith("/") ? p : `${cwd}/${p}`;
  const out: string[] = [];
  for (const seg of abs.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}
