import type { Word } from "./shell-parse.js";

/**
 * The files a command names and what it does to them, so a deny on `**\/.env`
 * stops `cat .env` and `grep KEY .env` exactly as it stops a file read tool
 * (users of other permission systems report a Read deny bypassed through Bash).
 * Only well-known commands are modelled; for them, a file argument whose value
 * is only known at run time (`$F`, `*.env`) cannot be checked and is refused.
 */
export interface FileEffects {
  reads: string[];
  writes: string[];
  deletes: string[];
}

export class UncertainFile extends Error {}

interface Spec {
  /** what the file arguments undergo */
  kind: "read" | "write" | "delete" | "copy" | "move" | "search" | "script" | "stream-edit";
  /** options that take a value (so the value is not a file) */
  valueOpts?: string;
  longValueOpts?: readonly string[];
  /** options whose value is a file the command writes (`sort -o out`) */
  writeOpts?: readonly string[];
}

const READERS = ["cat", "less", "more", "head", "tail", "nl", "tac", "wc", "sort", "uniq", "strings", "od", "xxd", "hexdump", "base64", "md5sum", "sha1sum", "sha256sum", "sha512sum", "file", "diff", "cmp", "bat", "source", "."];
const SPECS: Record<string, Spec> = {
  ...Object.fromEntries(READERS.map((n) => [n, { kind: "read" as const }])),
  head: { kind: "read", valueOpts: "nc", longValueOpts: ["lines", "bytes"] },
  tail: { kind: "read", valueOpts: "ncs", longValueOpts: ["lines", "bytes", "pid", "sleep-interval"] },
  sort: { kind: "read", valueOpts: "ktoST", longValueOpts: ["key", "field-separator", "output", "buffer-size", "temporary-directory"], writeOpts: ["-o", "--output"] },
  diff: { kind: "read", valueOpts: "UCFILx", longValueOpts: ["label", "exclude", "ignore-matching-lines"] },
  grep: { kind: "search", valueOpts: "efmABCd", longValueOpts: ["regexp", "file", "max-count", "after-context", "before-context", "context", "include", "exclude", "exclude-dir", "label", "devices", "directories"] },
  egrep: { kind: "search", valueOpts: "efmABC" },
  fgrep: { kind: "search", valueOpts: "efmABC" },
  rg: { kind: "search", valueOpts: "efmABCgtT", longValueOpts: ["regexp", "file", "glob", "type", "max-count", "context", "after-context", "before-context"] },
  awk: { kind: "script", valueOpts: "fvF" },
  sed: { kind: "stream-edit", valueOpts: "efl", longValueOpts: ["expression", "file", "line-length"] },
  tee: { kind: "write" },
  touch: { kind: "write", valueOpts: "drt", longValueOpts: ["date", "reference"] },
  truncate: { kind: "write", valueOpts: "sr", longValueOpts: ["size", "reference"] },
  rm: { kind: "delete" },
  unlink: { kind: "delete" },
  shred: { kind: "delete", valueOpts: "ns", longValueOpts: ["iterations", "size"] },
  cp: { kind: "copy", valueOpts: "tS", longValueOpts: ["target-directory", "suffix"] },
  mv: { kind: "move", valueOpts: "tS", longValueOpts: ["target-directory", "suffix"] },
};

export function fileEffects(name: string, args: readonly Word[]): FileEffects | undefined {
  const spec = SPECS[name];
  if (!spec) return undefined;
  const { files, options } = splitArgs(args, spec);
  const out: FileEffects = { reads: [], writes: [], deletes: [] };
  let operands = files;
  if (spec.kind === "search" || spec.kind === "script" || spec.kind === "stream-edit") {
    // The first operand is the pattern / program / script unless one came in an option.
    const given = options.some((o) => (spec.kind === "script" ? /^-(f)/.test(o) : /^-(e|f)|^--(regexp|expression|file)/.test(o)));
    if (!given) operands = operands.slice(1);
  }
  for (const w of operands) {
    if (w.dynamic || w.glob) throw new UncertainFile(`\`${name}\` file argument \`${w.text}\` is only known at run time`);
  }
  const paths = operands.map((w) => w.text).filter((p) => p !== "-");
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    const eq = o.indexOf("=");
    if (eq > 0 && spec.writeOpts?.includes(o.slice(0, eq))) out.writes.push(o.slice(eq + 1));
    else if (spec.writeOpts?.includes(o) && options[i + 1] !== undefined) out.writes.push(options[++i]!);
  }
  switch (spec.kind) {
    case "read":
    case "search":
    case "script":
      out.reads.push(...paths);
      break;
    case "stream-edit":
      out.reads.push(...paths);
      if (options.some((o) => /^-[a-zA-Z]*i|^--in-place/.test(o))) out.writes.push(...paths);
      break;
    case "write":
      out.writes.push(...paths);
      break;
    case "delete":
      out.deletes.push(...paths);
      break;
    case "copy":
    case "move": {
      const target = targetDirectory(options);
      const sources = target === undefined ? paths.slice(0, -1) : paths;
      const dest = target ?? paths[paths.length - 1];
      out.reads.push(...sources);
      if (spec.kind === "move") out.deletes.push(...sources);
      if (dest !== undefined) out.writes.push(dest);
      break;
    }
  }
  return out;
}

function targetDirectory(options: readonly string[]): string | undefined {
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (o.startsWith("--target-directory=")) return o.slice("--target-directory=".length);
    if ((o === "-t" || o === "--target-directory") && options[i + 1] !== undefined) return options[i + 1];
  }
  return undefined;
}

/** Separates option words (with their values) from operand words. */
function splitArgs(args: readonly Word[], spec: Spec): { files: Word[]; options: string[] } {
  const files: Word[] = [];
  const options: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    if (t === "--") {
      files.push(...args.slice(i + 1));
      break;
    }
    if (t.startsWith("--") && t.length > 2) {
      options.push(t);
      if (!t.includes("=") && spec.longValueOpts?.includes(t.slice(2)) && args[i + 1]) options.push(args[++i]!.text);
      continue;
    }
    if (t.startsWith("-") && t.length > 1 && !/^-\d+$/.test(t)) {
      options.push(t);
      const letters = t.slice(1);
      for (let k = 0; k < letters.length; k++) {
        if (spec.valueOpts?.includes(letters[k]!)) {
          if (k === letters.length - 1 && args[i + 1]) options.push(args[++i]!.text);
          break;
        }
      }
      continue;
    }
    if (/^-\d+$/.test(t)) {
      options.push(t); // `head -5`
      continue;
    }
    files.push(w);
  }
  return { files, options };
}
