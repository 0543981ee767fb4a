import { describe, expect, it } from "vitest";
import { analysis } from "./shell-helpers.js";
import { engineFromText } from "./helpers.js";

// One resource model: a file rule governs the file whichever tool touches it.
const POLICY = `
cwd: /repo
rules:
  - id: no-dotenv
    action: file.*
    path: "**/.env"
    effect: deny
    reason: "Secrets live in .env"
  - id: read-repo
    action: file.read
    path: "/repo/**"
    effect: allow
  - id: write-tmp
    action: [file.write, file.delete]
    path: "/tmp/**"
    effect: allow
  - id: tools
    action: shell.execute
    command: ["cat *", "grep *", "head *", "tail *", "less *", "cp *", "mv *", "tee *", "sed *", "rm *", "sort *", "awk *", "wc *"]
    effect: allow
`;

describe("commands that name files also need the file actions they imply", async () => {
  const e = await engineFromText(POLICY);
  it.each([
    ["cat .env", "deny", "no-dotenv"],
    ["cat ./config/../.env", "deny", "no-dotenv"],
    ["grep KEY .env", "deny", "no-dotenv"],
    ["grep -e KEY .env", "deny", "no-dotenv"],
    ["grep -r KEY src/.env", "deny", "no-dotenv"],
    ["head -n 5 .env", "deny", "no-dotenv"],
    ["tail -f /repo/app/.env", "deny", "no-dotenv"],
    ["awk '{print}' .env", "deny", "no-dotenv"],
    ["sort -o /tmp/x .env", "deny", "no-dotenv"],
    ["cp .env /tmp/leak", "deny", "no-dotenv"],
    ["mv /tmp/a .env", "deny", "no-dotenv"],
    ["tee .env", "deny", "no-dotenv"],
    ["sed -i s/a/b/ .env", "deny", "no-dotenv"],
    ["rm .env", "deny", "no-dotenv"],
    ["less < .env", "deny", "no-dotenv"],
    ["cat README.md", "allow", "tools"],
    ["grep TODO src/index.ts", "allow", "tools"],
    ["cp src/a.ts /tmp/a.ts", "allow", "tools"],
    ["sed -n 1,5p src/a.ts", "allow", "tools"],
    ["sed -i s/a/b/ src/a.ts", "deny", null],
    ["rm /tmp/x", "allow", "tools"],
    ["rm src/a.ts", "deny", null],
    ["cat /etc/passwd", "deny", null],
    // run-time values: every file `src/*.ts` can be is under /repo and none can be .env (must-match for the allow)
    ["wc -l src/*.ts", "allow", "tools"],
    // `$FILE` may be .env (may-match for the deny)
    ["cat $FILE", "deny", "no-dotenv"],
  ])("%j (cwd /repo) → %s", (command, want, rule) => {
    const d = e.check({ action: "shell.execute", command });
    expect(d.decision).toBe(want);
    expect(d.rule).toBe(rule);
  });

  it("the same deny stops the file tools themselves", () => {
    expect(e.check({ action: "file.read", path: ".env" }).rule).toBe("no-dotenv");
    expect(e.check({ action: "file.write", path: "/repo/.env" }).rule).toBe("no-dotenv");
  });

  it("says which implied file decided", () => {
    expect(e.check({ action: "shell.execute", command: "cat README.md .env" }).reason).toBe(
      "Secrets live in .env (file.read /repo/.env (implied by the command))",
    );
  });
});

/** The files a command line names, as `op path` (relative paths as written, `tree` for "and everything under it"). */
function files(cmd: string): string[] | string {
  const a = analysis(cmd);
  return typeof a === "string" ? a : a.files;
}

