import { type Field, fieldHead, isConcreteField, isEmptyField, sliceField } from "./fields.js";

/**
 * Option parsing as the programs themselves do it (GNU getopt_long): bundled
 * short flags (`-ie`), values attached or in the next word (`-o/x`, `-o x`),
 * `--name=value` and `--name value`, unambiguous abbreviations of long names
 * (`--out` is `--output`), `--` ending options, and either permutation
 * (options anywhere, coreutils) or stopping at the first operand (`+`, the
 * wrappers: `env`, `sudo`, `timeout`). A word only known at run time where an
 * option could be is "unknown": it may be any option, and the caller must
 * assume every option's effect.
 *
 * Specs are written as one string, e.g. `"+ -u: --user/u -C:@d --chdir/C -i"`:
 * `-x` flag, `-x:` value required, `-x::` value only attached; `--name`,
 * `--name:`, `--name::` (value only after `=`); `--name/x` is another name of
 * `-x`; `@tag` marks what the value is (`@w` a written file, `@r` a read
 * file, ...: the program model gives tags their meaning); a leading `+` stops
 * at the first operand; `#` accepts `-NUM` (`head -5`).
 */
export interface OptSpec {
  stopAtOperand: boolean;
  numeric: boolean;
  /** long names may be abbreviated (GNU); off for programs that match exactly */
  abbreviate: boolean;
  short: Map<string, OptDef>;
  long: Map<string, OptDef>;
  /** every option that has a tag, for "an unknown word may be any option" */
  tagged: OptDef[];
}

export interface OptDef {
  /** canonical name: the short letter if there is one, else the long name */
  name: string;
  arg: "none" | "required" | "optional";
  tag?: string;
}

export interface ParsedOption {
  name: string;
  value?: Field;
  tag?: string;
}

export interface ParsedArgs {
  options: ParsedOption[];
  /** operands in order (including words that may be operands after a run-time `--`) */
  operands: Field[];
  /** a run-time word may have been any option: assume every tagged option, with any value */
  unknown: boolean;
  /** the program rejects the arguments (unknown or ambiguous option, missing value) */
  error?: string;
  /** with stopAtOperand: index of the first operand in the input (the wrapped command) */
  rest?: number;
}

const cache = new Map<string, OptSpec>();

export function optSpec(text: string, opts: { abbreviate?: boolean } = {}): OptSpec {
  const key = (opts.abbreviate === false ? "!" : "") + text;
  const hit = cache.get(key);
  if (hit) return hit;
  const spec: OptSpec = { stopAtOperand: false, numeric: false, abbreviate: opts.abbreviate !== false, short: new Map(), long: new Map(), tagged: [] };
  const aliases: Array<[string, string, string]> = [];
  for (const tok of text.split(/\s+/).filter(Boolean)) {
    if (tok === "+") {
      spec.stopAtOperand = true;
      continue;
    }
    if (tok === "#") {
      spec.numeric = true;
      continue;
    }
    const m = /^(--?)([A-Za-z0-9?.][-A-Za-z0-9_.?]*)(\/[A-Za-z0-9?]+)?(::|:)?(@\w+)?$/.exec(tok);
    if (!m) throw new Error(`bad option spec token \`${tok}\``);
    const [, dashes, name, alias, colon, tag] = m;
    if (alias) {
      aliases.push([name!, alias.slice(1), tok]);
      continue;
    }
    const def: OptDef = { name: name!, arg: colon === "::" ? "optional" : colon === ":" ? "required" : "none" };
    if (tag) {
      def.tag = tag.slice(1);
      spec.tagged.push(def);
    }
    if (dashes === "-") {
      if (name!.length !== 1) throw new Error(`short option \`${tok}\` must be one character`);
      spec.short.set(name!, def);
    } else spec.long.set(name!, def);
  }
  for (const [name, target, tok] of aliases) {
    const def = spec.short.get(target) ?? spec.long.get(target);
    if (!def) throw new Error(`option spec \`${tok}\`: \`${target}\` is not defined`);
    spec.long.set(name, def);
  }
  cache.set(key, spec);
  return spec;
}

