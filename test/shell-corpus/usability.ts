import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import sh from "mvdan-sh";
import { createEngine, loadPolicy } from "../../src/index.js";
import type { Subject } from "../../src/request/subject.js";
import { shellSubjects } from "../../src/request/shell-subjects.js";
import { NEVER_ALLOWED_ASSIGNMENTS } from "../../src/shell/command-checks.js";

/**
 * `npm run measure:tldr`: the false-deny rate of the shell gate on a public
 * corpus of real command lines, the example commands of the tldr pages
 * (test/shell-corpus/tldr-commands.json, every example of pages/common and
 * pages/linux).
 *
 * For each line, a policy that allows exactly the programs the line runs
 * (`P` and `P *` for each), any file, any environment variable and any
 * destination, and the assignments the line makes. The programs are those of
 * the reference parser (mvdan/sh: the head of every simple command, in bash
 * mode) plus, under a second figure, the ones wrappers run (`sudo apt` runs
 * `apt`; the reference parser does not know that, the engine's wrapper model
 * does). A line counts as allowed when the engine allows it.
 *
 * The soundness side: for every allowed line, every command head the
 * reference parser sees must be among the commands the engine checked
 * ("zero lines that run an unlisted command").
 *
 * While the engine does not decide run-time values (ENGINE_UNDERSTANDS_TEMPLATES
 * false), templated subjects are decided here by must-match for the only rule
 * shapes these policies have (`P`, `P *`, and allow-everything for files,
 * keys and hosts), which is exact for them; lines without templates go
 * through the engine itself.
 */
const syntax = (sh as { syntax: any }).syntax;
const parser = syntax.NewParser(syntax.Variant(syntax.LangBash));

interface Ref {
  ok: boolean;
  heads: string[];
  assigns: string[];
}

function reference(line: string): Ref {
  let f: unknown;
  try {
    f = parser.Parse(line, "line");
  } catch {
    return { ok: false, heads: [], assigns: [] };
  }
  const heads: string[] = [];
  const assigns: string[] = [];
  // a word's text after quote removal, when it is literal (unquoted backslashes escape the next character)
  const lit = (w: any): string | undefined => {
    if (!w?.Parts?.every((p: any) => ["Lit", "SglQuoted"].includes(syntax.NodeType(p)))) return undefined;
    return w.Parts.map((p: any) => (syntax.NodeType(p) === "Lit" ? String(p.Value).replace(/\\\n/g, "").replace(/\\(.)/g, "$1") : p.Value)).join("");
  };
  syntax.Walk(f, (n: any) => {
    if (!n) return true;
    const t = syntax.NodeType(n);
    if (t === "CallExpr") {
      for (const a of n.Assigns ?? []) if (a.Name) assigns.push(a.Name.Value);
      if (n.Args && n.Args.length > 0) heads.push(lit(n.Args[0]) ?? "\u0000dynamic");
    } else if (t === "DeclClause") heads.push(n.Variant.Value);
    else if (t === "TestClause") heads.push("[[");
    else if (t === "ArithmCmd") heads.push("((");
    else if (t === "LetClause") heads.push("let");
    return true;
  });
  return { ok: true, heads, assigns };
}

const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const escapeGlob = (s: string) => s.replace(/[*?[\]{}\\]/g, "\\$&");

function policyText(programs: Iterable<string>, assigns: Iterable<string>): string {
  const cmds = [...new Set(programs)].filter((p) => p !== "\u0000dynamic").flatMap((p) => [escapeGlob(p), `${escapeGlob(p)} *`]);
  const allowed = [...new Set(assigns)].filter((a) => !NEVER_ALLOWED_ASSIGNMENTS.test(a));
  return JSON.stringify({
    version: 1,
    defaultAction: "deny",
    ...(allowed.length ? { shell: { allowAssignments: allowed } } : {}),
    rules: [
      ...(cmds.length ? [{ action: "shell.execute", command: cmds, effect: "allow" }] : []),
      { action: "file.*", path: "/**", effect: "allow" },
      { action: "env.read", key: "*", effect: "allow" },
      { action: "network.request", host: "*", effect: "allow" },
    ],
  });
}

const CWD = "/home/user/project";

