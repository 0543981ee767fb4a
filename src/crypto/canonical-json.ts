/**
 * RFC 8785 (JCS) canonical JSON: object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings serialized as ECMAScript does. Two parties
 * that hash the same value always hash the same bytes, whatever key order the
 * value was built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot represent non-finite numbers");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",") + "]";
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(obj[k])).join(",") + "}";
  }
  throw new TypeError(`canonical JSON cannot represent ${typeof value}`);
}
