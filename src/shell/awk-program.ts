import { type Field, fieldHead, fieldText, isConcreteField, literalField } from "./fields.js";
import { optSpec, parseArgs } from "./getopt.js";
import type { Invocation, Runner } from "./invocation.js";

/**
 * `awk` (and gawk, mawk, nawk): the operands are input files, except
 * `name=value` assignments; the program itself is read token by token
 * (strings and regular expressions apart) for what touches files or runs
 * programs: `getline < "file"` reads, `print > "file"` writes, `system()`,
 * `| getline`, `print | "cmd"` and `|&` run commands (refused), `ARGV` and
 * `ENVIRON` change or read what the engine cannot follow (`ARGV` refused,
 * `ENVIRON` reads the environment). A program from a file (`-f`) cannot be
 * seen and is refused.
 */
const SPEC =
  "-F: -v: -f: -b -c -C -d:: -D:: -e: -E: -g -h -i: -l: -L:: -M -n -N -o:: -O -p:: -P -r -s -S -t -V -W: --field-separator/F --assign/v --file/f --characters-as-bytes/b --traditional/c --copyright/C --dump-variables/d --debug/D --source/e --exec/E --gen-pot/g --help/h --include/i --load/l --lint/L --bignum/M --use-lc-numeric/N --non-decimal-data/n --pretty-print/o --optimize/O --profile/p --posix/P --re-interval/r --no-optimize/s --sandbox/S --lint-old/t --version/V";

export function awk(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(inv.args, optSpec(SPEC));
  if (parsed.error) run.uncertain(`\`${inv.name}\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain(`\`${inv.name}\` with a word only known at run time where an option or the program could be`);
  let operands = parsed.operands;
  const programs: Field[] = [];
  for (const o of parsed.options) {
    if (o.name === "f" || o.name === "E" || o.name === "i" || o.name === "l")
      run.uncertain(`\`${inv.name} -${o.name} FILE\` runs a program the engine cannot see; give the program inline`);
    if (o.name === "e" && o.value) programs.push(o.value);
    if ((o.name === "d" || o.name === "p" || o.name === "o") && o.value) run.file("write", o.value, inv.bases);
  }
  if (programs.length === 0) {
    if (!operands[0]) return;
    programs.push(operands[0]);
    operands = operands.slice(1);
  }
  const sandbox = parsed.options.some((o) => o.name === "S");
  for (const p of programs) {
    if (!isConcreteField(p)) run.uncertain("the awk program is only known at run time");
    for (const fx of awkEffects(fieldText(p), (m) => run.uncertain(`awk program: ${m}`))) {
      if (fx.op === "env") run.env(fx.path === "" ? null : fx.path);
      // gawk's `/inet/tcp/LPORT/HOST/PORT` special files are network connections (`/inet4`, `/inet6` too)
      else if (/^\/inet[46]?\//.test(fx.path))
        run.uncertain(`awk program: \`${fx.path}\` is a network connection in gawk, which the engine does not check; use curl`);
      else if (!sandbox && !/^\/dev\/(stdout|stderr|stdin|fd\/[012])$/.test(fx.path) && fx.path !== "-") run.file(fx.op, literalField(fx.path), inv.bases);
    }
  }
  for (const f of operands) {
    // `name=value` operands are assignments, not files
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(fieldHead(f))) continue;
    run.file("read", f, inv.bases);
  }
}

interface AwkEffect {
  op: "read" | "write" | "env";
  path: string;
}

type Token = { k: "str"; v: string } | { k: "re" } | { k: "id"; v: string } | { k: "num" } | { k: "op"; v: string } | { k: "nl" };

/** What an awk program does beyond reading its input and printing. */
const MAX_PROGRAM = 16_384;

