/**
 * JSON read the way a security check must read it: one meaning per text.
 * `JSON.parse` keeps the last of duplicated keys (`{"path":"/etc/passwd",
 * "path":"/app/x"}` is `/app/x` to us and may be `/etc/passwd` to a first-wins
 * consumer), turns `1e309` into Infinity, rounds integers past 2^53 (to us
 * 9007199254740993 is ...992, to Python it is exact) and accepts escaped lone
 * surrogates, which other consumers replace or reject. Each of those is a
 * refusal here, naming where it is. Everything else is RFC 8259 JSON and
 * parses to what `JSON.parse` returns.
 *
 * Fast path: `JSON.parse` checks the syntax and builds the value natively; a
 * scan then counts the text's keys (colons outside strings) against the
 * value's own keys and checks numbers and strings. Only a body that fails
 * that check is re-read by the slow parser below, to say exactly what and
 * where.
 */
export type StrictJsonResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** `syntax`: not JSON at all; the others: JSON with more than one reading */
      problem: "syntax" | "duplicate_key" | "number_range" | "lone_surrogate" | "too_deep";
      message: string;
      /** where: `path`, `context.user`, `[2].path` ("" for the whole text) */
      at: string;
    };

export const MAX_JSON_DEPTH = 100;

export function parseStrictJson(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: "syntax", message: `not valid JSON: ${(e as Error).message}`, at: "" };
  }
  if (keysInText(text) === keysInValue(value, 0)) return { ok: true, value };
  return new StrictParser(text).parseAll();
}

/** Colons outside strings: in valid JSON, exactly one per object member. */
function keysInText(text: string): number {
  let n = 0;
  let i = 0;
  for (;;) {
    const q = text.indexOf('"', i);
    const end = q < 0 ? text.length : q;
    for (let c = text.indexOf(":", i); c >= 0 && c < end; c = text.indexOf(":", c + 1)) n++;
    if (q < 0) return n;
    i = closingQuote(text, q) + 1;
  }
}

/** The index of the quote that closes the string opened at `open` (the text is valid JSON). */
function closingQuote(text: string, open: number): number {
  let i = open;
  for (;;) {
    i = text.indexOf('"', i + 1);
    let bs = 0;
    while (text.charCodeAt(i - 1 - bs) === 0x5c) bs++;
    if (bs % 2 === 0) return i;
  }
}

/**
 * Own keys of every object in a parsed value, or -1 when something in it needs
 * the slow parser's judgement: a non-finite number, an integer past 2^53 (it
 * may have been written as one, refused, or as 1e20, fine), a lone surrogate,
 * nesting past the limit.
 */
function keysInValue(v: unknown, depth: number): number {
  if (typeof v === "string") return wellFormed(v) ? 0 : -1;
  if (typeof v === "number") return Number.isFinite(v) && (Number.isSafeInteger(v) || !Number.isInteger(v)) ? 0 : -1;
  if (v === null || typeof v !== "object") return 0;
  if (depth >= MAX_JSON_DEPTH) return -1;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) {
      const k = keysInValue(x, depth + 1);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  for (const k in v) {
    const c = keysInValue((v as Record<string, unknown>)[k], depth + 1);
    if (c < 0 || !wellFormed(k)) return -1;
    n += c + 1;
  }
  return n;
}

class Refusal extends Error {
  constructor(
    readonly problem: Extract<StrictJsonResult, { ok: false }>["problem"],
    message: string,
    readonly at: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** The slow, exact reader: same grammar as JSON.parse, plus the refusals above, with a location for each. */
class StrictParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseAll(): StrictJsonResult {
    try {
      this.ws();
      const value = this.value("", 0);
      this.ws();
      if (this.i < this.s.length) this.syntax("unexpected text after the JSON value");
      return { ok: true, value };
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, problem: e.problem, message: e.message, at: e.at };
      throw e;
    }
  }

  private syntax(what: string): never {
    throw new Refusal("syntax", `not valid JSON: ${what} at position ${this.i}`, "");
  }

  private ws(): void {
    const s = this.s;
    for (let c = s.charCodeAt(this.i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = s.charCodeAt(++this.i));
  }

  private value(at: string, depth: number): unknown {
    if (depth >= MAX_JSON_DEPTH) throw new Refusal("too_deep", `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, at);
    const c = this.s[this.i];
    if (c === "{") return this.object(at, depth);
    if (c === "[") return this.array(at, depth);
    if (c === '"') return this.string(at);
    if (c === "t") return this.literal("true", true);
    if (c === "f") return this.literal("false", false);
    if (c === "n") return this.literal("null", null);
    return this.number(at);
  }

  private literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.syntax("unexpected token");
    this.i += word.length;
    return v;
  }

  private number(at: string): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.syntax("unexpected token");
    this.i = NUMBER.lastIndex;
    const v = Number(m[0]);
    if (!Number.isFinite(v)) throw new Refusal("number_range", `number ${m[0].slice(0, 40)} at \`${at || "$"}\` is out of range`, at);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(v) && BigInt(m[0]) !== BigInt(v)) {
      throw new Refusal(
        "number_range",
        `integer ${m[0].slice(0, 40)} at \`${at || "$"}\` is not exactly representable (it would read as ${v}); consumers would disagree on it`,
        at,
      );
    }
    return v;
  }

  private string(at: string): string {
    const s = this.s;
    let out = "";
    let from = ++this.i;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (Number.isNaN(c)) this.syntax("unterminated string");
      if (c === 0x22) break;
      if (c < 0x20) this.syntax("control character in a string");
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(from, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      if (e === "u") {
        const hex = s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.syntax("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 4;
      } else {
        const r = ESCAPES[e ?? ""];
        if (r === undefined) this.syntax("bad escape");
        out += r;
      }
      from = this.i;
    }
    out += s.slice(from, this.i);
    this.i++;
    if (!wellFormed(out))
      throw new Refusal("lone_surrogate", `string at \`${at || "$"}\` holds a lone surrogate (\\ud800-\\udfff escape not part of a pair)`, at);
    return out;
  }

  private array(at: string, depth: number): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(`${at}[${out.length}]`, depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") {
        this.i--;
        this.syntax("expected `,` or `]`");
      }
    }
  }

  private object(at: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.syntax("expected a double-quoted key");
      const key = this.string(at);
      const where = at === "" ? key : `${at}.${key}`;
      if (Object.hasOwn(out, key))
        throw new Refusal("duplicate_key", `duplicate key \`${printableKey(where)}\`: JSON readers disagree on which value counts`, where);
      this.ws();
      if (this.s[this.i++] !== ":") {
        this.i--;
        this.syntax("expected `:`");
      }
      this.ws();
      const v = this.value(where, depth + 1);
      // An own property even for `__proto__`, as JSON.parse makes it: never the prototype.
      Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") {
        this.i--;
        this.syntax("expected `,` or `}`");
      }
    }
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** No lone surrogate: the text has one UTF-8 encoding (String.prototype.isWellFormed, which ES2022 typings lack). */
export function wellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

const ESCAPES: Record<string, string | undefined> = Object.assign(Object.create(null) as Record<string, string>, {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
});

/** A key as it can be shown in a message: control characters escaped, length capped. */
function printableKey(k: string): string {
  const shown = k.length > 80 ? k.slice(0, 80) + "..." : k;
  return shown.replace(/[\u0000-\u001f\u007f-\u009f`]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
