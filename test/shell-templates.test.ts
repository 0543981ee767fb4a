import { describe, expect, it } from "vitest";
import type { Template } from "../src/match/template.js";
import { resolvePathTemplate } from "../src/request/path-template.js";
import { engineFromText } from "./helpers.js";
import { analysis, subjects } from "./shell-helpers.js";

/**
 * Run-time values (issue 10 item 4, the shell side): every word only known
 * at run time becomes a template, `⟨…⟩` below, so that deny rules may-match
 * and allow rules must-match it. Holes of any text for expansions, holes
 * inside one path segment for globs.
 */
describe("words only known at run time are templates", () => {
  it.each([
    ["a variable", "terraform $X", ["terraform⟨$X⟩"]],
    ["a default value", "terraform ${X:-destroy}", ["terraform⟨${X:-destroy}⟩"]],
    ["an empty substitution inside a word", "terraform des$()troy", ["terraform des⟨$()⟩troy"]],
    ["backticks", "echo `date`", ["date", "echo⟨`date`⟩"]],
    ["arithmetic", "seq $((N*2))", ["seq⟨$((N*2))⟩"]],
    ["a quoted variable is one word that cannot vanish", 'cat "$F"', ["cat ⟨$F⟩"]],
    ["a glob", "ls *.md", ["ls ⟨*⟩.md"]],
    ["a tilde", "ls ~/src", ["ls ⟨~⟩/src"]],
    ["$'...' (dash reads `$` and a string)", "cut -d$'\\t' -f1 f", ["cut -d⟨$'\\t'⟩ -f1 f"]],
    ["a zsh modifier is swallowed into the hole", "echo $HOME:h", ["echo⟨$HOME:h⟩"]],
    ["a command name only known at run time", "$EDITOR notes.md", ["⟨$EDITOR⟩notes.md"]],
  ])("%s: %j", (_what, cmd, execs) => {
    const a = analysis(cmd);
    expect(typeof a === "string" ? a : a.execs).toEqual(execs);
  });

  it("brace expansion is deterministic: expanded (bash, zsh) and kept as written (dash)", () => {
    expect(analysis("mkdir -p src/{a,b}/{x,y}")).toMatchObject({ execs: ["mkdir -p src/a/x src/a/y src/b/x src/b/y", "mkdir -p src/{a,b}/{x,y}"] });
    expect(analysis("cp f{,.bak}")).toMatchObject({ execs: ["cp f f.bak", "cp f{,.bak}"] });
    expect(analysis("echo {1..3}")).toMatchObject({ execs: ["echo 1 2 3", "echo {1..3}"] });
    // `{rm,-rf,/}` is `rm -rf /` to bash
    expect(analysis("echo a; x {rm,-rf,/}")).toMatchObject({ execs: ["echo a", "x rm -rf /", "x {rm,-rf,/}"] });
  });

  it.each([
    ["a growing product", "echo " + "{a,b}".repeat(12), /more than 1024 words/],
    ["letters through punctuation", "echo {a..Z}", /punctuation/],
    ["mixed ends", "echo {1..a}", /differently/],
    ["zero padding", "echo {01..10}", /zero-padded/],
  ])("brace expansion refused: %s", (_what, cmd, reason) => {
    expect(analysis(cmd)).toMatch(reason);
  });

  it("parameter expansions are environment reads, except variables the line sets itself", () => {
    expect(analysis("echo $AWS_SECRET_ACCESS_KEY ${HOME} $1 $? $$")).toMatchObject({ env: ["AWS_SECRET_ACCESS_KEY", "HOME"] });
    expect(analysis("X=1; echo $X; for f in a b; do echo $f; done")).toMatchObject({ env: [] });
    expect(analysis("(X=1); echo $X")).toMatchObject({ env: ["X"] });
    expect(analysis("echo ${A:-$B}")).toMatchObject({ env: ["A", "B"] });
  });

  it("env, printenv, set and export -p read every variable", () => {
    for (const cmd of ["env", "printenv", "set", "export -p", "declare -p", "env -u HOME"]) expect(analysis(cmd), cmd).toMatchObject({ env: ["*"] });
    expect(analysis("printenv HOME PATH")).toMatchObject({ env: ["HOME", "PATH"] });
  });

  it("arithmetic on a variable the line set to arbitrary text is refused (bash evaluates it, a[$(cmd)] runs cmd)", () => {
    expect(analysis("X='a[$(rm -rf /)]'; echo $((X))")).toMatch(/evaluates/);
    expect(analysis("for i in 1 2 3; do echo $((i+1)); done")).toMatchObject({ execs: ["echo⟨$((i+1))⟩"] });
  });
});

const hole = (source: string) => ({ hole: "any" as const, source });
const seg = (source: string) => ({ hole: "segment" as const, source });

