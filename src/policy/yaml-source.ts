import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import type { PolicyError, PolicyErrorCode } from "./errors.js";
import { didYouMean } from "./suggest.js";

/**
 * A parsed policy file with the helpers the validator needs to point at the
 * exact line and column of anything it complains about. JSON is read by the
 * same parser (JSON is YAML 1.2), so JSON policies get positions too.
 */
const MAX_ALIASES = 100;

export class YamlSource {
  readonly errors: PolicyError[] = [];
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  private aliases = 0;

  constructor(
    readonly file: string,
    readonly text: string,
    /** where this text sits inside its file (a policy embedded in a ConfigMap) */
    private readonly shift: { lines: number; columns: number } = { lines: 0, columns: 0 },
  ) {
    // uniqueKeys: a duplicated key in a rule is ambiguous, and ambiguity in a
    // security policy is a bug. maxAliasCount bounds alias expansion (billion laughs).
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, strict: true });
    for (const e of [...this.doc.errors]) {
      this.addAt(e.pos[0], "yaml_syntax", e.message.split("\n")[0]!);
    }
  }

  addAt(offset: number, code: PolicyErrorCode, message: string, help?: string, severity: "error" | "warning" = "error"): void {
    const { line, column } = this.position(offset);
    const e: PolicyError = { code, message, file: this.file, line, column, severity };
    if (help) e.help = help;
    this.errors.push(e);
  }

  addPos(pos: { line: number; column: number }, code: PolicyErrorCode, message: string, help?: string): void {
    this.errors.push({ code, message, ...(help !== undefined ? { help } : {}), file: this.file, line: pos.line, column: pos.column, severity: "error" });
  }

  add(node: Node | Pair | null | undefined, code: PolicyErrorCode, message: string, help?: string): void {
    this.addAt(offsetOf(node), code, message, help);
  }

  warn(node: Node | Pair | null | undefined, code: PolicyErrorCode, message: string, help?: string): void {
    this.addAt(offsetOf(node), code, message, help, "warning");
  }

  pos(node: Node | Pair | null | undefined): { file: string; line: number; column: number } {
    return { file: this.file, ...this.position(offsetOf(node)) };
  }

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line: line + this.shift.lines, column: col + this.shift.columns };
  }

  /** Follows aliases so `*anchor` validates like the node it names. */
  deref(node: unknown): Node | null {
    if (isAlias(node)) {
      // Bounded so that nested aliases (billion laughs) cannot make validation explode.
      if (++this.aliases > MAX_ALIASES) {
        if (this.aliases === MAX_ALIASES + 1) this.add(node, "bad_value", `more than ${MAX_ALIASES} alias references`);
        return null;
      }
      return (node.resolve(this.doc) as Node | undefined) ?? null;
    }
    return (node as Node | null) ?? null;
  }

  /** The pairs of a map with string keys; reports non-string keys and unknown ones. */
  entries(
    map: YAMLMap,
    known: readonly string[] | ((k: string) => boolean),
    what: string,
    suggestions?: readonly string[],
  ): Array<[string, Node | null, Pair]> {
    const out: Array<[string, Node | null, Pair]> = [];
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key);
      if (!isScalar(keyNode) || typeof keyNode.value !== "string") {
        this.add(keyNode ?? pair, "bad_type", `${what} keys must be strings`);
        continue;
      }
      const k = keyNode.value;
      const ok = typeof known === "function" ? known(k) : known.includes(k);
      if (!ok) {
        const pool = suggestions ?? (typeof known === "function" ? [] : known);
        const help = didYouMean(k, pool);
        this.add(keyNode, "unknown_key", `unknown key \`${k}\` in ${what}`, help);
        continue;
      }
      out.push([k, this.deref(pair.value), pair]);
    }
    return out;
  }

  string(node: Node | null, what: string): string | undefined {
    if (isScalar(node) && typeof node.value === "string") return node.value;
    this.add(node, "bad_type", `${what} must be a string, got ${describe(node)}`);
    return undefined;
  }

  isMap = isMap;
  isSeq = isSeq;
  isScalar = isScalar;
}

function offsetOf(node: Node | Pair | null | undefined): number {
  if (!node) return 0;
  const n = node as { range?: [number, number, number]; key?: unknown; value?: unknown };
  if (n.range) return n.range[0];
  const k = n.key as { range?: [number, number, number] } | undefined;
  if (k?.range) return k.range[0];
  return 0;
}

export function describe(node: Node | null): string {
  if (node === null) return "nothing";
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return node.value === null ? "null" : `${typeof node.value} \`${String(node.value)}\``;
  return "an unsupported node";
}
