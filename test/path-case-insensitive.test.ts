import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePolicy, policyDigest } from "../src/index.js";
import { accepts } from "../src/match/automaton.js";
import { foldCase } from "../src/match/fold.js";
import { pathTemplateNfa } from "../src/match/path-template.js";
import { template } from "../src/match/template.js";
import { normalizePath } from "../src/request/normalize-path.js";
import { engineFromText, errorsOf } from "./helpers.js";

/**
 * `paths: { caseInsensitive: true }` for agents on macOS (APFS, HFS+) and
 * Windows (NTFS): a name the file system treats as `.env` must not escape a
 * `**\/.env` deny, whatever its case or Unicode spelling.
 */
const policy = (ci: boolean) => `
${ci ? "paths: { caseInsensitive: true }" : ""}
rules:
  - {id: no-dotenv, action: file.read, path: "**/.env", effect: deny}
  - {id: no-ssh, action: file.read, path: "**/.ssh/**", effect: deny}
  - {id: no-key, action: file.read, path: "**/id_rsa", effect: deny}
  - {id: no-kube, action: file.read, path: "**/kubeconfig", effect: deny}
  - {id: no-cafe, action: file.read, path: "/proj/café/**", effect: deny}
  - {id: no-greek, action: file.read, path: "/proj/ΣΟΦΟΣ", effect: deny}
  - {id: proj, action: file.read, path: "/proj/**", effect: allow}
  - {id: home, action: file.read, path: "/home/**", effect: allow}
`;

describe("case-insensitive file systems: the attacks", async () => {
  const ci = await engineFromText(policy(true));
  const linux = await engineFromText(policy(false));
  it.each([
    ["upper case", "/proj/.ENV", "no-dotenv"],
    ["mixed case", "/proj/sub/.Env", "no-dotenv"],
    ["a folded directory", "/PROJ/.env", "no-dotenv"],
    ["NFD spelling of a precomposed pattern (é as e + U+0301)", "/proj/cafe\u0301/menu", "no-cafe"],
    ["upper case with an accent", "/proj/CAFÉ/menu", "no-cafe"],
    ["Kelvin sign K (U+212A) for k", "/home/u/\u212Aubeconfig", "no-kube"],
    ["sharp s ß for ss (full case folding)", "/home/u/.\u00dfh/id_ed25519", "no-ssh"],
    ["capital sharp s ẞ for ss", "/home/u/.\u1e9eH/config", "no-ssh"],
    ["long s ſ for s (NTFS upper-cases it to S)", "/home/u/.\u017f\u017fh/config", "no-ssh"],
    ["dotless ı for i (NTFS upper-cases it to I)", "/home/u/\u0131d_rsa", "no-key"],
    ["final sigma ς and σ are one letter", "/proj/σοφος", "no-greek"],
    ["final sigma spelled σ", "/proj/σοφοσ", "no-greek"],
  ])("%s: %s is denied by %s", (_attack, path, rule) => {
    const d = ci.check({ action: "file.read", path });
    expect(d).toMatchObject({ decision: "deny", rule });
  });

  it("Turkish İ stays apart from i, as it does on every one of these file systems", () => {
    expect(ci.check({ action: "file.read", path: "/home/u/\u0130d_rsa" }).rule).toBe("home");
  });

  it("plain paths are still allowed, and the Linux default stays case-sensitive", () => {
    expect(ci.check({ action: "file.read", path: "/proj/src/Main.ts" })).toMatchObject({ decision: "allow", rule: "proj" });
    expect(linux.check({ action: "file.read", path: "/proj/.ENV" })).toMatchObject({ decision: "allow", rule: "proj" });
    expect(linux.check({ action: "file.read", path: "/proj/.env" }).rule).toBe("no-dotenv");
  });

  it.each([
    ["a trailing dot (Win32 drops it)", "/proj/.env."],
    ["a trailing space", "/proj/.env "],
    ["an NTFS stream", "/proj/.env::$DATA"],
    ["an 8.3 short name", "/proj/ENV~1"],
    ["an 8.3 short name with an extension", "/proj/SECRET~2.TXT"],
  ])("Windows name quirk, %s: %s is uncertain", (_quirk, path) => {
    const d = ci.check({ action: "file.read", path });
    expect(d).toMatchObject({ decision: "deny", error: "uncertain" });
    expect(d.reason).toMatch(/^uncertain: in a case-insensitive policy/);
    expect(linux.check({ action: "file.read", path }).decision).toBe("allow");
  });

  it("operands fold too: `eq`, `startsWith`, `in`", async () => {
    const e = await engineFromText(`
paths: { caseInsensitive: true }
rules:
  - {id: eq, action: file.read, path: {eq: /Proj/.ENV}, effect: deny}
  - {id: sw, action: file.read, path: {startsWith: /PROJ/Secret}, effect: deny}
  - {id: in, action: file.read, path: {in: [/proj/A, /proj/B]}, effect: deny}
  - {action: file.read, path: "/**", effect: allow}
`);
    expect(e.check({ action: "file.read", path: "/proj/.env" }).rule).toBe("eq");
    expect(e.check({ action: "file.read", path: "/proj/secrets/x" }).rule).toBe("sw");
    expect(e.check({ action: "file.read", path: "/proj/b" }).rule).toBe("in");
  });

  it("classes fold by their members: `[A-Z]` matches folded letters, `[!e]` excludes `E`", async () => {
    const e = await engineFromText(`
paths: { caseInsensitive: true }
rules:
  - {id: upper, action: file.read, path: "/p/[A-Z]x", effect: deny}
  - {id: note, action: file.read, path: "/q/[!e]nv", effect: deny}
  - {action: file.read, path: "/**", effect: allow}
`);
    expect(e.check({ action: "file.read", path: "/p/ax" }).rule).toBe("upper");
    expect(e.check({ action: "file.read", path: "/q/Env" }).rule).not.toBe("note");
    expect(e.check({ action: "file.read", path: "/q/xnv" }).rule).toBe("note");
  });
});