export async function main(): Promise<number> {
  const corpus = JSON.parse(readFileSync("test/shell-corpus/tldr-commands.json", "utf8")) as { commit: string; count: number; pages: Array<{ page: string; lines: string[] }> };
  const lines = corpus.pages.flatMap((p) => p.lines.map((line) => ({ page: p.page, line })));
  const tally = { total: lines.length, invalid: 0, strictAllowed: 0, allowed: 0, viaEngine: 0, viaTemplates: 0, unlisted: 0 };
  const denied = new Map<string, { count: number; example: string }>();
  const unlisted: string[] = [];
  const engines = new Map<string, ReturnType<typeof createEngine>>();
  const engineFor = async (text: string) => {
    let e = engines.get(text);
    if (!e) {
      const loaded = await loadPolicy([{ name: "tldr.json", text }]);
      if (!loaded.ok) throw new Error(`policy: ${loaded.errors.map((x) => x.message).join("; ")}`);
      e = createEngine(loaded.policy);
      if (engines.size < 2000) engines.set(text, e);
    }
    return e;
  };
  const like = (): Subject => ({ action: "shell.execute" });

  for (const { line } of lines) {
    const ref = reference(line);
    if (!ref.ok) {
      tally.invalid++;
      continue;
    }
    const heads = ref.heads.map(base);
    const all = shellSubjects(line, CWD, like, {});
    const engineHeads = all.ok ? all.subjects.filter((s) => s.action === "shell.execute").map((s) => base((s.command ?? "").split(" ")[0] ?? "")) : [];
    // the programs wrappers run, per the engine's wrapper model
    const programs = [...new Set([...heads, ...engineHeads.filter((h) => h !== "")])];

    const decide = async (progs: string[]): Promise<{ allowed: boolean; reason: string; engine: boolean }> => {
      if (!all.ok) return { allowed: false, reason: all.reason, engine: true };
      const d = (await engineFor(policyText(progs, ref.assigns))).check({ action: "shell.execute", command: line, cwd: CWD });
      return { allowed: d.decision === "allow", reason: d.reason, engine: true };
    };

    const strict = await decide(heads);
    if (strict.allowed) tally.strictAllowed++;
    const full = await decide(programs);
    if (full.allowed) {
      tally.allowed++;
      if (full.engine) tally.viaEngine++;
      else tally.viaTemplates++;
      // soundness: every command the reference parser sees is one the engine checked
      const missing = heads.filter((h) => h !== "\u0000dynamic" && !engineHeads.includes(h));
      if (missing.length) {
        tally.unlisted++;
        if (unlisted.length < 50) unlisted.push(`${line}  (engine did not check: ${missing.join(", ")})`);
      }
    } else {
      const key = full.reason.replace(/`[^`]*`/g, "`…`").slice(0, 90);
      const d = denied.get(key) ?? { count: 0, example: line };
      d.count++;
      denied.set(key, d);
    }
  }
  const valid = tally.total - tally.invalid;
  const pct = (n: number) => ((100 * n) / valid).toFixed(2);
  const report = {
    corpus: `tldr ${corpus.commit.slice(0, 12)} pages/common + pages/linux`,
    lines: tally.total,
    rejectedByReferenceParser: tally.invalid,
    measured: valid,
    allowedStrict: tally.strictAllowed,
    allowedStrictPercent: Number(pct(tally.strictAllowed)),
    allowed: tally.allowed,
    allowedPercent: Number(pct(tally.allowed)),
    decidedByEngine: tally.viaEngine,
    decidedByTemplateMustMatch: tally.viaTemplates,
    allowedLinesWithAnUnlistedCommand: tally.unlisted,
    topDenials: [...denied.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, 25).map(([reason, d]) => ({ count: d.count, reason, example: d.example })),
    unlistedExamples: unlisted,
  };
  mkdirSync("build", { recursive: true });
  writeFileSync("build/tldr-usability.json", JSON.stringify(report, null, 2));
  console.log(`${report.corpus}: ${tally.total} lines, ${tally.invalid} rejected by mvdan/sh, ${valid} measured`);
  console.log(`allowed with the reference parser's commands only: ${tally.strictAllowed} (${pct(tally.strictAllowed)}%)`);
  console.log(`allowed with the commands wrappers run as well:    ${tally.allowed} (${pct(tally.allowed)}%) [engine ${tally.viaEngine}, template must-match ${tally.viaTemplates}]`);
  console.log(`allowed lines with a command the engine did not check: ${tally.unlisted}`);
  for (const d of report.topDenials.slice(0, 15)) console.log(`  ${String(d.count).padStart(5)}  ${d.reason}   e.g. ${JSON.stringify(d.example)}`);
  return tally.unlisted === 0 ? 0 : 1;
}
