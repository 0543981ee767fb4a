import { type Field, fieldText, isConcreteField, literalField } from "./fields.js";
import { optSpec, parseArgs } from "./getopt.js";
import type { Invocation, Runner } from "./invocation.js";

/**
 * `sed`: its options (GNU, exactly), and its script, read the way GNU sed
 * reads it, for the commands that touch files or run programs: `r FILE`,
 * `R FILE` read, `w FILE`, `W FILE` and the `w FILE` flag of `s` write
 * (FILE is the rest of the line), `e` and the `e` flag of `s` run commands
 * (refused). So `sed -n '1r .env' README.md` reads `.env`. A script from a
 * file (`-f`) cannot be seen and is refused.
 */
const SPEC =
  "-n -e: -f: -E -r -s -u -z -b -l: -i:: --quiet/n --silent/n --expression/e --file/f --regexp-extended/E --separate/s --unbuffered/u --null-data/z --binary/b --line-length/l --in-place/i --follow-symlinks --posix --sandbox --debug --help --version";

export function sed(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(inv.args, optSpec(SPEC));
  if (parsed.error) run.uncertain(`\`sed\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`sed` with a word only known at run time where an option or the script could be");
  const scripts: Field[] = [];
  let operands = parsed.operands;
  for (const o of parsed.options) {
    if (o.name === "e" && o.value) scripts.push(o.value);
    if (o.name === "f") run.uncertain("`sed -f FILE` runs a script the engine cannot see (it may write files or run commands); give the script with -e");
  }
  if (scripts.length === 0) {
    const first = operands[0];
    if (!first) return;
    scripts.push(first);
    operands = operands.slice(1);
    // BSD/macOS sed reads `-i SUFFIX` (`sed -i '' SCRIPT FILE`): the word GNU sed takes for the script
    // is the suffix there, and the next word is the script; both readings are checked
    // (a BSD script the engine's sed grammar rejects is one BSD sed rejects too, so that reading does nothing)
    const bsdScript = parsed.options.some((o) => o.name === "i" && o.value === undefined) ? operands[0] : undefined;
    if (bsdScript && (!isConcreteField(bsdScript) || parses(fieldText(bsdScript)))) scripts.push(bsdScript);
  }
  const sandbox = parsed.options.some((o) => o.name === "sandbox");
  for (const s of scripts) {
    if (!isConcreteField(s)) run.uncertain("the sed script is only known at run time");
    for (const fx of sedFiles(fieldText(s), (m) => run.uncertain(`sed script: ${m}`))) {
      if (sandbox) continue;
      if (fx.op === "exec") run.uncertain("the sed script runs a command (`e`); the engine cannot see what it runs");
      if (fx.path === "/dev/stdout" || fx.path === "/dev/stderr" || fx.path === "/dev/stdin") continue;
      run.file(fx.op, literalField(fx.path), inv.bases);
    }
  }
  const inPlace = parsed.options.some((o) => o.name === "i");
  for (const f of operands) {
    run.file("read", f, inv.bases);
    if (inPlace) run.file("write", f, inv.bases);
  }
}

function parses(script: string): boolean {
  try {
    sedFiles(script, (m) => {
      throw new Error(m);
    });
    return true;
  } catch {
    return false;
  }
}

export interface SedFileUse {
  op: "read" | "write" | "exec";
  path: string;
}

/** The files a sed script reads and writes, and whether it runs commands. */
export function sedFiles(script: string, fail: (msg: string) => never): SedFileUse[] {
  const out: SedFileUse[] = [];
  const s = script;
  let i = 0;
  const restOfLine = () => {
    const nl = s.indexOf("\n", i);
    const end = nl < 0 ? s.length : nl;
    const text = s.slice(i, end);
    i = end;
    return text;
  };
  const skipBlanks = () => {
    while (s[i] === " " || s[i] === "\t") i++;
  };
  const regex = (delim: string, brackets = true) => {
    // up to the next unescaped delimiter; `[...]` brackets do not end it in GNU sed (in a regex; `y` has none)
    for (;;) {
      const c = s[i];
      if (c === undefined || c === "\n") fail("unterminated regular expression");
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (brackets && c === "[" && delim !== "[") {
        let j = i + 1;
        if (s[j] === "^") j++;
        if (s[j] === "]") j++;
        while (j < s.length && s[j] !== "]" && s[j] !== "\n") j++;
        if (s[j] === "]") {
          i = j + 1;
          continue;
        }
      }
      i++;
      if (c === delim) return;
    }
  };
  const address = () => {
    const c = s[i];
    if (c === undefined) return;
    if (/[0-9]/.test(c)) {
      while (/[0-9~]/.test(s[i] ?? "")) i++;
    } else if (c === "$") i++;
    else if (c === "/") {
      i++;
      regex("/");
      while (s[i] === "I" || s[i] === "M") i++;
    } else if (c === "\\") {
      const d = s[i + 1];
      if (d === undefined || d === "\n") fail("bad address");
      i += 2;
      regex(d);
      while (s[i] === "I" || s[i] === "M") i++;
    }
  };
  for (;;) {
    while (i < s.length && /[\s;]/.test(s[i]!)) i++;
    if (i >= s.length) break;
    if (s[i] === "#") {
      restOfLine();
      continue;
    }
    address();
    skipBlanks();
    if (s[i] === ",") {
      i++;
      skipBlanks();
      if (s[i] === "+" || s[i] === "~") i++;
      address();
      skipBlanks();
    }
    while (s[i] === "!") {
      i++;
      skipBlanks();
    }
    const cmd = s[i++];
    switch (cmd) {
      case "{":
      case "}":
      case "=":
      case "d":
      case "D":
      case "g":
      case "G":
      case "h":
      case "H":
      case "n":
      case "N":
      case "p":
      case "P":
      case "x":
      case "z":
      case "F":
        break;
      case "l":
      case "L":
      case "q":
      case "Q":
        skipBlanks();
        while (/[0-9]/.test(s[i] ?? "")) i++;
        break;
      case "a":
      case "i":
      case "c": {
        // text to the end of the line, continued by a trailing backslash
        for (;;) {
          const line = restOfLine();
          if (!/\\$/.test(line) || i >= s.length) break;
          i++;
        }
        break;
      }
      case ":":
      case "b":
      case "t":
      case "T":
      case "v": {
        skipBlanks();
        while (i < s.length && s[i] !== "\n" && s[i] !== ";") i++;
        break;
      }
      case "r":
      case "R":
      case "w":
      case "W": {
        skipBlanks();
        const file = restOfLine();
        if (file === "") fail(`\`${cmd}\` without a file name`);
        out.push({ op: cmd === "r" || cmd === "R" ? "read" : "write", path: file });
        break;
      }
      case "e":
        restOfLine();
        out.push({ op: "exec", path: "" });
        break;
      case "s": {
        const d = s[i];
        if (d === undefined || d === "\n" || d === "\\") fail("bad `s` delimiter");
        i++;
        regex(d);
        // the replacement: up to the next unescaped delimiter (newlines allowed after a backslash)
        for (;;) {
          const c = s[i];
          if (c === undefined) fail("unterminated `s` command");
          if (c === "\\") {
            i += 2;
            continue;
          }
          i++;
          if (c === d) break;
        }
        // flags
        for (;;) {
          const f = s[i];
          if (f === undefined || f === "\n" || f === ";" || f === "}" || f === " " || f === "\t" || f === "#") break;
          if (f === "w") {
            i++;
            skipBlanks();
            const file = restOfLine();
            if (file === "") fail("`s///w` without a file name");
            out.push({ op: "write", path: file });
            break;
          }
          if (f === "e") out.push({ op: "exec", path: "" });
          else if (!/[gpiImM0-9]/.test(f)) fail(`unknown flag \`${f}\` of \`s\``);
          i++;
        }
        break;
      }
      case "y": {
        const d = s[i];
        if (d === undefined || d === "\n" || d === "\\") fail("bad `y` delimiter");
        i++;
        regex(d, false);
        regex(d, false);
        break;
      }
      default:
        fail(`unknown command \`${cmd ?? ""}\``);
    }
  }
  return out;
}
