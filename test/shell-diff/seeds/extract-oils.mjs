// Re-creates oils.json: shell inputs (data, not code) from the Oils project's
// spec tests (github.com/oils-for-unix/oils, spec/*.test.sh, Apache-2.0) whose
// expectations say bash, dash or zsh behave differently from the others.
// usage: node extract-oils.mjs <oils-checkout> > oils.json
import { execFileSync } from "node:child_process";

const repo = process.argv[2];
const FILES = [
  "alias",
  "arith",
  "brace-expansion",
  "builtin-eval-source",
  "builtin-trap",
  "case_",
  "command-parsing",
  "command-sub",
  "comments",
  "dbracket",
  "dparen",
  "here-doc",
  "loop",
  "parse-errors",
  "posix",
  "quote",
  "redirect",
  "redirect-command",
  "sh-func",
  "tilde",
  "var-op-test",
  "var-sub-quote",
  "word-split",
  "command_",
  "builtin-bracket",
  "var-sub",
  "assign",
];
const git = (...a) => execFileSync("git", ["-C", repo, ...a], { encoding: "utf8", maxBuffer: 64 << 20 });
const commit = git("rev-parse", "HEAD").trim();
const out = [];
for (const f of FILES) {
  let text;
  try {
    text = git("show", `HEAD:spec/${f}.test.sh`);
  } catch {
    continue;
  }
  const cases = text.split(/^#### /m).slice(1);
  for (const c of cases) {
    const nl = c.indexOf("\n");
    const name = c.slice(0, nl).trim();
    const rest = c.slice(nl + 1);
    const meta = rest.search(/^## /m);
    const body = (meta < 0 ? rest : rest.slice(0, meta)).replace(/^#.*\n/gm, "").trim();
    const notes = meta < 0 ? "" : rest.slice(meta);
    if (!/^## (OK|BUG|N-I)[- ].*\b(dash|bash|zsh)\b/m.test(notes)) continue;
    if (!body || body.length > 400) continue;
    out.push({ source: `oils ${commit.slice(0, 9)} spec/${f}.test.sh: ${name}`, line: body });
  }
}
console.log(JSON.stringify(out, null, 1));
