import fc from "fast-check";

/**
 * Adversarial shell lines. Every generated line hides a "payload" command
 * (`rm -rf /` or `pwn`) somewhere a parser might not look, among benign
 * `git`/`echo` commands, so a divergence shows as a payload the shell ran
 * and the engine never listed. `full` is the whole grammar; `agreeing` the
 * subset on which today's parser and the shells agree (see SUBSET below).
 */
const PAYLOADS = ["rm -rf /", "pwn", "rm -rf / #"];
const BENIGN = ["git status", "git log", "echo ok", "ls", "git status --short", ":", "true"];
const WORDS = ["a", "x", "-rf", "/", "--", "-c", "f", "status", "'a b'", '"a b"', "$x", "~", "*", "{a,b}", "-", "--short", "\\;"];

export type Grammar = "full" | "agreeing";

/** Constructs the current parser gets wrong; `agreeing` leaves them out until the rewrite lands. */
export const SUBSET_EXCLUDES = [
  "here-documents inside `$(...)`, backticks and after a word on the same line",
  "backticks inside double quotes with escaped quotes",
  "for-loops without `in`, `${x:-...}` operands with quotes inside double quotes",
  "ANSI-C and locale quoting, `bash -c --`, `env -S`, `flock -c`, `su -c`, `trap`, `alias`, `source`/`.`, `xargs`, `watch`",
  "line continuations and comments next to quotes, process substitution, `|&`, fd-named redirections",
];

const payload = fc.constantFrom(...PAYLOADS);
const benign = fc.constantFrom(...BENIGN);
const word = fc.constantFrom(...WORDS);

/** Single quotes for a text, as an attacker would write them. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const dq = (s: string) => `"${s.replace(/(["\\$`])/g, "\\$1")}"`;

function quoteVariants(s: string, g: Grammar): fc.Arbitrary<string> {
  const base = [
    s,
    sq(s),
    dq(s),
    s
      .split("")
      .map((c) => (/[a-z]/.test(c) ? c : "\\" + c))
      .join(""),
  ];
  const full = [`$'${s.replace(/'/g, "\\'")}'`, `$"${s}"`, `${s.slice(0, 1)}'${s.slice(1)}'`, `"${s.slice(0, 2)}"'${s.slice(2)}'`];
  return fc.constantFrom(...(g === "full" ? [...base, ...full] : base));
}

// `~` is expanded by the shells and kept by the engine: a known class, so not in the subset
const agreeingWord = fc.constantFrom(...WORDS.filter((w) => w !== "~" && w !== "{a,b}"));

/** A command line `depth` levels deep that runs a payload somewhere. */
export function lineArb(g: Grammar, depth = 2): fc.Arbitrary<string> {
  const flat = fc.oneof(payload, benign, simple(g, agreeingWord));
  const tie = fc.letrec<{ list: string; cmd: string; word: string }>((t) => ({
    list: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      t("cmd"),
      fc
        .tuple(
          t("cmd"),
          fc.constantFrom(...(g === "full" ? [" ; ", " && ", " | ", "\n", " & ", " || ", " |& ", ";"] : [" ; ", " && ", " | ", "\n", " & ", " || "])),
          t("cmd"),
        )
        .map(([a, op, b]) => a + op + b),
    ),
    cmd: fc.oneof(
      { depthSize: "small", maxDepth: depth },
      simple(g, t("word")),
      wrapper(g, t("list")),
      compound(g, t("list")),
      // in the agreeing subset, here-documents and substitutions hold flat commands only
      // (a here-document inside `$(...)` is a class the current parser gets wrong)
      heredoc(g, g === "full" ? t("list") : flat),
      payload,
      benign,
    ),
    word: fc.oneof(
      { depthSize: "small", maxDepth: depth },
      g === "full" ? word : agreeingWord,
      substitution(g, g === "full" ? t("list") : flat),
      payload.chain((p) => quoteVariants(p, g)),
    ),
  }));
  return tie.list.map((l) => l.replace(/\s+$/, ""));
}

function simple(g: Grammar, w: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const head = fc.constantFrom("git log", "echo", "git status", "ls", "cat", "rm", "X=1 git log", "command git", "exec git", "/usr/bin/git log");
  const redirs =
    g === "full"
      ? [">f", ">>f", "<f", "<>f", ">&2", "&>f", "2>f", ">|f", "9>f", "2>&1", "<&0", ">/dev/null", "{fd}>f", ">/dev/tcp/127.0.0.1/9", "<<<x", ">'a b'"]
      : [">f", ">>f", "<f", "2>&1", ">/dev/null", "2>/dev/null", "<<<x"];
  const redir = fc.constantFrom(...redirs);
  return fc.tuple(head, fc.array(fc.oneof(w, redir), { maxLength: 3 })).map(([h, rest]) => [h, ...rest].join(" "));
}