/** Parses `args` (the words after the program name) against `spec`. */
export function parseArgs(args: readonly Field[], spec: OptSpec): ParsedArgs {
  const out: ParsedArgs = { options: [], operands: [], unknown: false };
  let maybeEnded = false; // a run-time word could have been `--`
  const fail = (msg: string) => {
    out.error ??= msg;
  };
  /** the value of an option that takes the next word */
  const next = (i: number, what: string): Field | undefined => {
    const v = args[i + 1];
    if (v === undefined) fail(`option \`${what}\` needs a value`);
    else if (v.split) out.unknown = true;
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    const head = fieldHead(f);
    const concrete = isConcreteField(f);
    if (concrete && head === "--") {
      out.operands.push(...args.slice(i + 1));
      if (spec.stopAtOperand) out.rest = i + 1;
      return out;
    }
    if (head === "" && !concrete) {
      // wholly run-time: an option, `--`, or an operand
      out.unknown = true;
      if (spec.stopAtOperand) {
        out.rest = i;
        return out;
      }
      maybeEnded = true;
      out.operands.push(f);
      continue;
    }
    if (!head.startsWith("-") || (concrete && head === "-")) {
      out.operands.push(f);
      // a glob's words all start with this operand's literal head: never an option or `--`
      if (f.split && !f.globOnly) {
        out.unknown = true;
        maybeEnded = true;
      }
      if (spec.stopAtOperand) {
        out.rest = i;
        out.operands.push(...args.slice(i + 1));
        return out;
      }
      continue;
    }
    if (maybeEnded) out.operands.push(f);
    if (f.split) out.unknown = true;
    if (spec.numeric && /^-\d/.test(head)) {
      if (!concrete) out.unknown = true;
      else if (/^-\d+$/.test(head)) out.options.push({ name: "#" });
      else fail(`unknown option \`${head}\``);
      continue;
    }
    if (head.startsWith("--")) {
      const eq = head.indexOf("=");
      const name = eq < 0 ? head.slice(2) : head.slice(2, eq);
      if (eq < 0 && !concrete) {
        out.unknown = true; // `--na$X`: which option is not known
        continue;
      }
      const def = lookupLong(spec, name);
      if (!def) {
        fail(def === null ? `ambiguous option \`--${name}\`` : `unknown option \`--${name}\``);
        continue;
      }
      const opt: ParsedOption = { name: def.name };
      if (def.tag) opt.tag = def.tag;
      if (eq >= 0) {
        if (def.arg === "none") fail(`option \`--${name}\` takes no value`);
        opt.value = sliceField(f, eq + 1);
      } else if (def.arg === "required") {
        const v = next(i, "--" + name);
        if (v) {
          opt.value = v;
          i++;
        }
      }
      out.options.push(opt);
      continue;
    }
    // a cluster of short options: `-abc`, `-ofile`, `-o file`
    for (let k = 1; ; k++) {
      if (k >= head.length) {
        if (!concrete) out.unknown = true; // `-a$X`: more options at run time
        break;
      }
      const ch = head[k]!;
      const def = spec.short.get(ch);
      if (!def) {
        fail(`unknown option \`-${ch}\``);
        break;
      }
      const opt: ParsedOption = { name: def.name };
      if (def.tag) opt.tag = def.tag;
      out.options.push(opt);
      if (def.arg === "none") continue;
      const rest = sliceField(f, k + 1);
      if (!isEmptyField(rest)) opt.value = rest;
      else if (def.arg === "required") {
        const v = next(i, "-" + ch);
        if (v) {
          opt.value = v;
          i++;
        }
      }
      break;
    }
  }
  return out;
}

function lookupLong(spec: OptSpec, name: string): OptDef | undefined | null {
  const exact = spec.long.get(name);
  if (exact) return exact;
  if (!spec.abbreviate || name === "") return undefined;
  let found: OptDef | undefined;
  for (const [k, def] of spec.long) {
    if (!k.startsWith(name)) continue;
    if (found && found !== def) return null;
    found = def;
  }
  return found;
}
