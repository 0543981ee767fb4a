/**
 * The canonical JSON (RFC 8785) of a record as the chain hashes it, built for
 * the hot path: every decision is hashed as it is made, and the reference
 * `canonicalJson` (crypto/canonical-json.ts) spends most of its time on the
 * arrays and closures it builds per object. This is the same algorithm
 * written as one pass of string concatenation: keys of each object sorted by
 * UTF-16 code units, `undefined` members left out (`null` in arrays),
 * strings and numbers as ECMAScript's JSON.stringify writes them, and the
 * same refusals (non-finite numbers; functions, symbols, bigints, undefined
 * at the top).
 *
 * It must produce exactly the reference's text: test/audit-record-text.test.ts
 * compares the two on generated values, and the verifier recomputes every
 * hash with the reference, so a record written differently would not verify.
 */
export function recordText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot represent non-finite numbers");
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let s = "[";
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          s += (i > 0 ? "," : "") + (v === undefined ? "null" : recordText(v));
        }
        return s + "]";
      }
      const obj = value as Record<string, unknown>;
      // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as RFC 8785 asks.
      const keys = Object.keys(obj).sort();
      let s = "{";
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        s += (first ? "" : ",") + quotedKey(k) + recordText(v);
        first = false;
      }
      return s + "}";
    }
    default:
      throw new TypeError(`canonical JSON cannot represent ${typeof value}`);
  }
}

// Records use a few dozen key names; each is quoted once (bounded, in case a caller hashes arbitrary objects).
const quoted = new Map<string, string>();

function quotedKey(k: string): string {
  let q = quoted.get(k);
  if (q === undefined) {
    q = JSON.stringify(k) + ":";
    if (quoted.size < 512) quoted.set(k, q);
  }
  return q;
}
