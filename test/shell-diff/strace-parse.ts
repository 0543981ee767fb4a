/**
 * Reads `strace -f -v -xx` output (every string byte as `\xHH`, arrays in
 * full) into syscall records per process. Calls that other processes
 * interrupted (`<unfinished ...>` / `<... resumed>`) are joined first. Output
 * cut off by a kill is tolerated: an unfinished last call is dropped.
 */
export type Arg = { s: string } | { a: Arg[] } | { t: string };

export interface Syscall {
  pid: number;
  name: string;
  args: Arg[];
  /** the return value as printed (`0`, `3`, `-1 ENOENT (...)`) */
  ret: string;
  /** numeric return when it is one */
  retNum: number | undefined;
}

const HEAD = /^(\d+)\s+(?:([a-z_0-9]+)\(|<\.\.\. ([a-z_0-9]+) resumed>)/;

export function parseStrace(text: string): Syscall[] {
  const out: Syscall[] = [];
  const pending = new Map<number, { name: string; body: string }>();
  for (const line of text.split("\n")) {
    const m = HEAD.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    let name: string;
    let body: string;
    if (m[2] !== undefined) {
      name = m[2];
      body = line.slice(m[0].length);
    } else {
      const p = pending.get(pid);
      pending.delete(pid);
      if (!p || p.name !== m[3]) continue;
      name = p.name;
      body = p.body + line.slice(m[0].length);
    }
    if (body.endsWith("<unfinished ...>")) {
      pending.set(pid, { name, body: body.slice(0, -"<unfinished ...>".length) });
      continue;
    }
    const call = parseCall(pid, name, body);
    if (call) out.push(call);
  }
  return out;
}

/** `body` is everything after `name(`: `args) = ret`. */
function parseCall(pid: number, name: string, body: string): Syscall | undefined {
  // strace pads the return column; strings are all `\xHH`, so `)` only closes the call
  const m = /\)\s*= ([^)]*|.*\(.*\))$/.exec(body);
  if (!m) return undefined;
  const ret = m[1]!.trim();
  const p = new ArgParser(body.slice(0, m.index));
  const args = p.list("");
  // `--decode-pids=pidns`: a pid from inside the sandbox's namespace is also given in strace's
  const translated = /\/\* (\d+) in strace's PID NS \*\//.exec(ret);
  const n = translated ? [translated[1]!] : /^-?\d+/.exec(ret);
  return { pid, name, args, ret, retNum: n ? Number(n[0]) : undefined };
}

class ArgParser {
  private i = 0;
  constructor(private readonly s: string) {}

  list(closer: string): Arg[] {
    const out: Arg[] = [];
    for (;;) {
      this.skipSpace();
      if (this.i >= this.s.length) return out;
      if (closer && this.s[this.i] === closer) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skipSpace();
      if (this.s[this.i] === ",") this.i++;
    }
  }

  private skipSpace(): void {
    while (this.s[this.i] === " ") this.i++;
  }

  private value(): Arg {
    const c = this.s[this.i];
    if (c === '"') {
      const v = this.string();
      if (this.s.startsWith("...", this.i)) this.i += 3; // truncated at -s
      return { s: v };
    }
    if (c === "[") {
      this.i++;
      return { a: this.list("]") };
    }
    if (c === "{") {
      this.i++;
      return { a: this.list("}") };
    }
    // identifiers, numbers, flag unions, `name=value`, `/* 12 vars */`
    const start = this.i;
    let depth = 0;
    while (this.i < this.s.length) {
      const ch = this.s[this.i]!;
      if (ch === '"') {
        this.string();
        continue;
      }
      if (ch === "(" || ch === "[" || ch === "{") depth++;
      else if (ch === ")" || ch === "]" || ch === "}") {
        if (depth === 0) break;
        depth--;
      } else if (ch === "," && depth === 0) break;
      this.i++;
    }
    return { t: this.s.slice(start, this.i).trim() };
  }

  /** A `-xx` string: `"\x2f\x62..."`; returns the bytes as a latin1 string. */
  private string(): string {
    this.i++;
    let out = "";
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      if (this.s[this.i] === "\\") {
        const e = this.s[this.i + 1];
        if (e === "x") {
          out += String.fromCharCode(parseInt(this.s.slice(this.i + 2, this.i + 4), 16));
          this.i += 4;
          continue;
        }
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", v: "\v", f: "\f", "\\": "\\", '"': '"' };
        out += simple[e ?? ""] ?? e ?? "";
        this.i += 2;
        continue;
      }
      out += this.s[this.i++];
    }
    this.i++;
    return out;
  }
}

export function str(a: Arg | undefined): string | undefined {
  return a && "s" in a ? a.s : undefined;
}

export function tok(a: Arg | undefined): string | undefined {
  return a && "t" in a ? a.t : undefined;
}

export function strings(a: Arg | undefined): string[] | undefined {
  if (!a || !("a" in a)) return undefined;
  return a.a.map((x) => str(x) ?? "");
}

/** Bytes (latin1 string from strace) as UTF-8 text, the way the engine receives a command. */
export function utf8(latin1: string): string {
  return Buffer.from(latin1, "latin1").toString("utf8");
}
