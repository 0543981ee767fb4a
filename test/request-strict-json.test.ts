import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseStrictJson } from "../src/request/strict-json.js";

describe("strict JSON: one reading per text", () => {
  it.each([
    ["duplicate key at the top (last-wins path swap)", '{"action":"file.read","path":"/etc/passwd","path":"/app/x"}', "duplicate_key", "path"],
    ["duplicate key with whitespace and CR between", '{"path":"/a",\r\n "path" \t: "/b"}', "duplicate_key", "path"],
    ["duplicate key spelled with an escape", '{"path":"/a","p\\u0061th":"/b"}', "duplicate_key", "path"],
    ["duplicate key inside context", '{"action":"x.y","context":{"role":"admin","role":"guest"}}', "duplicate_key", "context.role"],
    ["duplicate key inside arguments", '{"action":"mcp.call","server":"s","tool":"t","arguments":{"a":{"b":1,"b":2}}}', "duplicate_key", "arguments.a.b"],
    ["duplicate key inside a batch item", '[{"action":"file.read","path":"/x"},{"path":"/a","path":"/b"}]', "duplicate_key", "[1].path"],
    ["duplicate __proto__", '{"__proto__":1,"__proto__":2}', "duplicate_key", "__proto__"],
    ["1e309 is Infinity to JSON.parse", '{"action":"network.request","host":"a.com","port":1e309}', "number_range", "port"],
    ["-1e309", '{"context":{"n":-1e309}}', "number_range", "context.n"],
    ["integer past 2^53 rounds", '{"context":{"amount":9007199254740993}}', "number_range", "context.amount"],
    ["huge integer literal", '{"port":' + "9".repeat(400) + "}", "number_range", "port"],
    ["lone high surrogate", '{"agent":"a\\ud800"}', "lone_surrogate", "agent"],
    ["lone low surrogate in a key", '{"context":{"\\udc00":1}}', "lone_surrogate", "context"],
    ["nesting past the limit", "[".repeat(101) + "]".repeat(101), "too_deep", "[0]".repeat(100)],
  ])("refuses %s", (_name, text, problem, at) => {
    const r = parseStrictJson(text);
    expect(r).toMatchObject({ ok: false, problem, at });
  });

  it.each([
    ["not JSON", "{nope}"],
    ["trailing comma", '{"a":1,}'],
    ["single quotes", "{'a':1}"],
    ["NaN", '{"a":NaN}'],
    ["raw newline in a string", '{"a":"x\ny"}'],
    ["empty", ""],
    ["two values", "{} {}"],
  ])("a syntax error is a syntax error: %s", (_name, text) => {
    expect(parseStrictJson(text)).toMatchObject({ ok: false, problem: "syntax" });
  });

  it.each([
    ['{"a":1,"b":{"a":2}}'],
    ['{"k":"colons: inside \\" strings \\\\","y":1, "x":"\\\\", "z":"a:b"}'],
    ['{"e":1e20,"f":9007199254740991,"g":-9007199254740992,"h":1.5e300,"i":0.1,"j":100000000000000000000}'],
    ['{"emoji":"\\ud83d\\ude00","raw":"😀"}'],
    ['{"__proto__":{"polluted":true},"constructor":1}'],
    ["[" + "[".repeat(98) + "]".repeat(98) + "]"],
    ['  {"a" : [ 1 , 2 ] }\r\n'],
  ])("accepts plain JSON as JSON.parse reads it: %s", (text) => {
    const r = parseStrictJson(text);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value).toEqual(JSON.parse(text));
  });

  it("__proto__ is an own key, never the prototype", () => {
    const r = parseStrictJson('{"__proto__":{"polluted":true}}');
    expect(r.ok).toBe(true);
    const v = (r as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // and the slow path (a refusal elsewhere forces it) does the same
    expect(parseStrictJson('{"__proto__":{"polluted":true},"a":1,"a":2}')).toMatchObject({ ok: false, problem: "duplicate_key", at: "a" });
  });

  it("agrees with JSON.parse on every JSON text without duplicates or out-of-range numbers", () => {
    fc.assert(
      fc.property(fc.json({ depthSize: "medium" }), (text) => {
        const r = parseStrictJson(text);
        const v = JSON.parse(text);
        if (r.ok) expect(r.value).toEqual(v);
        else expect(["duplicate_key", "number_range", "lone_surrogate"]).toContain(r.problem);
      }),
      { numRuns: 500 },
    );
  });

  it("finds every duplicate, whatever the nesting and spacing (fast path never misses one)", () => {
    const key = fc.string({ maxLength: 6 });
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }).filter((v) => parseStrictJson(JSON.stringify(v)).ok),
        key,
        fc.jsonValue({ maxDepth: 2 }),
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom("", " ", "\r\n", "\t"),
        (outer, k, a, b, sp) => {
          const dup = `{${sp}${JSON.stringify(k)}${sp}:${sp}${JSON.stringify(a)},${JSON.stringify(k)}:${JSON.stringify(b)}${sp}}`;
          const text = `{"outer":${JSON.stringify(outer)},"inner":[1,${dup}]}`;
          const r = parseStrictJson(text);
          if (parseStrictJson(JSON.stringify(a)).ok && parseStrictJson(JSON.stringify(b)).ok)
            expect(r).toMatchObject({ ok: false, problem: "duplicate_key", at: `inner[1].${k}` });
          else expect(r.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