describe("paths with run-time parts are resolved soundly", () => {
  it.each<[string, Template, string | undefined, Template | string]>([
    ["a hole of any text loses what is before it (`/app/$X` may be `/etc/passwd`)", ["/app/", hole("$X")], "/", [hole("/app/$X")]],
    ["what follows the hole stays (`$D/.env` ends in /.env)", [hole("$D"), "/.env"], "/app", [hole("$D"), "/.env"]],
    ["`..` after the hole eats into it", [hole("$D"), "/a/../b"], "/app", [hole("$D"), "/b"]],
    ["`..` right after the hole is absorbed", [hole("$D"), "/../x"], "/app", [hole("$D"), "/x"]],
    ["dots after the hole in its own segment could make `..`", [hole("$D"), "./x"], "/app", [hole("$D"), "/x"]],
    ["a glob keeps its directory (`src/*.ts`)", ["src/", seg("*"), ".ts"], "/app", ["/app/src/", seg("*"), ".ts"]],
    ["a glob segment may contain `..` after it", ["src/", seg("*"), "/../x"], "/app", "/app/src/x"],
    ["a glob starting with a dot may be `..` (`.*`)", [".", seg("*"), "/x"], "/app", [hole("/app/.*"), "/x"]],
    ["an unknown directory (after `cd $X`)", ["a.txt"], undefined, [hole("$PWD"), "/a.txt"]],
    ["a glob that crosses directories keeps what is before it (globs never make `..`)", ["src/", hole("**")], "/app", ["/app/src/", hole("**")]],
    ["… unless `..` follows it (how many segments it removes is unknown)", ["a/", hole("**"), "/../b"], "/app", [hole("/app/a/**"), "/b"]],
    ["an exact path is a plain path", ["../etc/./passwd"], "/app", "/etc/passwd"],
  ])("%s", (_what, path, base, want) => {
    const r = resolvePathTemplate(path, base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // hole sources say what was unknown (for reasons); compare the shape
    const shape = (t: Template | string) => (typeof t === "string" ? t : t.map((p) => (typeof p === "string" ? p : p.hole)));
    expect(shape("path" in r ? r.path : r.template)).toEqual(shape(want));
  });

  it("cd into a literal directory moves later relative paths; cd into an unknown one makes them unknown", () => {
    expect(analysis("cd src && cat a.ts")).toMatchObject({ files: ["read a.ts @src"] });
    expect(analysis("cd src; cat a.ts")).toMatchObject({ files: ["read a.ts @src|cwd"] });
    expect(analysis("cd src || cat a.ts")).toMatchObject({ files: ["read a.ts"] });
    expect(analysis("(cd src); cat a.ts")).toMatchObject({ files: ["read a.ts"] });
    expect(analysis("cd a && cd ../b && cat x")).toMatchObject({ files: ["read x @a/../b"] });
    expect(analysis("cd $X && cat a.ts")).toMatchObject({ files: ["read a.ts @unknown"] });
    expect(analysis("cd - && cat a.ts")).toMatchObject({ files: ["read a.ts @unknown"] });
    expect(analysis("for d in a b; do cd $d; cat x; done")).toMatchObject({ files: ["read x @unknown"] });
    expect(analysis("command cd /etc; cat passwd")).toMatchObject({ files: ["read passwd @/etc|cwd"] });
    expect(analysis("eval cd /etc; cat passwd")).toMatchObject({ files: ["read passwd @/etc|cwd"] });
    expect(analysis("trap 'cd /etc' DEBUG; cat passwd")).toMatchObject({ files: ["read passwd @unknown"] });
    expect(analysis("source ./env.sh; cat passwd")).toMatchObject({ files: ["read ./env.sh", "read passwd @unknown"] });
    expect(analysis("ls | cd /etc")).toMatch(/pipeline/);
  });

  it("subjects resolve cd against the request's cwd", () => {
    expect(subjects("cd src && cat a.ts", {}, "/app")).toEqual(["x cd src", "x cat a.ts", "read /app/src/a.ts"]);
  });
});

describe("until the engine decides run-time values, templated parts are uncertain, exact parts still decided", async () => {
  const e = await engineFromText(`
rules:
  - { id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny }
  - { id: terraform, action: shell.execute, command: "terraform *", effect: allow }
  - { id: app, action: file.read, path: "/app/**", effect: allow }
`);
  it("a rule that denies an exact part decides, whatever the run-time part", () => {
    expect(e.check({ action: "shell.execute", command: "terraform destroy; terraform $X", cwd: "/app" }).rule).toBe("no-destroy");
  });
});

/** Decisions on run-time values: may-match for deny, must-match for allow. */
describe("may-match for deny, must-match for allow", async () => {
  const e = await engineFromText(`
cwd: /app
rules:
  - { id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny }
  - { id: terraform, action: shell.execute, command: ["terraform *", "cat *", "ls *", "git *"], effect: allow }
  - { id: no-dotenv, action: file.*, path: "**/.env", effect: deny }
  - { id: app, action: file.read, path: "/app/**", effect: allow }
  # \`$X\` and \`$F\` are environment reads too
  - { id: env, action: env.read, key: ["X", "F"], effect: allow }
`);
  it.each([
    ["terraform ${X:-destroy}", "deny"],
    ["terraform des$()troy", "deny"],
    // `$X` may be `.env`, and terraform is a program the engine does not model: a word of it that may
    // name a file a deny rule covers is a possible read of that file (without the deny: allowed, below)
    ["terraform plan $X", "deny"],
    ["cat src/*.ts", "allow"],
    ["cat *", "deny"],
    ["cat $F", "deny"],
    ["jq . $F", "deny"],
  ])("%j → %s", (command, want) => {
    expect(e.check({ action: "shell.execute", command }).decision).toBe(want);
  });
});

describe("a run-time word of an unmodelled program only matters where a file deny could meet it", () => {
  it("`terraform plan $X` is allowed by `terraform *` when no file rule denies anything", async () => {
    const e = await engineFromText(`
rules:
  - { id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny }
  - { id: terraform, action: shell.execute, command: "terraform *", effect: allow }
  - { id: env, action: env.read, key: X, effect: allow }
`);
    expect(e.check({ action: "shell.execute", command: "terraform plan $X", cwd: "/app" })).toMatchObject({ decision: "allow", rule: "terraform" });
    expect(e.check({ action: "shell.execute", command: "terraform $X", cwd: "/app" })).toMatchObject({ decision: "deny", rule: "no-destroy" });
  });
});
