// Extracts the example command lines of the tldr pages (pages/common and
// pages/linux) into test/shell-corpus/tldr-commands.json, as data: every
// example line of every page, in page order, not picked by hand. `{{...}}`
// placeholders become plain values: the text inside, the first of
// `[a|b]` alternatives, without `...`.
//
//   node test/shell-corpus/extract-tldr.mjs /path/to/tldr-checkout
//
// The tldr pages are © the tldr-pages team and contributors, CC BY 4.0
// (https://github.com/tldr-pages/tldr); the fixture records the commit.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const repo = process.argv[2];
if (!repo) {
  console.error("usage: node test/shell-corpus/extract-tldr.mjs /path/to/tldr (a checkout or a bare git directory)");
  process.exit(2);
}
const git = (...args) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
const commit = git("rev-parse", "HEAD").trim();

/** `{{...}}` → a plain value. */
export function fill(line) {
  return line.replace(/\{\{(.*?)\}\}/g, (_, inner) => {
    let v = inner.replace(/\s*\.\.\.$/, "").replace(/^\.\.\.$/, "");
    // `a|b|c` (outside brackets): the first
    if (!v.includes("[") && v.includes("|")) v = v.split("|")[0];
    // `[-o|--output]`, `file[.gz|.xz]`: the first alternative
    v = v.replace(/\[([^\]|]*)\|[^\]]*\]/g, "$1");
    return v;
  });
}

const pages = [];
for (const dir of ["pages/common", "pages/linux"]) {
  for (const file of git("ls-tree", "-r", "--name-only", "HEAD", dir).split("\n").filter((f) => f.endsWith(".md")).sort()) {
    const text = git("show", `HEAD:${file}`);
    const lines = [];
    for (const m of text.matchAll(/^`(.*)`\s*$/gm)) lines.push(fill(m[1]));
    pages.push({ page: file.replace(/^pages\//, "").replace(/\.md$/, ""), lines });
  }
}
const count = pages.reduce((n, p) => n + p.lines.length, 0);
const out = {
  source: "https://github.com/tldr-pages/tldr",
  commit,
  license: "CC BY 4.0, the tldr-pages team and contributors",
  extracted: "every example line of pages/common and pages/linux, {{placeholders}} filled with their text (first [a|b] alternative, no ...)",
  count,
  pages,
};
writeFileSync(join(new URL(".", import.meta.url).pathname, "tldr-commands.json"), JSON.stringify(out) + "\n");
console.log(`${pages.length} pages, ${count} example lines from tldr ${commit.slice(0, 12)}`);
