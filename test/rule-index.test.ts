import { describe, expect, it } from "vitest";
import { templateDirectory } from "../src/match/path-template.js";
import { template, type TemplatePart } from "../src/match/template.js";
import { engineFromText } from "./helpers.js";

const any = { hole: "any", source: "$X" } as const;
const seg = { hole: "segment", source: "*" } as const;

describe("the directory a path template is known to lie under (its index lists)", () => {
  it.each<[string, TemplatePart[], string[]]>([
    ["a glob in the last segment", ["/app/src/", seg, ".ts"], ["app", "src"]],
    ["a glob glued to a name", ["/app/src/x", seg], ["app", "src"]],
    ["`..` resolved before the first hole", ["/app/a/../b/", seg, ".md"], ["app", "b"]],
    ["a bare glob segment may be `..`", ["/app/src/", seg, "/x"], ["app"]],
    ["`.*` may be `..`", ["/app/src/.", seg], ["app"]],
    ["a literal `..` after the hole", ["/app/src/", seg, "/../../x"], []],
    ["an `any` hole can climb anywhere", ["/app/", any], []],
    ["not absolute", [seg, "/x"], []],
  ])("%s", (_what, parts, want) => {
    expect(templateDirectory(template(parts))).toEqual(want);
  });
});

describe("candidates for templated subjects", async () => {
  const e = await engineFromText(`
rules:
  - {id: r0, action: file.read, path: "/app/src/**", effect: allow}
  - {id: r1, action: file.read, path: "/app/src/deep/**", effect: deny}
  - {id: r2, action: file.read, path: "/lib/**", effect: deny}
  - {id: r3, action: file.read, path: "**/.env", effect: deny}
  - {id: r4, action: shell.execute, command: "git *", effect: allow}
  - {id: r5, action: shell.execute, command: "gitk *", effect: allow}
  - {id: r6, action: shell.execute, command: "ls *", effect: allow}
`);
  const ids = (action: string, i: number[]) => i.map((k) => e.policy.rules[k]!.id);
  it("a path template gathers its directory's ancestors, everything below it, and the unindexed rules", () => {
    const b = e.policy.bucket("file.read");
    expect(ids("file.read", b.candidates({ action: "file.read", templates: { path: template(["/app/src/", seg, ".ts"]) } }))).toEqual(["r0", "r1", "r3"]);
    expect(ids("file.read", b.candidates({ action: "file.read", templates: { path: template(["/app/", any]) } }))).toEqual(["r0", "r1", "r2", "r3"]);
  });
  it("a command template gathers the words its leading text could begin", () => {
    const b = e.policy.bucket("shell.execute");
    expect(ids("shell.execute", b.candidates({ action: "shell.execute", templates: { command: template(["git ", any]) } }))).toEqual(["r4"]);
    expect(ids("shell.execute", b.candidates({ action: "shell.execute", templates: { command: template(["git", any]) } }))).toEqual(["r4", "r5"]);
    expect(ids("shell.execute", b.candidates({ action: "shell.execute", templates: { command: template([any, " x"]) } }))).toEqual(["r4", "r5", "r6"]);
  });
});

describe("host patterns filed under leading labels", async () => {
  // Found by the factor-index property test (seed 2093726672): `ab.b.*` is filed under `ab.b`, and the index looked up only the first label.
  const e = await engineFromText(`
rules:
  - {id: two, action: network.request, host: "ab.b.*", effect: deny}
  - {id: one, action: network.request, host: "ab.*", effect: require_approval}
  - {id: three, action: network.request, host: "x.y.z.*", effect: deny}
`);
  it.each([
    ["http://ab.b.a/", "two"],
    ["http://ab.b.a:8080/x", "two"],
    ["http://ab.c/", "one"],
    ["http://x.y.z.w.v/", "three"],
    ["http://x.y.q/", null],
  ])("%s -> %s, through the index (first match, and the candidate walk explain takes)", (url, rule) => {
    expect(e.check({ action: "network.request", url }).rule).toBe(rule);
    expect(e.check({ action: "network.request", url }, { explain: true }).rule).toBe(rule);
  });
});