function substitution(g: Grammar, l: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const forms: Array<(s: string) => string> = [
    (s) => `$(${s})`,
    (s) => `"$(${s})"`,
    (s) => `\`${s}\``,
    (s) => `\${x:-$(${s})}`,
    (s) => `$((1 + $(${s})))`,
    (s) => `a$(${s})b`,
  ];
  const fullForms: Array<(s: string) => string> = [
    (s) => `"\`${s.replace(/"/g, '\\"')}\`"`,
    (s) => `"\`git log \\"'\\" ; ${s} ; git log \\"'\\"\`"`,
    (s) => `\${x:-'$(${s})'}`,
    (s) => `"\${x:-'$(${s})'}"`,
    (s) => `"\${x:-"$(${s})"}"`,
    (s) => `\${x#$(${s})}`,
    (s) => `<(${s})`,
    (s) => `>(${s})`,
    (s) => `$'\\''$(${s})$'\\''`,
    (s) => `"$'"$(${s})"'"`,
    (s) => `\${x:-\`${s}\`}`,
    (s) => `$(${s} #)\n)`,
    (s) => `$(case a in a) ${s};; esac)`,
    (s) => `\\$(${s})`,
    (s) => `'$(${s})'`,
  ];
  return fc.tuple(fc.constantFrom(...(g === "full" ? [...forms, ...fullForms] : forms)), l).map(([f, s]) => f(s));
}

function wrapper(g: Grammar, l: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const forms: Array<(s: string) => string> = [
    (s) => `sudo ${s}`,
    (s) => `sudo -u root ${s}`,
    (s) => `env X=1 ${s}`,
    (s) => `timeout 1 ${s}`,
    (s) => `nice -n 1 ${s}`,
    (s) => `bash -c ${sq(s)}`,
    (s) => `sh -c ${sq(s)}`,
    (s) => `eval ${sq(s)}`,
    (s) => `nohup ${s}`,
    (s) => `command ${s}`,
    (s) => `find . -exec ${s} \\;`,
    (s) => `{ ${s}; }`,
    (s) => `(${s})`,
    (s) => `if true; then ${s}; fi`,
  ];
  const fullForms: Array<(s: string) => string> = [
    (s) => `bash -c -- ${sq(s)}`,
    (s) => `sh -c ${sq(s)} sh`,
    (s) => `bash -lc ${sq(s)}`,
    (s) => `bash -xc ${sq(s)}`,
    (s) => `bash -o posix -c ${sq(s)}`,
    (s) => `bash --norc -c ${sq(s)}`,
    (s) => `sh -ec ${sq(s)}`,
    (s) => `env -S ${sq(s)}`,
    (s) => `env -i ${s}`,
    (s) => `env -u X ${s}`,
    (s) => `env -- ${s}`,
    (s) => `env -C / ${s}`,
    (s) => `flock f -c ${sq(s)}`,
    (s) => `flock -c ${sq(s)} f`,
    (s) => `su -c ${sq(s)}`,
    (s) => `su - root -c ${sq(s)}`,
    (s) => `sudo -s ${s}`,
    (s) => `sudo --user=root ${s}`,
    (s) => `sudo -uroot ${s}`,
    (s) => `timeout -k 1 2 ${s}`,
    (s) => `nice -5 ${s}`,
    (s) => `trap ${sq(s)} EXIT`,
    (s) => `trap -- ${sq(s)} EXIT`,
    (s) => `eval "${s.replace(/"/g, '\\"')}"`,
    (s) => `. /dev/stdin <<<${sq(s)}`,
    (s) => `source /dev/stdin <<< ${sq(s)}`,
    (s) => `bash <<<${sq(s)}`,
    (s) => `echo ${sq(s)} | bash`,
    (s) => `xargs ${s}`,
    (s) => `echo | xargs -I{} ${s}`,
    (s) => `watch ${s}`,
    (s) => `stdbuf -o0 ${s}`,
    (s) => `setsid ${s}`,
    (s) => `builtin eval ${sq(s)}`,
    (s) => `command eval ${sq(s)}`,
    (s) => `exec ${s}`,
    (s) => `alias git=${sq(s)}\ngit`,
    (s) => `shopt -s expand_aliases; alias git=${sq(s)}\ngit`,
    (s) => `x=${sq(s)}; eval "$x"`,
    (s) => `bash -c "$(echo ${sq(s)})"`,
    (s) => `f() { ${s}; }; f`,
    (s) => `function f { ${s}; }; f`,
    (s) => `set -- a; for x do ${s}; done`,
    (s) => `for x in a; do ${s}; done`,
    (s) => `while ${s}; do break; done`,
    (s) => `until ${s}; do :; done; :`,
    (s) => `case a in a) ${s};; esac`,
    (s) => `case a in (a) ${s};; esac`,
    (s) => `[[ -n $(${s}) ]]`,
    (s) => `(( $(${s}) ))`,
    (s) => `! ${s}`,
    (s) => `time ${s}`,
    (s) => `coproc ${s}`,
    (s) => `${s} # x`,
    (s) => `echo a#b ${s.replace(/ /g, "\\\n")}`,
    (s) => `echo x\\\n; ${s}`,
    (s) => `echo '\n' ; ${s}`,
    (s) => `git status # ' \n${s}`,
  ];
  return fc.tuple(fc.constantFrom(...(g === "full" ? [...forms, ...fullForms] : forms)), l).map(([f, s]) => f(s));
}

