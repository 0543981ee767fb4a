import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HARNESS_DIR, repoRoot } from "./paths.js";

/**
 * The seed corpus: the bypasses the brief names, one line per class of
 * attack we know of, every command string of the shell-gate tests
 * (found by file name anywhere under test/, so it follows the tests when
 * they move), and shell inputs from the Oils spec tests where bash, dash or
 * zsh disagree (seeds/oils.json, see seeds/extract-oils.mjs).
 */
export interface Seed {
  line: string;
  source: string;
}

export const BRIEF_EXAMPLES: Seed[] = [
  { source: "brief: here-document opened inside $( on the git line", line: "git status --short <<EOF $(\nrm -rf /\nEOF\n)" },
  { source: "brief: backticks in double quotes with escaped quotes", line: 'git log "`git log \\"\'\\" ; rm -rf / ; git log \\"\'\\"`"' },
  { source: "brief: for-loop without in", line: "git status; for x do rm -rf /; done" },
];

export const CLASS_SEEDS: Seed[] = [
  ["for x do with positional parameters", "set -- a; git status; for x do rm -rf /; done"],
  ["dash: single quotes in ${x:-} inside double quotes", `git log "\${x:-'$(rm -rf /)'}"`],
  ["ANSI-C quote with escaped quote", "git log $'\\''; rm -rf /; echo $'\\''"],
  ["ANSI-C quoting is not POSIX", "echo $'\\x41'"],
  ["bash -c --", "bash -c -- 'rm -rf /'"],
  ["sh -c with $0", "sh -c 'rm -rf /' sh"],
  ["env -S splits a string into a command", "env -S 'rm -rf /'"],
  ["flock runs its -c command through sh", "flock f -c 'rm -rf /'"],
  ["su -c runs a command through sh", "su -c 'rm -rf /'"],
  ["trap action runs at exit", "trap 'rm -rf /' EXIT"],
  ["alias defined then used", "alias git='rm -rf /'\ngit status"],
  ["script from /dev/stdin", ". /dev/stdin <<<'rm -rf /'"],
  ["source from here-document", "source /dev/stdin <<EOF\nrm -rf /\nEOF"],
  ["xargs default command", "echo | xargs"],
  ["xargs -I", "echo a | xargs -I{} rm -rf /"],
  ["watch runs through sh -c", "watch 'rm -rf /'"],
  ["sudo -s", "sudo -s rm -rf /"],
  ["sudo attached user", "sudo -uroot rm -rf /"],
  ["timeout -k", "timeout -k 1 2 rm -rf /"],
  ["nice -N", "nice -5 rm -rf /"],
  ["command substitution in here-document after pipe", "cat <<EOF | git log\n$(rm -rf /)\nEOF"],
  ["here-document delimiter with quote in the middle", "cat <<E'O'F\n$(rm -rf /)\nEOF"],
  ["here-document inside backticks", "echo `cat <<EOF\n$(rm -rf /)\nEOF\n`"],
  ["line continuation inside a comment", "git status # \\\nrm -rf /"],
  ["comment after word", "git log a#b; rm -rf /"],
  ["locale quoting", 'echo $"rm -rf /"'],
  ["process substitution", "git log <(rm -rf /)"],
  ["|& pipe", "git log |& rm -rf /"],
  ["fd named redirection", "git log {fd}>f"],
  ["/dev/tcp", "echo x >/dev/tcp/127.0.0.1/9"],
  ["tilde expansion", "git log ~"],
  ["noclobber override", "echo x >|f"],
  ["read-write redirection", "git log <>f"],
  ["&> redirection", "git log &>f"],
  ["function then call", "f() { rm -rf /; }; f"],
  ["case", "case a in a) rm -rf /;; esac"],
  ["[[ ]] with substitution", "[[ -n $(rm -rf /) ]]"],
  ["(( )) with substitution", "(( $(rm -rf /) ))"],
  ["brace expansion", "echo {a,b}"],
  ["exec", "exec rm -rf /"],
  ["eval joins words", "eval rm -rf /"],
  ["builtin eval", "builtin eval 'rm -rf /'"],
  ["command eval", "command eval 'rm -rf /'"],
  ["coproc", "coproc rm -rf /"],
  ["time keyword", "time rm -rf /"],
  ["double-quoted backtick", 'echo "`rm -rf /`"'],
  ["escaped dollar", "echo \\$(rm -rf /)"],
  ["nested quotes in substitution", 'echo "$(echo "$(rm -rf /)")"'],
].map(([source, line]) => ({ source: `class: ${source}`, line: line! }));

function findTestFile(name: string, dir = join(repoRoot(), "test")): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = findTestFile(name, p);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return undefined;
}

const NOT_COMMANDS = new Set(["allow", "deny", "require_approval"]);

/** Every double-quoted string in the test tables of the shell-gate tests. */
export function testFileSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const name of ["bypass-shell.test.ts", "file-effects.test.ts"]) {
    const file = findTestFile(name);
    if (!file) throw new Error(`shell-diff seeds: ${name} not found under test/`);
    const text = readFileSync(file, "utf8");
    for (const row of text.split("\n").filter((l) => /^\s+(\[|")/.test(l))) {
      for (const m of row.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        let s: string;
        try {
          s = JSON.parse(`"${m[1]}"`) as string;
        } catch {
          continue;
        }
        if (!s.trim() || NOT_COMMANDS.has(s) || /^[a-z]+(-[a-z]+)*$/.test(s)) continue;
        out.push({ source: `test: ${name}`, line: s });
      }
    }
  }
  return out;
}

export function oilsSeeds(): Seed[] {
  return (JSON.parse(readFileSync(join(HARNESS_DIR(), "seeds", "oils.json"), "utf8")) as Array<{ source: string; line: string }>).map((x) => ({
    source: x.source,
    line: x.line,
  }));
}

export function allSeeds(): Seed[] {
  const seen = new Set<string>();
  return [...BRIEF_EXAMPLES, ...CLASS_SEEDS, ...testFileSeeds(), ...oilsSeeds()].filter((s) => !seen.has(s.line) && (seen.add(s.line), true));
}