export function awkEffects(src: string, fail: (msg: string) => never): AwkEffect[] {
  if (src.length > MAX_PROGRAM) fail(`a program longer than ${MAX_PROGRAM} characters is not checked; put it in a file the policy allows running`);
  const toks = tokenize(src, fail);
  const out: AwkEffect[] = [];
  let inPrint = false;
  let parens = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    const next = toks[k + 1];
    if (t.k === "id") {
      if (t.v === "system") fail("`system()` runs a command the engine cannot see");
      if (t.v === "ARGV" || t.v === "ARGC") fail("`ARGV`/`ARGC` changes which files awk reads");
      // gawk's symbol table reaches every variable by name (`SYMTAB["ENVIRON"]`, `SYMTAB["ARGV"]`)
      if (t.v === "SYMTAB" || t.v === "FUNCTAB") fail(`\`${t.v}\` (gawk) reaches ARGV, ENVIRON and functions by name`);
      // gawk's `@f(...)` calls the function named by f's value (`system` too), `@/re/` is a regex constant
      if (t.v.startsWith("@") && !["@load", "@include", "@namespace"].includes(t.v))
        fail("`@name(...)` (gawk) calls a function chosen at run time, `system` included");
      if (t.v === "ENVIRON") {
        const a = toks[k + 1];
        const b = toks[k + 2];
        const c = toks[k + 3];
        if (a?.k === "op" && a.v === "[" && b?.k === "str" && c?.k === "op" && c.v === "]") out.push({ op: "env", path: b.v });
        else out.push({ op: "env", path: "" });
      }
      if (t.v === "print" || t.v === "printf") {
        inPrint = true;
        parens = 0;
      }
      if (t.v === "getline") {
        // `getline < FILE`, `getline VAR < FILE`
        const lt =
          next?.k === "op" && next.v === "<" ? k + 1 : next?.k === "id" && toks[k + 2]?.k === "op" && (toks[k + 2] as { v: string }).v === "<" ? k + 2 : -1;
        if (lt < 0 && next?.k === "op" && next.v === "$") fail("`getline $FIELD < FILE` is not modelled");
        if (lt >= 0) {
          const target = toks[lt + 1];
          if (target?.k !== "str") fail("`getline < FILE` with a file name computed at run time");
          if (continuesExpression(toks[lt + 2])) fail('`getline < "a" b` with a file name built from several parts');
          out.push({ op: "read", path: target.v });
          k = lt + 1;
        }
      }
      if (t.v === "@load" || t.v === "@include" || t.v === "@namespace") fail(`\`${t.v}\` loads code the engine cannot see`);
      continue;
    }
    if (t.k === "op") {
      if (t.v === "|" || t.v === "|&") fail("a pipe (`|`, `|&`) in an awk program runs a command the engine cannot see");
      if (t.v === "(") parens++;
      else if (t.v === ")") parens--;
      else if ((t.v === ">" || t.v === ">>") && inPrint && parens <= 0) {
        const target = toks[k + 1];
        if (target?.k !== "str") fail("`print > FILE` with a file name computed at run time");
        // `print > "/app/.e" "nv"` writes to the concatenation
        if (continuesExpression(toks[k + 2])) fail("`print > FILE` with a file name built from several parts");
        out.push({ op: "write", path: target.v });
        k++;
      } else if (t.v === ";" || t.v === "{" || t.v === "}") inPrint = false;
      continue;
    }
    if (t.k === "nl") inPrint = false;
  }
  return out;
}

/** A token that would concatenate onto the one before it (a string, a name, a number, a field, a parenthesis). */
function continuesExpression(t: Token | undefined): boolean {
  return (
    t !== undefined &&
    (t.k === "str" ||
      t.k === "id" ||
      t.k === "num" ||
      t.k === "re" ||
      (t.k === "op" && (t.v === "$" || t.v === "(" || t.v === "[" || t.v === "++" || t.v === "--" || t.v === "!" || t.v === "-" || t.v === "+")))
  );
}

function tokenize(s: string, fail: (msg: string) => never): Token[] {
  const out: Token[] = [];
  // whether a `/` here starts a regular expression (an operand is expected) or divides
  const regexAllowed = () => {
    const last = out[out.length - 1];
    if (!last) return true;
    if (last.k === "nl") return true;
    if (last.k === "op") return !(last.v === ")" || last.v === "]" || last.v === "$" || last.v === "++" || last.v === "--");
    if (last.k === "id") return /^(print|printf|return|in|getline|case|delete)$/.test(last.v);
    return false;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "\\" && s[i + 1] === "\n") {
      i += 2;
    } else if (c === "\n") {
      out.push({ k: "nl" });
      i++;
    } else if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
    } else if (c === '"') {
      let v = "";
      i++;
      for (;;) {
        const d = s[i];
        if (d === undefined || d === "\n") fail("unterminated string");
        if (d === '"') break;
        if (d === "\\") {
          const e = s[i + 1];
          const map: Record<string, string> = { n: "\n", t: "\t", "\\": "\\", '"': '"', "/": "/", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v" };
          if (e !== undefined && map[e] !== undefined) v += map[e];
          else fail('escape sequences other than \\n \\t \\\\ \\" in awk strings are not modelled');
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      i++;
      out.push({ k: "str", v });
    } else if (c === "/" && out[out.length - 1]?.k === "id" && (out[out.length - 1] as { v: string }).v === "getline") {
      // `getline / 2`: awks disagree whether this is a division or a regex (which would hide what follows)
      fail("`getline` followed by `/` is read as a division by some awks and a regex by others; use parentheses");
    } else if (c === "/" && regexAllowed()) {
      i++;
      let inBracket = false;
      for (;;) {
        const d = s[i];
        if (d === undefined || d === "\n") fail("unterminated regular expression");
        if (d === "\\") {
          i += 2;
          continue;
        }
        if (d === "[") inBracket = true;
        else if (d === "]") inBracket = false;
        else if (d === "/" && !inBracket) break;
        i++;
      }
      i++;
      out.push({ k: "re" });
    } else if (/[A-Za-z_@]/.test(c)) {
      let j = i + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      out.push({ k: "id", v: s.slice(i, j) });
      i = j;
    } else if (/[0-9.]/.test(c)) {
      let j = i + 1;
      while (j < s.length && /[0-9.eExXa-fA-F]/.test(s[j]!)) j++;
      out.push({ k: "num" });
      i = j;
    } else {
      const two = s.slice(i, i + 2);
      const op = ["||", "&&", "|&", ">>", "<=", ">=", "==", "!=", "++", "--", "+=", "-=", "*=", "/=", "%=", "^=", "**"].includes(two) ? two : c;
      out.push({ k: "op", v: op });
      i += op.length;
    }
  }
  return out;
}