function compound(g: Grammar, l: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const forms: Array<(a: string, b: string) => string> = [
    (a, b) => `if ${a}; then ${b}; fi`,
    (a, b) => `{ ${a}; ${b}; }`,
    (a, b) => `(${a}) && ${b}`,
    (a, b) => `for x in a b; do ${a}; ${b}; done`,
    (a, b) => `while false; do ${a}; done; ${b}`,
  ];
  const fullForms: Array<(a: string, b: string) => string> = [
    (a, b) => `if ${a}; then :; else ${b}; fi`,
    (a, b) => `case x in x|y) ${a};; *) ${b};; esac`,
    (a, b) => `${a} |& ${b}`,
    (a, b) => `${a} &>/dev/null; ${b}`,
    (a, b) => `[[ $(${a}) == $(${b}) ]]`,
    (a, b) => `echo {$(${a}),$(${b})}`,
  ];
  return fc.tuple(fc.constantFrom(...(g === "full" ? [...forms, ...fullForms] : forms)), l, l).map(([f, a, b]) => f(a, b));
}

function heredoc(g: Grammar, l: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const forms: Array<(s: string) => string> = [
    (s) => `cat <<EOF\n$(${s})\nEOF`,
    (s) => `cat <<'EOF'\n$(${s})\nEOF`,
    (s) => `bash <<EOF\n${s}\nEOF`,
    (s) => `cat <<-EOF\n\t$(${s})\n\tEOF`,
    (s) => `git log <<EOF | cat\n$(${s})\nEOF`,
  ];
  const fullForms: Array<(s: string) => string> = [
    (s) => `git status --short <<EOF $(\n${s}\nEOF\n)`,
    (s) => `echo $(cat <<EOF\n$(${s})\nEOF\n)`,
    (s) => `echo \`cat <<EOF\n$(${s})\nEOF\n\``,
    (s) => `cat <<E"O"F\n$(${s})\nEOF`,
    (s) => `cat <<E'O'F\n$(${s})\nEOF`,
    (s) => `cat <<\\EOF\n$(${s})\nEOF`,
    (s) => `cat <<"EOF"\n$(${s})\nEOF`,
    (s) => `cat <<EOF\nEOF \n$(${s})\nEOF`,
    (s) => `cat <<EOF; ${s}\nx\nEOF`,
    (s) => `cat <<A <<B\nx\nA\n$(${s})\nB`,
    (s) => `cat <<EOF\n\\$(${s})\nEOF`,
    (s) => `cat <<EOF\n\`${s}\`\nEOF`,
    (s) => `bash <<'EOF'\n${s}\nEOF`,
    (s) => `sh <<-X\n\t${s}\n\tX`,
    (s) => `cat << EOF\n$(${s})\n  EOF\nEOF`,
    (s) => `cat <<EOF\n$(\n${s}\n)\nEOF`,
    (s) => `x=$(cat <<'E'\n)\nE\n); ${s}`,
    (s) => `cat <<EOF\n\${x:-$(${s})}\nEOF`,
  ];
  return fc.tuple(fc.constantFrom(...(g === "full" ? [...forms, ...fullForms] : forms)), l).map(([f, s]) => f(s));
}

/** Mutations of seed lines: characters and fragments that change how a line is read. */
const FRAGMENTS = [
  "'",
  '"',
  "`",
  "\\",
  "$(",
  ")",
  "(",
  "${x:-",
  "}",
  ";",
  "\n",
  "#",
  " ",
  "<<EOF\n",
  "\nEOF\n",
  "$'",
  "&&",
  "|",
  "\\\n",
  " rm -rf / ",
  "$((",
  "))",
  "{",
  "<(",
  "\t",
  '$"',
  "*",
  "~",
];

export function mutationArb(seeds: readonly string[]): fc.Arbitrary<string> {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(op, { minLength: 1, maxLength: 3 })).map(([seed, ops]) => {
    let s = seed;
    for (const o of ops) {
      const at = s.length ? o.at % (s.length + 1) : 0;
      if (o.kind === "insert") s = s.slice(0, at) + o.text + s.slice(at);
      else if (o.kind === "delete") s = s.slice(0, at) + s.slice(at + o.len);
      else s = s.slice(0, at) + s.slice(at, at + o.len) + s.slice(at);
    }
    return s;
  });
}
