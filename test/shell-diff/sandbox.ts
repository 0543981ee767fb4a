import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeShimDir, SHELL_BINARIES, type ShellName } from "./shims.js";

/**
 * Runs one command line in a real shell inside a throw-away bubblewrap
 * sandbox, traced from outside by strace.
 *
 * - bubblewrap: new user, pid, net, ipc, uts and cgroup namespaces (no network
 *   at all), read-only /usr, an empty tmpfs as the working directory and
 *   /tmp, no /etc, no /home, PATH = the shim directory only, no further user
 *   namespaces, caps dropped; bwrap runs as an unprivileged uid (one per
 *   concurrent slot) via setpriv, under prlimit (processes, file size,
 *   memory, CPU). A real `/usr/bin/rm -rf /` inside can only empty the tmpfs.
 * - strace runs outside the sandbox (the line cannot kill or fool it) and
 *   records every execve with its exact argv bytes, the files the shell
 *   processes open, chdir, connect (bash's /dev/tcp), and the shell's
 *   xtrace output (as the bytes of its write(2) calls, so redirecting or
 *   closing stderr in the line does not hide it).
 * - The run is killed after `timeoutMs`; stdout/stderr are capped.
 */
export const SANDBOX_CWD = "/w";
export const XTRACE_MARK = "@XT@ ";

export interface RunOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
}

export interface RunResult {
  shell: ShellName;
  line: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  outputCapped: boolean;
  stdout: string;
  stderr: string;
  /** raw strace output */
  trace: string;
  /** raw shim log (NUL-separated records), a cross-check of strace */
  shimLog: Buffer;
}

export type SandboxKind = "bwrap";

const STRACE_CALLS = "execve,execveat,open,openat,openat2,creat,chdir,fchdir,connect,write,clone,clone3,fork,vfork";

export class Sandbox {
  readonly root: string;
  readonly shimDir: string;
  readonly kind: SandboxKind;
  private runs = 0;
  private freeSlots: number[];

  constructor(readonly slots = 4) {
    this.kind = detectSandbox();
    this.root = mkdtempSync(join(tmpdir(), "shell-diff-"));
    chmodSync(this.root, 0o755); // the sandbox user must reach the shims
    this.shimDir = makeShimDir(this.root);
    this.freeSlots = Array.from({ length: slots }, (_, i) => i);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  async run(shell: ShellName, line: string, opts: RunOptions = {}): Promise<RunResult> {
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new Error("Sandbox.run: more concurrent runs than slots");
    const dir = join(this.root, `run-${this.runs++}`);
    mkdirSync(join(dir, "log"), { recursive: true });
    try {
      return await this.runIn(dir, slot, shell, line, opts);
    } finally {
      this.freeSlots.push(slot);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private runIn(dir: string, slot: number, shell: ShellName, line: string, opts: RunOptions): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 3000;
    const maxOut = opts.maxOutputBytes ?? 256 * 1024;
    const uid = String(61000 + slot);
    const traceFile = join(dir, "trace");
    // the log directory is written by the sandbox user
    spawnSync("chown", [`${uid}:${uid}`, join(dir, "log")]);
    const inner = [SHELL_BINARIES[shell], "-x", "-c", line];
    const env = ["PATH=/shims", `HOME=${SANDBOX_CWD}`, `PS4=${XTRACE_MARK}`, "LC_ALL=C", "TMPDIR=/tmp", "USER=agent", "SHELL=/bin/sh"];
    const argv = [
      "-f",
      "--seccomp-bpf",
      "--decode-pids=pidns",
      "-qq",
      "-v",
      "-xx",
      "-s",
      "65536",
      "-e",
      `trace=${STRACE_CALLS}`,
      "-o",
      traceFile,
      "setpriv",
      `--reuid=${uid}`,
      `--regid=${uid}`,
      "--clear-groups",
      "prlimit",
      "--nproc=128",
      "--fsize=4194304",
      "--as=2147483648",
      "--cpu=10",
      "--nofile=256",
      "--core=0",
      "--",
      ...bwrapArgs(this.shimDir, join(dir, "log"), env),
      ...inner,
    ];
    return new Promise((resolve, reject) => {
      const child = spawn("strace", argv, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let capped = false;
      let timedOut = false;
      const kill = () => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
      const take = (into: Buffer[]) => (b: Buffer) => {
        if (size + b.length > maxOut) {
          capped = true;
          kill();
          return;
        }
        size += b.length;
        into.push(b);
      };
      child.stdout.on("data", take(out));
      child.stderr.on("data", take(err));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const trace = existsSync(traceFile) ? readFileSync(traceFile, "latin1") : "";
        const logFile = join(dir, "log", "exec");
        resolve({
          shell,
          line,
          exitCode: code,
          signal,
          timedOut,
          outputCapped: capped,
          stdout: Buffer.concat(out).toString("latin1"),
          stderr: Buffer.concat(err).toString("latin1"),
          trace,
          shimLog: existsSync(logFile) ? readFileSync(logFile) : Buffer.alloc(0),
        });
      });
    });
  }
}

function bwrapArgs(shimDir: string, logDir: string, env: string[]): string[] {
  return [
    "bwrap",
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/bin",
    "/bin",
    "--symlink",
    "usr/sbin",
    "/sbin",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    "8388608",
    "--tmpfs",
    "/tmp",
    "--size",
    "8388608",
    "--tmpfs",
    SANDBOX_CWD,
    "--ro-bind",
    shimDir,
    "/shims",
    "--bind",
    logDir,
    "/log",
    "--chdir",
    SANDBOX_CWD,
    "--clearenv",
    ...env.flatMap((kv) => ["--setenv", kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    "--",
  ];
}

let detected: SandboxKind | undefined;

/**
 * Fails loudly, never skips, when the sandbox cannot be built. There is no
 * weaker fallback (unshare(1) without a mount namespace would let a real
 * `/usr/bin/rm` reach the host), so without bubblewrap the harness refuses.
 */
export function detectSandbox(): SandboxKind {
  if (detected) return detected;
  const missing = ["strace", "bwrap", "setpriv", "prlimit", ...Object.values(SHELL_BINARIES)].filter(
    (p) => spawnSync("sh", ["-c", `command -v ${p}`]).status !== 0,
  );
  if (missing.length) throw new Error(`shell-diff needs ${missing.join(", ")} (Debian: bash dash zsh bubblewrap strace util-linux)`);
  const probe = spawnSync(
    "setpriv",
    [
      "--reuid=61999",
      "--regid=61999",
      "--clear-groups",
      "bwrap",
      "--unshare-all",
      "--ro-bind",
      "/usr",
      "/usr",
      "--symlink",
      "usr/lib",
      "/lib",
      "--symlink",
      "usr/lib64",
      "/lib64",
      "--symlink",
      "usr/bin",
      "/bin",
      "--dev",
      "/dev",
      "/usr/bin/true",
    ],
    { encoding: "utf8" },
  );
  if (probe.status !== 0) throw new Error(`shell-diff: bubblewrap cannot create a sandbox here (${probe.stderr.trim()}); user namespaces may be disabled`);
  const strace = spawnSync("strace", ["-f", "--seccomp-bpf", "--decode-pids=pidns", "-qq", "-e", "trace=execve", "-o", "/dev/null", "/usr/bin/true"], {
    encoding: "utf8",
  });
  if (strace.status !== 0) throw new Error(`shell-diff: strace cannot trace here (${strace.stderr.trim()})`);
  detected = "bwrap";
  return detected;
}