describe("file effects of common commands", () => {
  it.each([
    ["cp -r a b c/", ["read tree a", "read tree b", "write tree c/a", "write tree c/b"]],
    ["cp -t dest a b", ["read a", "read b", "write dest/a", "write dest/b"]],
    ["cp -tdest a", ["read a", "write dest/a"]],
    ["cp a b", ["read a", "write b", "write b/a"]],
    ["cp -T a b", ["read a", "write b"]],
    ["mv a b", ["read tree a", "delete tree a", "write tree b", "write tree b/a"]],
    // a symbolic link may point at a directory: everything under the target is reachable through it
    ["ln -s /etc/shadow x", ["read tree /etc/shadow", "write x", "write x/shadow"]],
    ["ln -s ../config.json x", ["read ../config.json", "write x", "write x/config.json"]],
    ["tee -a log1 log2", ["write log1", "write log2"]],
    ["grep -f pats.txt file", ["read pats.txt", "read file"]],
    ["grep -ie KEY file", ["read file"]],
    ["grep -e KEY -- -file", ["read -file"]],
    ["grep KEY file -r", ["read tree file"]],
    ["grep -r KEY", ["read tree ."]],
    ["head -5 x", ["read x"]],
    ["head -n5 x", ["read x"]],
    ["tail -fn 5 x", ["read x"]],
    ["sort -o /etc/cron.d/x in.txt", ["write /etc/cron.d/x", "read in.txt"]],
    ["sort --output=out.txt in.txt", ["write out.txt", "read in.txt"]],
    ["sort --outp=out.txt in.txt", ["write out.txt", "read in.txt"]],
    ["sort -ro out in", ["write out", "read in"]],
    ["sort in -o out", ["write out", "read in"]],
    ["wc --files0-from=list", ["read list", "read ⟨{a file named in list}⟩"]],
    ["uniq in out", ["read in", "write out"]],
    ["cat - x", ["read x"]],
    ["cat x > /dev/null", ["read x"]],
    ["cat x 2>err.log", ["write err.log", "read x"]],
    ["sed -i.bak s/a/b/ f", ["read f", "write f"]],
    ["sed -n -e 1p -e '2r other' f", ["read other", "read f"]],
    ["sed 's/x/y/w out' f", ["write out", "read f"]],
    ["awk -F: '{print $1 > \"out\"}' /etc/passwd", ["write out", "read /etc/passwd"]],
    ["awk '{print}' x=1 f", ["read f"]],
    ["rm -rf build", ["delete tree build"]],
    ["rm -- -f", ["delete -f"]],
    ["touch -r ref new", ["read ref", "write new"]],
    ["chmod -R 755 dir", ["write tree dir"]],
    ["chmod --reference=ref f", ["read ref", "write f"]],
    ["mkdir -p a/b", ["write a/b"]],
    ["ls", ["read ."]],
    ["ls -la src", ["read src"]],
    ["dd if=in of=out bs=1M", ["read in", "write out"]],
    ["tar -czf out.tgz src", ["write out.tgz", "read tree src"]],
    ["tar xf a.tar -C dest", ["read a.tar", "write tree ."]],
    ["find src -name '*.ts' -delete", ["read src", "delete tree src"]],
    ["find . -fprint out", ["read .", "write out"]],
    ["diff -u a b", ["read a", "read b"]],
    ["jq . a.json b.json", ["read a.json", "read b.json"]],
    ["jq --arg k v --slurpfile s extra.json . a.json", ["read extra.json", "read a.json"]],
    ["curl -o out -D hdr https://example.com", ["write out", "write hdr"]],
    ["wget https://example.com/f.tgz", ["write ./f.tgz"]],
    ["vim notes.md", ["read notes.md", "write notes.md"]],
  ])("%s", (cmd, want) => {
    const got = files(cmd);
    expect(typeof got === "string" ? got : got.map((f) => f.replace(/ @.*$/, ""))).toEqual(want);
  });

  it.each([
    ["an option the table does not know", "sort --no-such-option x", /unknown option/],
    ["an ambiguous abbreviation", "sort --s x", /ambiguous/],
    ["sed -f runs a script the engine cannot see", "sed -f prog.sed x", /sed -f/],
    ["sed's e command runs a command", "sed '1e rm -rf /' x", /runs a command/],
    ["s///e runs the pattern space", "sed 's/.*/rm -rf \\//e' x", /runs a command/],
    ["awk system()", "awk 'BEGIN{system(\"rm -rf /\")}'", /system/],
    ["awk pipes", "awk '{print | \"sh\"}' f", /pipe/],
    ["awk ARGV", "awk 'BEGIN{ARGV[1]=\".env\";ARGC=2}{print}'", /ARGV/],
    ["awk getline from a computed name", 'awk \'BEGIN{getline l < ("." "env")}\'', /computed/],
    ["sort's compress program", "sort --compress-program=sh x", /runs a program/],
    ["tar --checkpoint-action", "tar --checkpoint=1 --checkpoint-action=exec=sh -cf x.tar .", /runs a program/],
    ["tar --to-command (abbreviated)", "tar xf a.tar --to-c=sh", /runs a program/],
    ["tar -I", "tar -I 'sh -c x' -xf a.tar", /runs a program/],
    ["a remote tar archive", "tar cf me@host:/x .", /remote archive/],
    ["less +COMMAND", "less '+!rm -rf /' f", /less/],
    ["vim -c", "vim -c ':!rm -rf /' f", /editor commands/],
    ["vim +cmd", "vim '+:!id' f", /editor commands/],
    ["find -exec with a run-time word", "find . $EXPR", /run time/],
  ])("%s: %j is refused", (_what, cmd, reason) => {
    expect(files(cmd)).toMatch(reason);
  });
});