describe("the `paths:` option", () => {
  it.each([
    ["paths: {caseInsensitive: yes}\nrules: []", /`paths.caseInsensitive` must be true or false/],
    ["paths: true\nrules: []", /`paths` must be a map/],
    ["paths: {caseinsensitive: true}\nrules: []", /unknown key `caseinsensitive`/],
    ['paths: {caseInsensitive: true}\nrules:\n  - {action: file.read, effect: deny, path: "/x/[ß]"}', /`ß` folds to several characters/],
  ])("%j is refused", (text, reason) => {
    expect(errorsOf(text)[0]?.message).toMatch(reason);
  });

  it("files must agree, and a file without the option is checked folded when another sets it", () => {
    const messages = (files: Array<[string, string]>) => {
      const r = parsePolicy(files.map(([name, text]) => ({ name, text })));
      return (r.ok ? [] : r.errors).map((e) => `${e.file}:${e.line}: ${e.message}`).join("\n");
    };
    const ci = "paths: {caseInsensitive: true}\nrules: []";
    expect(
      messages([
        ["a.yaml", ci],
        ["b.yaml", 'rules:\n  - {id: cls, action: file.read, effect: deny, path: "/x/[ß]"}'],
      ]),
    ).toMatch(/b\.yaml:2: rule `cls`: in a case-insensitive policy/);
    expect(
      messages([
        ["a.yaml", ci],
        ["c.yaml", "paths: {caseInsensitive: false}\nrules: []"],
      ]),
    ).toMatch(/c\.yaml:1: `paths.caseInsensitive: false` conflicts/);
  });

  it("the digest covers it", async () => {
    const digest = async (text: string) => {
      const r = parsePolicy([{ name: "p.yaml", text }]);
      if (!r.ok) throw new Error("invalid");
      return policyDigest(r.ir);
    };
    const rules = 'rules:\n  - {action: file.read, path: "**/.env", effect: deny}\n';
    expect(await digest("paths: {caseInsensitive: true}\n" + rules)).not.toBe(await digest(rules));
  });
});

describe("folding, as a function", () => {
  const unicode = fc.string({
    unit: fc.constantFrom(
      "a",
      "A",
      "e",
      "E",
      "é",
      "É",
      "e\u0301",
      "E\u0301",
      "ß",
      "ẞ",
      "ſ",
      "ı",
      "I",
      "İ",
      "i",
      "\u212A",
      "k",
      "Σ",
      "σ",
      "ς",
      "Å",
      "\u212B",
      "ǅ",
      "ǆ",
      "Ǆ",
      "ﬀ",
      "\u0301",
      "\u0327",
      "가",
      "\u1100",
      "\u1161",
      "/",
      ".",
      " ",
    ),
  });

  it("is idempotent and joins case and canonical variants", () => {
    fc.assert(
      fc.property(unicode, (s) => {
        const f = foldCase(s);
        expect(foldCase(f)).toBe(f);
        expect(foldCase(s.normalize("NFD"))).toBe(f);
        expect(foldCase(s.normalize("NFC"))).toBe(f);
        expect(foldCase(s.toUpperCase())).toBe(f);
        expect(foldCase(s.toLowerCase())).toBe(f);
      }),
      { numRuns: 5000 },
    );
  });

  it("a folded path template covers the fold of every value, whatever the hole puts next to its literal text", () => {
    fc.assert(
      fc.property(unicode, unicode, unicode, (a, b, c) => {
        const value = normalizePath("/d/" + a + b.replace(/\//g, "") + c);
        if (!value.ok) return;
        const t = template(["/d/" + a, { hole: "segment", source: "*" }, c]);
        expect(accepts(pathTemplateNfa(t, { caseInsensitive: true }), foldCase(value.path)), JSON.stringify({ a, b, c })).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
