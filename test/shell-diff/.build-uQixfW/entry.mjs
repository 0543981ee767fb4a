// test/shell-diff/fuzz.ts
import fc2 from "fast-check";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";

// test/shell-diff/corpus.ts
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { join as join2 } from "node:path";

// test/shell-diff/paths.ts
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
function repoRoot() {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, "package.json")) || !existsSync(join(d, "test"))) {
    const up = dirname(d);
    if (up === d) throw new Error("shell-diff: cannot find the repository root");
    d = up;
  }
  return d;
}
var HARNESS_DIR = () => join(repoRoot(), "test", "shell-diff");

// test/shell-diff/corpus.ts
var REGRESSIONS_DIR = () => join2(HARNESS_DIR(), "regressions");
var KNOWN_FILE = () => join2(HARNESS_DIR(), "known-divergences.json");
function readRegressions() {
  let names = [];
  try {
    names = readdirSync(REGRESSIONS_DIR()).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return [];
  }
  return names.map((n) => JSON.parse(readFileSync(join2(REGRESSIONS_DIR(), n), "utf8")));
}
function readKnown() {
  try {
    return JSON.parse(readFileSync(KNOWN_FILE(), "utf8"));
  } catch {
    return [];
  }
}
function writeRegression(c) {
  mkdirSync(REGRESSIONS_DIR(), { recursive: true });
  const id = `${c.class.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}-${createHash("sha256").update(c.line).digest("hex").slice(0, 8)}`;
  const file = join2(REGRESSIONS_DIR(), `${id}.json`);
  writeFileSync(file, JSON.stringify({ id, ...c }, null, 2) + "\n");
  return file;
}

// test/shell-diff/generators.ts
import fc from "fast-check";
var PAYLOADS = ["rm -rf /", "pwn", "rm -rf / #"];
var BENIGN = ["git status", "git log", "echo ok", "ls", "git status --short", ":", "true"];
var WORDS = ["a", "x", "-rf", "/", "--", "-c", "f", "status", "'a b'", '"a b"', "$x", "~", "*", "{a,b}", "-", "--short", "\\;"];
var payload = fc.constantFrom(...PAYLOADS);
var benign = fc.constantFrom(...BENIGN);
var word = fc.constantFrom(...WORDS);
var sq = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
var dq = (s) => `"${s.replace(/(["\\$`])/g, "\\$1")}"`;
function quoteVariants(s, g) {
  const base = [s, sq(s), dq(s), s.split("").map((c) => /[a-z]/.test(c) ? c : "\\" + c).join("")];
  const full = [`$'${s.replace(/'/g, "\\'")}'`, `$"${s}"`, `${s.slice(0, 1)}'${s.slice(1)}'`, `"${s.slice(0, 2)}"'${s.slice(2)}'`];
  return fc.constantFrom(...g === "full" ? [...base, ...full] : base);
}
function lineArb(g, depth = 2) {
  const tie = fc.letrec((t) => ({
    list: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      t("cmd"),
      fc.tuple(t("cmd"), fc.constantFrom(...g === "full" ? [" ; ", " && ", " | ", "\n", " & ", " || ", " |& ", ";"] : [" ; ", " && ", " | ", "\n", " & ", " || "]), t("cmd")).map(([a, op, b]) => a + op + b)
    ),
    cmd: fc.oneof(
      { depthSize: "small", maxDepth: depth },
      simple(g, t("word")),
      wrapper(g, t("list")),
      compound(g, t("list")),
      heredoc(g, t("list")),
      payload,
      benign
    ),
    word: fc.oneof({ depthSize: "small", maxDepth: depth }, word, substitution(g, t("list")), payload.chain((p) => quoteVariants(p, g)))
  }));
  return tie.list.map((l) => l.replace(/\s+$/, ""));
}
function simple(g, w) {
  const head = fc.constantFrom("git log", "echo", "git status", "ls", "cat", "rm", "X=1 git log", "command git", "exec git", "/usr/bin/git log");
  const redirs = g === "full" ? [">f", ">>f", "<f", "<>f", ">&2", "&>f", "2>f", ">|f", "9>f", "2>&1", "<&0", ">/dev/null", "{fd}>f", ">/dev/tcp/127.0.0.1/9", "<<<x", ">'a b'"] : [">f", ">>f", "<f", "2>&1", ">/dev/null", "2>/dev/null", "<<<x"];
  const redir = fc.constantFrom(...redirs);
  return fc.tuple(head, fc.array(fc.oneof(w, redir), { maxLength: 3 })).map(([h, rest]) => [h, ...rest].join(" "));
}
function substitution(g, l) {
  const forms = [(s) => `$(${s})`, (s) => `"$(${s})"`, (s) => `\`${s}\``, (s) => `\${x:-$(${s})}`, (s) => `$((1 + $(${s})))`, (s) => `a$(${s})b`];
  const fullForms = [
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
    (s) => `$(${s} #)
)`,
    (s) => `$(case a in a) ${s};; esac)`,
    (s) => `\\$(${s})`,
    (s) => `'$(${s})'`
  ];
  return fc.tuple(fc.constantFrom(...g === "full" ? [...forms, ...fullForms] : forms), l).map(([f, s]) => f(s));
}
function wrapper(g, l) {
  const forms = [
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
    (s) => `if true; then ${s}; fi`
  ];
  const fullForms = [
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
    (s) => `alias git=${sq(s)}
git`,
    (s) => `shopt -s expand_aliases; alias git=${sq(s)}
git`,
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
    (s) => `echo x\\
; ${s}`,
    (s) => `echo '
' ; ${s}`,
    (s) => `git status # ' 
${s}`
  ];
  return fc.tuple(fc.constantFrom(...g === "full" ? [...forms, ...fullForms] : forms), l).map(([f, s]) => f(s));
}
function compound(g, l) {
  const forms = [
    (a, b) => `if ${a}; then ${b}; fi`,
    (a, b) => `{ ${a}; ${b}; }`,
    (a, b) => `(${a}) && ${b}`,
    (a, b) => `for x in a b; do ${a}; ${b}; done`,
    (a, b) => `while false; do ${a}; done; ${b}`
  ];
  const fullForms = [
    (a, b) => `if ${a}; then :; else ${b}; fi`,
    (a, b) => `case x in x|y) ${a};; *) ${b};; esac`,
    (a, b) => `${a} |& ${b}`,
    (a, b) => `${a} &>/dev/null; ${b}`,
    (a, b) => `[[ $(${a}) == $(${b}) ]]`,
    (a, b) => `echo {$(${a}),$(${b})}`
  ];
  return fc.tuple(fc.constantFrom(...g === "full" ? [...forms, ...fullForms] : forms), l, l).map(([f, a, b]) => f(a, b));
}
function heredoc(g, l) {
  const forms = [
    (s) => `cat <<EOF
$(${s})
EOF`,
    (s) => `cat <<'EOF'
$(${s})
EOF`,
    (s) => `bash <<EOF
${s}
EOF`,
    (s) => `cat <<-EOF
	$(${s})
	EOF`,
    (s) => `git log <<EOF | cat
$(${s})
EOF`
  ];
  const fullForms = [
    (s) => `git status --short <<EOF $(
${s}
EOF
)`,
    (s) => `echo $(cat <<EOF
$(${s})
EOF
)`,
    (s) => `echo \`cat <<EOF
$(${s})
EOF
\``,
    (s) => `cat <<E"O"F
$(${s})
EOF`,
    (s) => `cat <<E'O'F
$(${s})
EOF`,
    (s) => `cat <<\\EOF
$(${s})
EOF`,
    (s) => `cat <<"EOF"
$(${s})
EOF`,
    (s) => `cat <<EOF
EOF 
$(${s})
EOF`,
    (s) => `cat <<EOF; ${s}
x
EOF`,
    (s) => `cat <<A <<B
x
A
$(${s})
B`,
    (s) => `cat <<EOF
\\$(${s})
EOF`,
    (s) => `cat <<EOF
\`${s}\`
EOF`,
    (s) => `bash <<'EOF'
${s}
EOF`,
    (s) => `sh <<-X
	${s}
	X`,
    (s) => `cat << EOF
$(${s})
  EOF
EOF`,
    (s) => `cat <<EOF
$(
${s}
)
EOF`,
    (s) => `x=$(cat <<'E'
)
E
); ${s}`,
    (s) => `cat <<EOF
\${x:-$(${s})}
EOF`
  ];
  return fc.tuple(fc.constantFrom(...g === "full" ? [...forms, ...fullForms] : forms), l).map(([f, s]) => f(s));
}
var FRAGMENTS = ["'", '"', "`", "\\", "$(", ")", "(", "${x:-", "}", ";", "\n", "#", " ", "<<EOF\n", "\nEOF\n", "$'", "&&", "|", "\\\n", " rm -rf / ", "$((", "))", "{", "<(", "	", '$"', "*", "~"];
function mutationArb(seeds) {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("insert"), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
    fc.record({ kind: fc.constant("delete"), at: fc.nat(), len: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant("duplicate"), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) })
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

// src/policy/suggest.ts
function suggest(input, candidates) {
  const needle = input.toLowerCase();
  let best;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(needle, c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.ceil(input.length / 3));
  return bestDistance <= limit ? best : void 0;
}
function didYouMean(input, candidates) {
  const s = suggest(input, candidates);
  return s === void 0 ? void 0 : `did you mean \`${s}\`?`;
}
function editDistance(a, b) {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}

// src/policy/actions.ts
var BUILTIN_ACTIONS = {
  "file.read": ["path"],
  "file.write": ["path"],
  "file.delete": ["path"],
  "shell.execute": ["command"],
  "network.request": [],
  "env.read": ["key"],
  "mcp.call": ["server", "tool"]
};
function isBuiltinAction(a) {
  return Object.hasOwn(BUILTIN_ACTIONS, a);
}
var ALIASES = {
  "process.exec": "shell.execute",
  "process.execute": "shell.execute",
  "shell.exec": "shell.execute",
  "shell.run": "shell.execute",
  "command.execute": "shell.execute",
  "network.fetch": "network.request",
  "http.request": "network.request",
  "env.get": "env.read",
  "mcp.tool": "mcp.call",
  "mcp.tool_call": "mcp.call"
};
var NAMESPACES = new Set(Object.keys(BUILTIN_ACTIONS).map((a) => a.split(".")[0]));
var SEGMENT = /^[a-z][a-z0-9_-]*$/;
var CACHE = /* @__PURE__ */ new Map();
var MAX_CACHE = 1024;
function canonicalAction(raw) {
  let r = CACHE.get(raw);
  if (r === void 0) {
    r = parseAction(raw);
    if (CACHE.size < MAX_CACHE) CACHE.set(raw, r);
  }
  return r;
}
function parseAction(raw) {
  const s = raw.trim().toLowerCase();
  if (s === "*") return { ok: true, action: "*", wildcard: true };
  let dotted;
  if (s.includes(":")) dotted = s.replaceAll(":", ".");
  else if (s.includes(".")) dotted = s;
  else if (s.includes("_")) dotted = s.replace("_", ".");
  else dotted = s;
  dotted = ALIASES[dotted] ?? dotted;
  const segments = dotted.split(".");
  if (segments.length < 2) {
    return {
      ok: false,
      message: `action \`${raw}\` has no namespace`,
      help: didYouMean(raw, allSpellings()) ?? "actions are `namespace.verb`, e.g. `file.read` or `payments.charge`"
    };
  }
  const last = segments.length - 1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === "*" && i === last) return { ok: true, action: dotted, wildcard: true };
    if (!SEGMENT.test(seg)) return { ok: false, message: `action \`${raw}\` is not a valid action name` };
  }
  if (isBuiltinAction(dotted)) return { ok: true, action: dotted, wildcard: false };
  const hint = didYouMean(dotted, allSpellings());
  if (NAMESPACES.has(segments[0]) || hint) {
    return {
      ok: false,
      message: `unknown action \`${raw}\``,
      help: hint ?? `known \`${segments[0]}\` actions: ${Object.keys(BUILTIN_ACTIONS).filter((a) => a.startsWith(segments[0] + ".")).join(", ")}`
    };
  }
  return { ok: true, action: dotted, wildcard: false };
}
function allSpellings() {
  return [...Object.keys(BUILTIN_ACTIONS), ...Object.keys(ALIASES)];
}
function actionPatternMatches(pattern, action) {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return action.startsWith(pattern.slice(0, -1));
  return pattern === action;
}

// src/policy/schedule.ts
var DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
function parseDay(v) {
  const i = DAY_NAMES.indexOf(v.trim().toLowerCase().slice(0, 3));
  return i < 0 ? void 0 : i;
}
function parseHours(v) {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(v);
  if (!m) return void 0;
  const a = Number(m[1]) * 60 + Number(m[2]);
  const b = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[1]) > 24 || Number(m[3]) > 24 || Number(m[2]) > 59 || Number(m[4]) > 59 || a > 1440 || b > 1440 || a === b) return void 0;
  return [a, b];
}
function validTimeZone(tz) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
var formatters = /* @__PURE__ */ new Map();
function scheduleOpen(s, nowMs) {
  let f = formatters.get(s.timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: s.timezone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(s.timezone, f);
  }
  let day = 0;
  let minutes = 0;
  for (const p of f.formatToParts(nowMs)) {
    if (p.type === "weekday") day = parseDay(p.value) ?? 0;
    else if (p.type === "hour") minutes += Number(p.value) * 60;
    else if (p.type === "minute") minutes += Number(p.value);
  }
  if (s.hours) {
    const [a, b] = s.hours;
    const inside = a < b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
    if (!inside) return false;
    if (a > b && minutes < b) day = (day + 6) % 7;
  }
  return s.days === void 0 || s.days.includes(day);
}

// src/request/normalize-host.ts
var STRUCTURAL = /[\s/\\?#@\u0000-\u001f\u007f]/;
var PLAIN_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i;
var NUMERIC_LAST = /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i;
function normalizeHost(raw) {
  if (raw.length === 0) return { ok: false, reason: "host is empty" };
  if (raw.length <= 253 && PLAIN_NAME.test(raw) && !NUMERIC_LAST.test(raw) && !raw.includes("xn--") && !raw.includes("XN--")) {
    return { ok: true, host: canonicalHostname(raw) };
  }
  if (raw.length > 1024) return { ok: false, reason: "host is longer than 1024 characters" };
  if (STRUCTURAL.test(raw)) return { ok: false, reason: `host \`${printable(raw)}\` contains characters a host cannot have` };
  let candidate = raw;
  const colons = raw.split(":").length - 1;
  if (colons >= 2 && !raw.startsWith("[")) candidate = `[${raw}]`;
  else if (colons === 1 && !raw.startsWith("[")) return { ok: false, reason: `host \`${raw}\` has a port; give the port in \`port\`` };
  let hostname;
  try {
    const u = new URL(`http://${candidate}/`);
    if (u.port !== "" || u.username !== "" || u.password !== "") {
      return { ok: false, reason: `host \`${raw}\` is not a bare host name` };
    }
    hostname = u.hostname;
  } catch {
    return { ok: false, reason: `host \`${printable(raw)}\` is not a valid host name` };
  }
  return { ok: true, host: canonicalHostname(hostname) };
}
function canonicalHostname(hostname) {
  let h = hostname.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) {
    h = h.slice(1, -1);
    return embeddedIPv4(h) ?? h;
  }
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}
var EMBEDDED = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
function embeddedIPv4(ipv6) {
  const m = EMBEDDED.exec(ipv6);
  if (!m) return void 0;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
var IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
function ipv4ToInt(host) {
  const m = IPV4.exec(host);
  if (!m) return void 0;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return void 0;
    n = n * 256 + o;
  }
  return n;
}
function printable(s) {
  return JSON.stringify(s).slice(1, -1);
}

// src/match/brace-expand.ts
var MAX_BRACE_ALTERNATIVES = 256;
function expandBraces(pattern) {
  const open = findGroup(pattern);
  if (!open) return [pattern];
  const { start, end, parts } = open;
  const head = pattern.slice(0, start);
  const tails = expandBraces(pattern.slice(end + 1));
  const out = [];
  for (const part of parts) {
    for (const mid of expandBraces(part)) {
      for (const tail of tails) {
        out.push(head + mid + tail);
        if (out.length > MAX_BRACE_ALTERNATIVES) {
          throw new RangeError(`brace expansion of \`${pattern}\` yields more than ${MAX_BRACE_ALTERNATIVES} alternatives`);
        }
      }
    }
  }
  return out;
}
function findGroup(p) {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c !== "{") continue;
    let depth = 0;
    let partStart = i + 1;
    const parts = [];
    for (let j = i; j < p.length; j++) {
      const d = p[j];
      if (d === "\\") {
        j++;
        continue;
      }
      if (d === "{") depth++;
      else if (d === "}") {
        depth--;
        if (depth === 0) {
          parts.push(p.slice(partStart, j));
          if (parts.length > 1) return { start: i, end: j, parts };
          break;
        }
      } else if (d === "," && depth === 1) {
        parts.push(p.slice(partStart, j));
        partStart = j + 1;
      }
    }
  }
  return void 0;
}

// src/match/wildcard.ts
var GLOB_META = /[*?[\]{}\\]/;
function compileWildcard(pattern, opts = {}) {
  const ci = opts.caseInsensitive === true;
  const alts = expandBraces(ci ? pattern.toLowerCase() : pattern).map(tokenize);
  const tests = alts.map(compileAlternative);
  const alternatives = alts.map((tokens) => {
    const first = tokens[0];
    const prefix = first?.t === "lit" ? first.s : "";
    return { prefix, exact: tokens.length === 0 || tokens.length === 1 && first?.t === "lit" };
  });
  const one2 = tests.length === 1 ? tests[0] : void 0;
  const testFn = one2 ? ci ? (s) => one2(s.toLowerCase()) : one2 : (s) => {
    const v = ci ? s.toLowerCase() : s;
    for (const f of tests) if (f(v)) return true;
    return false;
  };
  return { test: testFn, alternatives };
}
function compileAlternative(tokens) {
  if (tokens.length === 0) return (s) => s.length === 0;
  const [a, b, c] = tokens;
  if (tokens.length === 1 && a.t === "lit") return (s) => s === a.s;
  if (tokens.length === 1 && a.t === "star") return () => true;
  if (tokens.length === 2 && a.t === "lit" && b.t === "star") return (s) => s.startsWith(a.s);
  if (tokens.length === 2 && a.t === "star" && b.t === "lit") return (s) => s.endsWith(b.s);
  if (tokens.length === 3 && a.t === "star" && b.t === "lit" && c.t === "star") return (s) => s.includes(b.s);
  return (s) => matchTokens(tokens, s);
}
function tokenize(p) {
  const out = [];
  let lit = "";
  const flush = () => {
    if (lit) out.push({ t: "lit", s: lit });
    lit = "";
  };
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === "\\" && i + 1 < p.length) {
      lit += p[++i];
    } else if (ch === "*") {
      flush();
      if (out[out.length - 1]?.t !== "star") out.push({ t: "star" });
    } else if (ch === "?") {
      flush();
      out.push({ t: "one" });
    } else if (ch === "[") {
      const cls = parseClass(p, i);
      if (!cls) {
        lit += ch;
        continue;
      }
      flush();
      out.push(cls.token);
      i = cls.end;
    } else {
      lit += ch;
    }
  }
  flush();
  return out;
}
function parseClass(p, open) {
  let i = open + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  const ranges = [];
  let first = true;
  for (; i < p.length; i++) {
    let ch = p[i];
    if (ch === "]" && !first) return { token: { t: "cls", negate, ranges }, end: i };
    first = false;
    if (ch === "\\" && i + 1 < p.length) ch = p[++i];
    let hi = ch;
    if (p[i + 1] === "-" && p[i + 2] !== void 0 && p[i + 2] !== "]") {
      hi = p[i + 2] === "\\" && p[i + 3] !== void 0 ? p[i + 3] : p[i + 2];
      i += p[i + 2] === "\\" ? 3 : 2;
    }
    ranges.push(ch.charCodeAt(0), hi.charCodeAt(0));
  }
  return void 0;
}
function classHas(tok2, code) {
  let hit = false;
  for (let k = 0; k < tok2.ranges.length; k += 2) {
    if (code >= tok2.ranges[k] && code <= tok2.ranges[k + 1]) {
      hit = true;
      break;
    }
  }
  return hit !== tok2.negate;
}
function matchTokens(tokens, s) {
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (ti < tokens.length || si < s.length) {
    if (ti < tokens.length) {
      const tok2 = tokens[ti];
      if (tok2.t === "star") {
        starTi = ti++;
        starSi = si;
        continue;
      }
      if (tok2.t === "lit") {
        if (s.startsWith(tok2.s, si)) {
          si += tok2.s.length;
          ti++;
          continue;
        }
      } else if (si < s.length && (tok2.t === "one" || classHas(tok2, s.charCodeAt(si)))) {
        si++;
        ti++;
        continue;
      }
    }
    if (starTi >= 0 && starSi < s.length) {
      si = ++starSi;
      ti = starTi + 1;
      continue;
    }
    return false;
  }
  return true;
}

// src/match/host-pattern.ts
function compileHostPattern(pattern) {
  if (pattern === "*") return ok(() => true, { kind: "any" });
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(pattern);
  if (cidr) {
    const base = ipv4ToInt(cidr[1]);
    const bits = Number(cidr[2]);
    if (base === void 0 || bits > 32) return { ok: false, reason: `\`${pattern}\` is not a valid IPv4 CIDR block` };
    const size = 2 ** (32 - bits);
    const start = base - base % size;
    return ok((h) => {
      const n2 = ipv4ToInt(h);
      return n2 !== void 0 && n2 >= start && n2 < start + size;
    }, { kind: "none" });
  }
  if (pattern.startsWith("*.") && !GLOB_META.test(pattern.slice(2))) {
    const n2 = normalizeHost(pattern.slice(2));
    if (!n2.ok) return n2;
    const suffix = "." + n2.host;
    return ok((h) => h.endsWith(suffix), { kind: "suffix", suffix: n2.host });
  }
  if (pattern.endsWith(".*") && !GLOB_META.test(pattern.slice(0, -2))) {
    const n2 = normalizeHost(pattern.slice(0, -2));
    if (!n2.ok) return n2;
    const prefix = n2.host + ".";
    return ok((h) => h.startsWith(prefix) && h.length > prefix.length, { kind: "first-label", label: n2.host });
  }
  if (GLOB_META.test(pattern)) {
    const m = compileWildcard(pattern, { caseInsensitive: true });
    return ok((h) => m.test(h), { kind: "none" });
  }
  const n = normalizeHost(pattern);
  if (!n.ok) return n;
  const exact = n.host;
  return ok((h) => h === exact, { kind: "exact", host: exact });
}
function ok(test, key) {
  return { ok: true, matcher: { test, key } };
}

// src/match/path-glob.ts
import picomatch from "picomatch/posix.js";
function anchor(alt, cwd) {
  if (alt.startsWith("/") || alt.startsWith("**")) return alt;
  const rel = alt.startsWith("./") ? alt.slice(2) : alt;
  return cwd === void 0 ? `**/${rel}` : `${cwd.replace(/\/+$/, "")}/${rel}`;
}
function compilePathPattern(pattern, cwd) {
  if (pattern.length === 0) return { ok: false, reason: "path pattern is empty" };
  if (pattern.startsWith("!")) return { ok: false, reason: `negated path pattern \`${pattern}\`: use \`not:\` instead` };
  let alternatives;
  try {
    alternatives = expandBraces(pattern);
  } catch (e) {
    return { ok: false, reason: e.message };
  }
  for (const alt of alternatives) {
    if (/(^|\/)\.\.?(\/|$)/.test(alt.replace(/^\.\//, ""))) {
      return { ok: false, reason: `path pattern \`${pattern}\` contains \`.\` or \`..\` segments, which never match a normalized path` };
    }
  }
  const anchored = alternatives.map((a) => anchor(a, cwd));
  let test;
  try {
    test = picomatch(anchored.length === 1 ? anchored[0] : anchored, { dot: true, nocase: false });
  } catch (e) {
    return { ok: false, reason: `invalid path pattern \`${pattern}\`: ${e.message}` };
  }
  const bases = [];
  for (const a of anchored) {
    const scan2 = picomatch.scan(a);
    const base = !a.startsWith("/") ? "" : scan2.isGlob ? scan2.base : a;
    if (base === "") {
      bases.length = 0;
      break;
    }
    bases.push(base);
  }
  const floating = cwd === void 0 && alternatives.some((a) => !a.startsWith("/") && !a.startsWith("**"));
  return { ok: true, matcher: { test, bases: bases.length > 0 ? bases : void 0, floating } };
}

// src/match/regex.ts
import { RE2JS } from "re2js";
function compileRegex(source) {
  try {
    const re = RE2JS.compile(source);
    return { ok: true, test: (s) => re.test(s) };
  } catch (e) {
    return { ok: false, reason: `invalid regular expression \`${source}\`: ${e.message} (RE2 syntax: no backreferences or lookaround)` };
  }
}

// src/request/normalize-path.ts
var MAX_PATH_LENGTH = 4096;
function normalizePath(raw, cwd) {
  if (raw.length === 0) return { ok: false, reason: "path is empty" };
  if (raw.length > MAX_PATH_LENGTH) return { ok: false, reason: `path is longer than ${MAX_PATH_LENGTH} characters` };
  if (raw.includes("\0")) return { ok: false, reason: "path contains a NUL byte" };
  if (raw.startsWith("~")) return { ok: false, reason: "path starts with `~`; the home directory is not known here, send an absolute path" };
  let joined;
  if (raw.startsWith("/")) joined = raw;
  else if (cwd === void 0) return { ok: false, reason: `path \`${raw}\` is relative and no \`cwd\` was given` };
  else {
    if (!cwd.startsWith("/")) return { ok: false, reason: `cwd \`${cwd}\` must be absolute` };
    const base = normalizePath(cwd);
    if (!base.ok) return { ok: false, reason: `cwd: ${base.reason}` };
    joined = base.path + "/" + raw;
  }
  return { ok: true, path: resolveDots(joined) };
}
var NEEDS_WORK = /\/\/|\/\.\.?(\/|$)|.\/$/;
function resolveDots(absolute) {
  if (!NEEDS_WORK.test(absolute)) return absolute;
  const out = [];
  for (const seg of absolute.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

// src/engine/subject.ts
function describeSubject(s) {
  const target = s.command ?? s.url ?? s.host ?? s.path ?? s.key ?? (s.server !== void 0 ? `${s.server}/${s.tool}` : void 0);
  const method = s.method !== void 0 ? ` ${s.method}` : "";
  return `${s.action}${method}${target !== void 0 ? " " + target : ""}${s.viaRedirection ? " (implied by the command)" : ""}`;
}
function fieldGetter(field) {
  const dot = field.indexOf(".");
  if (dot < 0) return (s) => s[field];
  const [root, ...rest] = field.split(".");
  return (s) => {
    let v = s[root];
    for (const k of rest) {
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return void 0;
      v = v[k];
    }
    return v;
  };
}

// src/engine/compile-test.ts
function compileConditions(conditions, cwd) {
  const tests = conditions.map((c) => compileCondition(c, cwd));
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (s) => {
    for (const t of tests) if (!t(s)) return false;
    return true;
  };
}
function compileCondition(c, cwd) {
  switch (c.kind) {
    case "field": {
      const get = fieldGetter(c.field);
      const test = compileFieldTest(c.test, c.field, cwd);
      return (s) => test(get(s));
    }
    case "all":
      return compileConditions(c.conditions, cwd);
    case "any": {
      const tests = c.conditions.map((x) => compileCondition(x, cwd));
      return (s) => tests.some((t) => t(s));
    }
    case "not": {
      const t = compileCondition(c.condition, cwd);
      return (s) => !t(s);
    }
  }
}
function normalizeOperand(field, value, cwd) {
  let v = value;
  if (typeof v === "number" && field === "port") return v;
  if (typeof v === "number" && (field === "host" || field === "path")) v = String(v);
  if (typeof v !== "string") return v;
  switch (field) {
    case "host": {
      const h = normalizeHost(v);
      return h.ok ? h.host : v.toLowerCase();
    }
    case "path": {
      const p = normalizePath(v, cwd);
      return p.ok ? p.path : v;
    }
    case "method":
      return v.toUpperCase();
    case "scheme":
      return v.toLowerCase();
    case "port":
      return /^\d+$/.test(v) ? Number(v) : v;
    default:
      return v;
  }
}
var isStr = (v) => typeof v === "string";
function compileFieldTest(t, field, cwd) {
  switch (t.op) {
    case "glob":
      return compileGlob(t.pattern, field, cwd);
    case "eq": {
      const want = normalizeOperand(field, t.value, cwd);
      return (v) => v === want;
    }
    case "neq": {
      const want = normalizeOperand(field, t.value, cwd);
      return (v) => v !== want;
    }
    case "in": {
      const set = new Set(t.values.map((x) => normalizeOperand(field, x, cwd)));
      return (v) => set.has(v);
    }
    case "notIn": {
      const set = new Set(t.values.map((x) => normalizeOperand(field, x, cwd)));
      return (v) => !set.has(v);
    }
    case "startsWith": {
      const x = caseFold(field, t.value);
      return (v) => isStr(v) && v.startsWith(x);
    }
    case "endsWith": {
      const x = caseFold(field, t.value);
      return (v) => isStr(v) && v.endsWith(x);
    }
    case "contains": {
      const x = caseFold(field, t.value);
      return (v) => isStr(v) && v.includes(x);
    }
    case "matches": {
      const r = compileRegex(t.regex);
      if (!r.ok) return () => false;
      return (v) => (isStr(v) || typeof v === "number") && r.test(String(v));
    }
    case "exists":
      return t.value ? (v) => v !== void 0 : (v) => v === void 0;
    case "all": {
      const tests = t.tests.map((x) => compileFieldTest(x, field, cwd));
      return (v) => tests.every((f) => f(v));
    }
    case "any": {
      const tests = t.tests.map((x) => compileFieldTest(x, field, cwd));
      return (v) => tests.some((f) => f(v));
    }
    case "not": {
      const f = compileFieldTest(t.test, field, cwd);
      return (v) => !f(v);
    }
  }
}
function caseFold(field, s) {
  if (field === "host" || field === "scheme") return s.toLowerCase();
  if (field === "method") return s.toUpperCase();
  return s;
}
function compileGlob(pattern, field, cwd) {
  if (field === "path") {
    const r = compilePathPattern(pattern, cwd);
    if (!r.ok) return () => false;
    const m2 = r.matcher;
    return (v) => isStr(v) && m2.test(v);
  }
  if (field === "host") {
    const r = compileHostPattern(pattern);
    if (!r.ok) return () => false;
    const m2 = r.matcher;
    return (v) => isStr(v) && m2.test(v);
  }
  const ci = field === "method" || field === "scheme";
  const m = compileWildcard(pattern, { caseInsensitive: ci });
  if (field === "port") return (v) => typeof v === "number" && m.test(String(v));
  return (v) => isStr(v) && m.test(v);
}

// src/engine/rule-index.ts
var RuleBucket = class {
  constructor(rules, memberIndexes, cwd) {
    this.rules = rules;
    for (const i of memberIndexes) {
      this.members.push(i);
      if (!this.file(this.rules[i], cwd)) this.always.push(i);
    }
  }
  rules;
  always = [];
  keys = /* @__PURE__ */ new Map();
  hosts = /* @__PURE__ */ new Map();
  hostSuffixes = /* @__PURE__ */ new Map();
  hostLabels = /* @__PURE__ */ new Map();
  words = /* @__PURE__ */ new Map();
  paths = { rules: [], children: /* @__PURE__ */ new Map() };
  /** the bucket's own rules, in order, for explanations */
  members = [];
  /** Index of the first matching rule, or -1. */
  firstMatch(s, nowMs) {
    let best = scan(this.always, this.rules, s, nowMs, Infinity);
    if (s.key !== void 0) best = scanKey(this.keys, s.key, this.rules, s, nowMs, best);
    if (s.host !== void 0) {
      const h = s.host;
      best = scanKey(this.hosts, h, this.rules, s, nowMs, best);
      if (this.hostSuffixes.size > 0) {
        for (let dot = h.indexOf("."); dot >= 0; dot = h.indexOf(".", dot + 1)) {
          best = scanKey(this.hostSuffixes, h.slice(dot + 1), this.rules, s, nowMs, best);
        }
      }
      if (this.hostLabels.size > 0) {
        const dot = h.indexOf(".");
        if (dot > 0) best = scanKey(this.hostLabels, h.slice(0, dot), this.rules, s, nowMs, best);
      }
    }
    if (s.command !== void 0 && this.words.size > 0) {
      const sp = s.command.indexOf(" ");
      best = scanKey(this.words, sp < 0 ? s.command : s.command.slice(0, sp), this.rules, s, nowMs, best);
    }
    if (s.path !== void 0) {
      let node = this.paths;
      best = scan(node.rules, this.rules, s, nowMs, best);
      let start = 1;
      const p = s.path;
      while (node && start < p.length) {
        let end = p.indexOf("/", start);
        if (end < 0) end = p.length;
        node = node.children.get(p.slice(start, end));
        if (node) best = scan(node.rules, this.rules, s, nowMs, best);
        start = end + 1;
      }
    }
    return best === Infinity ? -1 : best;
  }
  /** Files a rule under a literal key; false when no condition gives one. */
  file(rule, cwd) {
    for (const field of ["key", "host", "command", "path"]) {
      for (const c of rule.when) {
        if (c.kind !== "field" || c.field !== field) continue;
        const keys = literalKeys(c.test, field, cwd);
        if (!keys) continue;
        for (const k of keys) this.add(k, rule.index);
        return true;
      }
    }
    return false;
  }
  add(k, index) {
    if (k.kind === "path") {
      let node = this.paths;
      for (const seg of k.value.split("/")) {
        if (seg === "") continue;
        let next = node.children.get(seg);
        if (!next) node.children.set(seg, next = { rules: [], children: /* @__PURE__ */ new Map() });
        node = next;
      }
      push(node.rules, index);
      return;
    }
    const lists = { key: this.keys, host: this.hosts, suffix: this.hostSuffixes, label: this.hostLabels, word: this.words }[k.kind];
    let list = lists.get(k.value);
    if (!list) lists.set(k.value, list = []);
    push(list, index);
  }
};
function push(list, index) {
  if (list[list.length - 1] !== index) list.push(index);
}
function scan(list, rules, s, nowMs, best) {
  for (let k = 0; k < list.length; k++) {
    const i = list[k];
    if (i >= best) return best;
    if (rules[i].matches(s, nowMs)) return i;
  }
  return best;
}
function scanKey(lists, key, rules, s, nowMs, best) {
  const list = lists.get(key);
  return list ? scan(list, rules, s, nowMs, best) : best;
}
function literalKeys(t, field, cwd) {
  const many = (values) => {
    const out = [];
    for (const v of values) {
      if (typeof v !== "string") return void 0;
      const k = exactKey(v, field, cwd);
      if (!k) return void 0;
      out.push(k);
    }
    return out;
  };
  switch (t.op) {
    case "eq":
      return many([t.value]);
    case "in":
      return many(t.values);
    case "any": {
      const out = [];
      for (const x of t.tests) {
        const k = literalKeys(x, field, cwd);
        if (!k) return void 0;
        out.push(...k);
      }
      return out;
    }
    case "all": {
      for (const x of t.tests) {
        const k = literalKeys(x, field, cwd);
        if (k) return k;
      }
      return void 0;
    }
    case "glob":
      return globKeys(t.pattern, field, cwd);
    default:
      return void 0;
  }
}
function exactKey(v, field, cwd) {
  switch (field) {
    case "key":
      return { kind: "key", value: v };
    case "host": {
      const h = normalizeHost(v);
      return h.ok ? { kind: "host", value: h.host } : void 0;
    }
    case "command":
      return { kind: "word", value: v.split(" ")[0] };
    case "path": {
      const p = normalizePath(v, cwd);
      return p.ok ? { kind: "path", value: p.path } : void 0;
    }
  }
}
function globKeys(pattern, field, cwd) {
  switch (field) {
    case "host": {
      const r = compileHostPattern(pattern);
      if (!r.ok) return void 0;
      const k = r.matcher.key;
      if (k.kind === "exact") return [{ kind: "host", value: k.host }];
      if (k.kind === "suffix") return [{ kind: "suffix", value: k.suffix }];
      if (k.kind === "first-label") return [{ kind: "label", value: k.label }];
      return void 0;
    }
    case "path": {
      const r = compilePathPattern(pattern, cwd);
      return r.ok && r.matcher.bases ? r.matcher.bases.map((value) => ({ kind: "path", value })) : void 0;
    }
    case "key": {
      const alts = compileWildcard(pattern).alternatives;
      return alts.every((a) => a.exact) ? alts.map((a) => ({ kind: "key", value: a.prefix })) : void 0;
    }
    case "command": {
      const out = [];
      for (const a of compileWildcard(pattern).alternatives) {
        const sp = a.prefix.indexOf(" ");
        if (sp > 0) out.push({ kind: "word", value: a.prefix.slice(0, sp) });
        else if (a.exact && a.prefix !== "") out.push({ kind: "word", value: a.prefix });
        else return void 0;
      }
      return out;
    }
  }
}

// src/engine/compile.ts
var MAX_CACHED_BUCKETS = 4096;
function compilePolicy(ir, digest) {
  const rules = ir.rules.map((r, index) => compileRule(r, index, ir.cwd));
  const buckets = /* @__PURE__ */ new Map();
  const build2 = (action) => new RuleBucket(
    rules,
    rules.filter((r) => r.actions.some((p) => actionPatternMatches(p, action))).map((r) => r.index),
    ir.cwd
  );
  return {
    ir,
    digest,
    rules,
    requestOptions: ir.cwd === void 0 ? {} : { cwd: ir.cwd },
    bucket(action) {
      let b = buckets.get(action);
      if (!b) {
        b = build2(action);
        if (buckets.size < MAX_CACHED_BUCKETS) buckets.set(action, b);
      }
      return b;
    }
  };
}
function compileRule(r, index, cwd) {
  const test = compileConditions(r.when, cwd);
  const expires = r.expiresAt === void 0 ? Infinity : Date.parse(r.expiresAt);
  const schedule = r.schedule;
  const timed = schedule !== void 0 || expires !== Infinity;
  const activeAt = timed ? (now) => now < expires && (schedule === void 0 || scheduleOpen(schedule, now)) : () => true;
  const rule = {
    index,
    id: r.id,
    effect: r.effect,
    actions: r.actions,
    when: r.when,
    ir: r,
    test,
    parts: r.when.map((c) => ({ label: c.kind === "field" ? c.field : c.kind, test: compileCondition(c, cwd) })),
    activeAt,
    matches: timed ? (s, now) => test(s) && activeAt(now) : test
  };
  if (r.reason !== void 0) rule.reason = r.reason;
  if (r.rateLimit !== void 0) rule.rateLimit = r.rateLimit;
  return rule;
}

// src/crypto/canonical-json.ts
function canonicalJson(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot represent non-finite numbers");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map((v) => v === void 0 ? "null" : canonicalJson(v)).join(",") + "]";
  if (typeof value === "object") {
    const obj = value;
    const keys = Object.keys(obj).filter((k) => obj[k] !== void 0).sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(obj[k])).join(",") + "}";
  }
  throw new TypeError(`canonical JSON cannot represent ${typeof value}`);
}

// src/crypto/sha256.ts
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
async function sha256Hex(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return bytesToHex(new Uint8Array(digest));
}
var encoder = new TextEncoder();

// src/policy/digest.ts
function decisionView(ir) {
  return {
    version: 1,
    defaultAction: ir.defaultAction,
    cwd: ir.cwd,
    rules: ir.rules.map((r) => ({
      id: r.id,
      actions: r.actions,
      effect: r.effect,
      reason: r.reason,
      when: r.when,
      rateLimit: r.rateLimit,
      schedule: r.schedule,
      expiresAt: r.expiresAt
    }))
  };
}
async function policyDigest(ir) {
  return "sha256:" + await sha256Hex(canonicalJson(decisionView(ir)));
}

// src/policy/configmap.ts
import { isScalar } from "yaml";
var POLICY_KEY = /\.(ya?ml|json)$/i;
function embeddedPolicies(src) {
  const root = src.doc.contents;
  if (!src.isMap(root) || root.get("kind") !== "ConfigMap") return void 0;
  const data = root.get("data", true);
  if (!src.isMap(data)) return [];
  const out = [];
  for (const pair of data.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const value = pair.value;
    if (!POLICY_KEY.test(key) || !isScalar(value) || typeof value.value !== "string") continue;
    out.push({ key, text: value.value, shift: shiftOf(src, value) });
  }
  return out;
}
function shiftOf(src, value) {
  const start = value.range[0];
  const header = src.position(start);
  const type = value.type;
  if (type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED") {
    const nl = src.text.indexOf("\n", start);
    const firstLine = src.text.slice(nl + 1).split("\n").find((l) => l.trim() !== "") ?? "";
    const indent = firstLine.length - firstLine.trimStart().length;
    return { lines: header.line, columns: indent };
  }
  return { lines: header.line - 1, columns: header.column - 1 };
}

// src/policy/duration.ts
var UNITS = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1e3,
  sec: 1e3,
  secs: 1e3,
  second: 1e3,
  seconds: 1e3,
  m: 6e4,
  min: 6e4,
  mins: 6e4,
  minute: 6e4,
  minutes: 6e4,
  h: 36e5,
  hr: 36e5,
  hrs: 36e5,
  hour: 36e5,
  hours: 36e5,
  d: 864e5,
  day: 864e5,
  days: 864e5
};
function parseDuration(v) {
  if (typeof v === "number") return Number.isFinite(v) && v > 0 ? v * 1e3 : void 0;
  const m = /^\s*(\d+(?:\.\d+)?)?\s*([a-zA-Z]+)\s*$/.exec(v) ?? /^\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
  if (!m) return void 0;
  const n = m[1] === void 0 ? 1 : Number(m[1]);
  const unit = m[2] === void 0 ? 1e3 : UNITS[m[2].toLowerCase()];
  if (unit === void 0 || !(n > 0)) return void 0;
  return Math.round(n * unit);
}

// src/policy/fields.ts
var FIELD_ALIASES = {
  path: "path",
  host: "host",
  domain: "host",
  destination: "host",
  url: "url",
  port: "port",
  scheme: "scheme",
  method: "method",
  command: "command",
  key: "key",
  server: "server",
  tool: "tool",
  agent: "agent"
};
var FIELDS_BY_ACTION = {
  "file.read": ["path"],
  "file.write": ["path"],
  "file.delete": ["path"],
  "shell.execute": ["command"],
  "network.request": ["url", "host", "port", "scheme", "method"],
  "env.read": ["key"],
  "mcp.call": ["server", "tool", "arguments"]
};
var DOTTED = /^(context|arguments)(\.[A-Za-z0-9_-]+)+$/;
function canonicalField(name) {
  const f = FIELD_ALIASES[name];
  if (f) return { ok: true, field: f };
  if (DOTTED.test(name)) return { ok: true, field: name };
  return {
    ok: false,
    message: `unknown field \`${name}\``,
    help: didYouMean(name, Object.keys(FIELD_ALIASES)) ?? "fields: " + Object.keys(FIELD_ALIASES).join(", ") + ", context.<key>, arguments.<key>"
  };
}
function fieldApplies(field, action) {
  if (field === "agent" || field.startsWith("context.")) return true;
  if (!isBuiltinAction(action)) return true;
  const root = field.split(".")[0];
  return FIELDS_BY_ACTION[action].includes(root);
}

// src/policy/yaml-source.ts
import { isAlias, isMap, isScalar as isScalar2, isSeq, LineCounter, parseDocument } from "yaml";
var MAX_ALIASES = 100;
var YamlSource = class {
  constructor(file, text, shift = { lines: 0, columns: 0 }) {
    this.file = file;
    this.text = text;
    this.shift = shift;
    this.idBase = file.slice(file.lastIndexOf("/") + 1);
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, strict: true });
    for (const e of [...this.doc.errors]) {
      this.addAt(e.pos[0], "yaml_syntax", e.message.split("\n")[0]);
    }
  }
  file;
  text;
  shift;
  errors = [];
  doc;
  lines = new LineCounter();
  aliases = 0;
  /** what derived rule ids start with: the file's base name (and the ConfigMap key) */
  idBase;
  addAt(offset, code, message, help, severity = "error") {
    const { line, column } = this.position(offset);
    const e = { code, message, file: this.file, line, column, severity };
    if (help) e.help = help;
    this.errors.push(e);
  }
  addPos(pos, code, message) {
    this.errors.push({ code, message, file: this.file, line: pos.line, column: pos.column, severity: "error" });
  }
  add(node, code, message, help) {
    this.addAt(offsetOf(node), code, message, help);
  }
  warn(node, code, message, help) {
    this.addAt(offsetOf(node), code, message, help, "warning");
  }
  pos(node) {
    return { file: this.file, ...this.position(offsetOf(node)) };
  }
  position(offset) {
    const { line, col } = this.lines.linePos(offset);
    return { line: line + this.shift.lines, column: col + this.shift.columns };
  }
  /** Follows aliases so `*anchor` validates like the node it names. */
  deref(node) {
    if (isAlias(node)) {
      if (++this.aliases > MAX_ALIASES) {
        if (this.aliases === MAX_ALIASES + 1) this.add(node, "bad_value", `more than ${MAX_ALIASES} alias references`);
        return null;
      }
      return node.resolve(this.doc) ?? null;
    }
    return node ?? null;
  }
  /** The pairs of a map with string keys; reports non-string keys and unknown ones. */
  entries(map, known, what, suggestions) {
    const out = [];
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key);
      if (!isScalar2(keyNode) || typeof keyNode.value !== "string") {
        this.add(keyNode ?? pair, "bad_type", `${what} keys must be strings`);
        continue;
      }
      const k = keyNode.value;
      const ok2 = typeof known === "function" ? known(k) : known.includes(k);
      if (!ok2) {
        const pool = suggestions ?? (typeof known === "function" ? [] : known);
        const help = didYouMean(k, pool);
        this.add(keyNode, "unknown_key", `unknown key \`${k}\` in ${what}`, help);
        continue;
      }
      out.push([k, this.deref(pair.value), pair]);
    }
    return out;
  }
  string(node, what) {
    if (isScalar2(node) && typeof node.value === "string") return node.value;
    this.add(node, "bad_type", `${what} must be a string, got ${describe(node)}`);
    return void 0;
  }
  isMap = isMap;
  isSeq = isSeq;
  isScalar = isScalar2;
};
function offsetOf(node) {
  if (!node) return 0;
  const n = node;
  if (n.range) return n.range[0];
  const k = n.key;
  if (k?.range) return k.range[0];
  return 0;
}
function describe(node) {
  if (node === null) return "nothing";
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar2(node)) return node.value === null ? "null" : `${typeof node.value} \`${String(node.value)}\``;
  return "an unsupported node";
}

// src/policy/validate-condition.ts
var OPERATORS = ["glob", "pattern", "eq", "neq", "in", "notIn", "startsWith", "endsWith", "contains", "matches", "exists", "all", "any", "not"];
var COMPOSERS = ["all", "any", "not"];
function parseConditionMap(node, ctx, what) {
  const { src } = ctx;
  if (!src.isMap(node)) {
    src.add(node, "bad_type", `${what} must be a map of field: pattern, got ${describe(node)}`);
    return [];
  }
  const out = [];
  const isKnown = (k) => COMPOSERS.includes(k) || canonicalField(k).ok;
  for (const pair of node.items) {
    const keyNode = src.deref(pair.key);
    const k = src.isScalar(keyNode) ? String(keyNode.value) : "";
    if (!isKnown(k)) {
      const f = canonicalField(k);
      if (!f.ok) src.add(keyNode, "unknown_key", `${f.message} in ${what}`, f.help);
      continue;
    }
    const c = parseConditionEntry(k, src.deref(pair.value), ctx, keyNode);
    if (c) out.push(c);
  }
  return out;
}
function parseConditionEntry(key, value, ctx, keyNode) {
  const { src } = ctx;
  if (key === "all" || key === "any") {
    if (!src.isSeq(value)) {
      src.add(value, "bad_type", `\`${key}\` must be a list of condition maps`);
      return void 0;
    }
    const conditions = value.items.map((item) => ({ kind: "all", conditions: parseConditionMap(src.deref(item), ctx, `\`${key}\` item`) }));
    return { kind: key, conditions };
  }
  if (key === "not") return { kind: "not", condition: { kind: "all", conditions: parseConditionMap(value, ctx, "`not`") } };
  const f = canonicalField(key);
  if (!f.ok) return void 0;
  if (!ctx.actions.some((a) => fieldApplies(f.field, a))) {
    src.add(keyNode, "bad_value", `field \`${key}\` never appears in \`${ctx.actions.join(", ")}\` requests, so this rule could never match`);
  }
  const test = parseTest(value, f.field, ctx);
  return test ? { kind: "field", field: f.field, test } : void 0;
}
function parseTest(node, field, ctx) {
  const { src } = ctx;
  if (src.isScalar(node)) {
    if (typeof node.value === "string") return checkedGlob(node.value, node, field, ctx);
    if (typeof node.value === "number" || typeof node.value === "boolean") return { op: "eq", value: node.value };
    src.add(node, "bad_type", `condition on \`${field}\` must be a pattern or an operator map, got ${describe(node)}`);
    return void 0;
  }
  if (src.isSeq(node)) {
    const tests2 = node.items.map((i) => parseTest(src.deref(i), field, ctx)).filter((t) => t !== void 0);
    if (node.items.length === 0) src.add(node, "bad_value", `empty list of patterns for \`${field}\` would never match`);
    return { op: "any", tests: tests2 };
  }
  if (!src.isMap(node)) {
    src.add(node, "bad_type", `condition on \`${field}\` must be a pattern or an operator map, got ${describe(node)}`);
    return void 0;
  }
  const tests = [];
  for (const [op, v] of src.entries(node, OPERATORS, `the operators of \`${field}\``)) {
    const t = parseOperator(op, v, field, ctx);
    if (t) tests.push(t);
  }
  if (node.items.length === 0) src.add(node, "bad_value", `empty operator map for \`${field}\``);
  return tests.length === 1 ? tests[0] : { op: "all", tests };
}
function parseOperator(op, v, field, ctx) {
  const { src } = ctx;
  switch (op) {
    case "glob":
    case "pattern": {
      if (src.isSeq(v)) return parseTest(v, field, ctx);
      const s = src.string(v, `\`${op}\``);
      return s === void 0 ? void 0 : checkedGlob(s, v, field, ctx);
    }
    case "eq":
    case "neq": {
      const value = scalar(v, ctx, op);
      return value === void 0 ? void 0 : { op, value };
    }
    case "in":
    case "notIn": {
      if (!src.isSeq(v)) {
        src.add(v, "bad_type", `\`${op}\` must be a list, got ${describe(v)}`);
        return void 0;
      }
      const values = v.items.map((i) => scalar(src.deref(i), ctx, op)).filter((x) => x !== void 0);
      return { op, values };
    }
    case "startsWith":
    case "endsWith":
    case "contains": {
      const s = src.string(v, `\`${op}\``);
      if (s === "") src.add(v, "bad_value", `\`${op}\` with an empty string matches everything`);
      return s === void 0 ? void 0 : { op, value: s };
    }
    case "matches": {
      const s = src.string(v, "`matches`");
      if (s === void 0) return void 0;
      const r = compileRegex(s);
      if (!r.ok) src.add(v, "bad_regex", r.reason);
      return { op, regex: s };
    }
    case "exists": {
      if (!src.isScalar(v) || typeof v.value !== "boolean") {
        src.add(v, "bad_type", "`exists` must be true or false");
        return void 0;
      }
      return { op, value: v.value };
    }
    case "all":
    case "any": {
      if (!src.isSeq(v)) {
        src.add(v, "bad_type", `\`${op}\` must be a list of tests`);
        return void 0;
      }
      return { op, tests: v.items.map((i) => parseTest(src.deref(i), field, ctx)).filter((t) => t !== void 0) };
    }
    case "not": {
      const test = parseTest(v, field, ctx);
      return test ? { op, test } : void 0;
    }
  }
  return void 0;
}
function scalar(v, ctx, op) {
  if (ctx.src.isScalar(v) && (v.value === null || ["string", "number", "boolean"].includes(typeof v.value))) return v.value;
  ctx.src.add(v, "bad_type", `\`${op}\` takes strings, numbers or booleans, got ${describe(v)}`);
  return void 0;
}
function checkedGlob(pattern, node, field, ctx) {
  const { src } = ctx;
  try {
    if (field === "path") {
      const r = compilePathPattern(pattern, ctx.cwd);
      if (!r.ok) src.add(node, "bad_glob", r.reason);
      else if (r.matcher.floating) {
        src.warn(node, "bad_glob", `relative path pattern \`${pattern}\` matches at any depth (as \`**/${pattern}\`)`, "set `cwd:` at the top of the policy to anchor relative patterns");
      }
    } else if (field === "host") {
      const r = compileHostPattern(pattern);
      if (!r.ok) src.add(node, "bad_glob", r.reason);
    } else compileWildcard(pattern);
  } catch (e) {
    src.add(node, "bad_glob", e.message);
  }
  return { op: "glob", pattern };
}

// src/policy/validate.ts
var TOP_KEYS = ["version", "description", "name", "defaultAction", "default", "cwd", "rules", "audit"];
var RULE_KEYS = ["id", "description", "action", "actions", "effect", "decision", "reason", "conditions", "when", "rateLimit", "schedule", "expiresAt"];
var FIELD_NAMES = ["path", "host", "domain", "destination", "url", "command", "key", "method", "agent", "port", "scheme", "server", "tool"];
var EFFECTS = { allow: "allow", deny: "deny", require_approval: "require_approval", ask: "require_approval" };
function validateFile(src) {
  const ir = { file: src.file, rules: [] };
  const root = src.doc.contents;
  if (src.errors.length > 0) return ir;
  if (root === null || src.isScalar(root) && root.value === null) {
    src.addAt(0, "no_policy", "policy file is empty");
    return ir;
  }
  if (!src.isMap(root)) {
    src.add(root, "not_a_map", `a policy must be a map with \`rules\`, got ${describe(root)}`);
    return ir;
  }
  let rulesNode;
  let seenDefault;
  for (const [k, v] of src.entries(root, TOP_KEYS, "the policy")) {
    switch (k) {
      case "version": {
        const s = src.isScalar(v) ? String(v.value) : "";
        if (!["1", "1.0"].includes(s)) src.add(v, "bad_value", `unsupported policy version \`${s}\``, "use `version: 1`");
        else ir.version = "1";
        break;
      }
      case "description":
      case "name":
        if (k === "description") ir.description = src.string(v, "`description`");
        else src.string(v, "`name`");
        break;
      case "defaultAction":
      case "default": {
        if (seenDefault) src.add(v, "conflict", `both \`${seenDefault}\` and \`${k}\` are set`);
        seenDefault = k;
        const s = src.string(v, `\`${k}\``);
        if (s === "allow" || s === "deny") ir.defaultAction = { value: s, node: v };
        else if (s !== void 0) src.add(v, "bad_value", `\`${k}\` must be \`allow\` or \`deny\`, got \`${s}\``, didYouMean(s, ["allow", "deny"]));
        break;
      }
      case "cwd": {
        const s = src.string(v, "`cwd`");
        if (s !== void 0 && !s.startsWith("/")) src.add(v, "bad_value", "`cwd` must be an absolute path");
        else if (s !== void 0) ir.cwd = s.replace(/\/+$/, "") || "/";
        break;
      }
      case "audit":
        ir.audit = validateAudit(src, v);
        break;
      case "rules":
        rulesNode = v;
        break;
    }
  }
  if (rulesNode === void 0) return ir;
  if (src.isScalar(rulesNode) && rulesNode.value === null) return ir;
  if (!src.isSeq(rulesNode)) {
    src.add(rulesNode, "bad_type", `\`rules\` must be a list, got ${describe(rulesNode)}`);
    return ir;
  }
  rulesNode.items.forEach((item, index) => {
    const rule = validateRule(src, src.deref(item), index, ir.cwd);
    if (rule) ir.rules.push(rule);
  });
  return ir;
}
function validateRule(src, node, index, cwd) {
  if (!src.isMap(node)) {
    src.add(node, "not_a_map", `rule ${index + 1} must be a map, got ${describe(node)}`);
    return void 0;
  }
  const what = `rule ${index + 1}`;
  const isKey = (k) => RULE_KEYS.includes(k) || canonicalField(k).ok;
  const entries = src.entries(node, isKey, what, [...RULE_KEYS, ...FIELD_NAMES]);
  const get = (k) => entries.find((e) => e[0] === k);
  const rule = { when: [], source: src.pos(node) };
  const idEntry = get("id");
  rule.id = idEntry ? src.string(idEntry[1], "`id`") : void 0;
  rule.id ??= `${src.idBase}#${index + 1}`;
  const actionEntry = get("action") ?? get("actions");
  if (get("action") && get("actions")) src.add(get("actions")[2], "conflict", "both `action` and `actions` are set");
  rule.actions = actionEntry ? parseActions(src, actionEntry[1]) : [];
  if (!actionEntry) src.add(node, "missing_key", `${what} has no \`action\``, 'add e.g. `action: file.read`, or `action: "*"` for every action');
  const effectEntries = entries.filter((e) => e[0] === "effect" || e[0] === "decision");
  if (effectEntries.length > 1) src.add(effectEntries[1][2], "conflict", "both `effect` and `decision` are set");
  const effectEntry = effectEntries[0];
  if (!effectEntry) src.add(node, "missing_key", `${what} has no \`effect\``, "add `effect: allow`, `deny` or `require_approval`");
  else {
    const s = src.string(effectEntry[1], `\`${effectEntry[0]}\``);
    if (s !== void 0) {
      const eff = EFFECTS[s];
      if (eff) rule.effect = eff;
      else src.add(effectEntry[1], "unknown_effect", `unknown effect \`${s}\``, didYouMean(s, Object.keys(EFFECTS)) ?? "use `allow`, `deny` or `require_approval`");
    }
  }
  const reason = get("reason");
  if (reason) rule.reason = src.string(reason[1], "`reason`");
  const desc = get("description");
  if (desc) src.string(desc[1], "`description`");
  const ctx = { src, actions: rule.actions.length ? rule.actions : ["*"], cwd };
  const condEntries = entries.filter((e) => e[0] === "conditions" || e[0] === "when");
  if (condEntries.length > 1) src.add(condEntries[1][2], "conflict", "both `conditions` and `when` are set");
  for (const [k, v, pair] of entries) {
    if (k === "conditions" || k === "when") rule.when.push(...parseConditionMap(v, ctx, `\`${k}\``));
    else if (!RULE_KEYS.includes(k)) {
      const c = parseConditionEntry(k, v, ctx, src.deref(pair.key));
      if (c) rule.when.push(c);
    }
  }
  const rl = get("rateLimit");
  if (rl) rule.rateLimit = validateRateLimit(src, rl[1]);
  const sc = get("schedule");
  if (sc) rule.schedule = validateSchedule(src, sc[1]);
  const ex = get("expiresAt");
  if (ex) {
    const s = src.isScalar(ex[1]) ? String(ex[1].value) : void 0;
    if (s === void 0 || Number.isNaN(Date.parse(s))) src.add(ex[1], "bad_value", "`expiresAt` must be an ISO 8601 date-time, e.g. 2026-12-31T23:59:59Z");
    else rule.expiresAt = new Date(Date.parse(s)).toISOString();
  }
  if (!rule.effect || rule.actions.length === 0) return void 0;
  return rule;
}
function parseActions(src, node) {
  const items = src.isSeq(node) ? node.items.map((i) => src.deref(i)) : [node];
  const out = [];
  for (const item of items) {
    const s = src.string(item, "`action`");
    if (s === void 0) continue;
    const a = canonicalAction(s);
    if (!a.ok) src.add(item, "unknown_action", a.message, a.help);
    else out.push(a.action);
  }
  return out;
}
function validateRateLimit(src, node) {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`rateLimit` must be a map with `maxRequests` and `window`");
    return void 0;
  }
  const e = src.entries(node, ["maxRequests", "window", "per"], "`rateLimit`");
  const max = e.find((x) => x[0] === "maxRequests")?.[1] ?? null;
  const win = e.find((x) => x[0] === "window")?.[1] ?? null;
  const per = e.find((x) => x[0] === "per")?.[1];
  let ok2 = true;
  if (!src.isScalar(max) || typeof max.value !== "number" || !Number.isInteger(max.value) || max.value < 1) {
    src.add(max ?? node, "bad_value", "`rateLimit.maxRequests` must be a positive integer");
    ok2 = false;
  }
  const windowMs = src.isScalar(win) && (typeof win.value === "string" || typeof win.value === "number") ? parseDuration(win.value) : void 0;
  if (windowMs === void 0) {
    src.add(win ?? node, "bad_value", "`rateLimit.window` must be a duration such as `1 minute`, `30s` or `1h`");
    ok2 = false;
  }
  let perValue = "agent";
  if (per !== void 0) {
    const s = src.string(per, "`rateLimit.per`");
    if (s === "agent" || s === "rule") perValue = s;
    else if (s !== void 0) {
      src.add(per, "bad_value", "`rateLimit.per` must be `agent` or `rule`");
      ok2 = false;
    }
  }
  return ok2 ? { maxRequests: max.value, windowMs, per: perValue } : void 0;
}
function validateSchedule(src, node) {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`schedule` must be a map with `days`, `hours` and `timezone`");
    return void 0;
  }
  const s = { timezone: "UTC" };
  let ok2 = true;
  for (const [k, v] of src.entries(node, ["days", "hours", "timezone"], "`schedule`")) {
    if (k === "days") {
      const items = src.isSeq(v) ? v.items.map((i) => src.deref(i)) : [v];
      s.days = [];
      for (const item of items) {
        const d = src.isScalar(item) && typeof item.value === "string" ? parseDay(item.value) : void 0;
        if (d === void 0) {
          src.add(item, "bad_value", `\`schedule.days\` takes day names (${DAY_NAMES.join(", ")})`);
          ok2 = false;
        } else s.days.push(d);
      }
    } else if (k === "hours") {
      const h = src.isScalar(v) && typeof v.value === "string" ? parseHours(v.value) : void 0;
      if (!h) {
        src.add(v, "bad_value", "`schedule.hours` must look like `09:00-17:00`");
        ok2 = false;
      } else s.hours = h;
    } else {
      const tz = src.string(v, "`schedule.timezone`");
      if (tz !== void 0 && !validTimeZone(tz)) {
        src.add(v, "bad_value", `unknown time zone \`${tz}\``, "use an IANA name such as `UTC` or `Europe/Paris`");
        ok2 = false;
      } else if (tz !== void 0) s.timezone = tz;
    }
  }
  return ok2 ? s : void 0;
}
function validateAudit(src, node) {
  if (!src.isMap(node)) {
    src.add(node, "bad_type", "`audit` must be a map");
    return void 0;
  }
  const a = {};
  const choices = { sink: ["stdout", "file", "s3"], format: ["json", "ndjson", "ocsf"], onAuditFailure: ["deny", "allow"] };
  for (const [k, v] of src.entries(node, ["sink", "path", "url", "format", "onAuditFailure"], "`audit`")) {
    const s = src.string(v, `\`audit.${k}\``);
    if (s === void 0) continue;
    const allowed = choices[k];
    if (allowed && !allowed.includes(s)) {
      src.add(v, "bad_value", `\`audit.${k}\` must be one of ${allowed.join(", ")}`, didYouMean(s, allowed));
      continue;
    }
    a[k] = s;
  }
  return a;
}

// src/policy/load.ts
function parsePolicy(sources) {
  const problems = [];
  if (sources.length === 0) {
    problems.push({ code: "no_policy", message: "no policy files were given", file: "(none)", line: 1, column: 1, severity: "error" });
  }
  const files = sources.flatMap((s) => {
    const outer = new YamlSource(s.name, s.text);
    const embedded = outer.errors.length === 0 ? embeddedPolicies(outer) : void 0;
    if (embedded === void 0) return [{ src: outer, ir: validateFile(outer) }];
    if (embedded.length === 0) outer.addAt(0, "no_policy", "ConfigMap has no `data` entry ending in .yaml, .yml or .json");
    const inner = embedded.map((e) => {
      const src = new YamlSource(s.name, e.text, e.shift);
      src.idBase += `:${e.key}`;
      return src;
    });
    return [{ src: outer, ir: validateFile(new YamlSource(s.name, "rules: []")) }, ...inner.map((src) => ({ src, ir: validateFile(src) }))];
  });
  const ir = { defaultAction: "deny", rules: [], sources: sources.map((s) => s.name) };
  let defaultFrom;
  let auditFrom;
  const ids = /* @__PURE__ */ new Map();
  for (const { src, ir: f } of files) {
    if (f.defaultAction) {
      if (defaultFrom && f.defaultAction.value !== ir.defaultAction) {
        src.add(f.defaultAction.node, "conflict", `default \`${f.defaultAction.value}\` conflicts with \`${ir.defaultAction}\` in ${defaultFrom}`);
      }
      ir.defaultAction = f.defaultAction.value;
      defaultFrom = f.file;
    }
    if (f.cwd !== void 0) {
      if (ir.cwd !== void 0 && ir.cwd !== f.cwd) src.addAt(0, "conflict", `\`cwd\` ${f.cwd} conflicts with ${ir.cwd} set in another file`);
      ir.cwd = f.cwd;
    }
    if (f.audit) {
      if (auditFrom) src.addAt(0, "conflict", `\`audit\` is already set in ${auditFrom}`);
      ir.audit = f.audit;
      auditFrom = f.file;
    }
    if (f.description !== void 0 && ir.description === void 0) ir.description = f.description;
    for (const r of f.rules) {
      const prior = ids.get(r.id);
      if (prior) src.addPos(r.source, "duplicate_id", `rule id \`${r.id}\` is already used at ${prior.source.file}:${prior.source.line}:${prior.source.column}`);
      ids.set(r.id, r);
      ir.rules.push(r);
    }
  }
  for (const { src } of files) problems.push(...[...src.errors].sort((a, b) => a.line - b.line || a.column - b.column));
  const errors = problems.filter((e) => e.severity === "error");
  const warnings = problems.filter((e) => e.severity === "warning");
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, ir, warnings };
}
async function loadPolicy(sources) {
  const p = parsePolicy(sources);
  if (!p.ok) return p;
  return { ok: true, policy: compilePolicy(p.ir, await policyDigest(p.ir)), warnings: p.warnings };
}

// src/shell/command-wrappers.ts
var WRAPPERS = {
  sudo: { valueOpts: "ughpCDrtUT", longValueOpts: ["user", "group", "host", "prompt", "close-from", "chdir", "role", "type", "other-user", "command-timeout"] },
  doas: { valueOpts: "uC" },
  env: { valueOpts: "uCS", longValueOpts: ["unset", "chdir", "split-string"], skipAssignments: true },
  nohup: { valueOpts: "" },
  setsid: { valueOpts: "" },
  time: { valueOpts: "fo", longValueOpts: ["format", "output"] },
  command: { valueOpts: "" },
  builtin: { valueOpts: "" },
  exec: { valueOpts: "a" },
  nice: { valueOpts: "n", longValueOpts: ["adjustment"] },
  ionice: { valueOpts: "cnp", longValueOpts: ["class", "classdata", "pid"] },
  timeout: { valueOpts: "sk", longValueOpts: ["signal", "kill-after"], positionals: 1 },
  stdbuf: { valueOpts: "ioe", longValueOpts: ["input", "output", "error"] },
  taskset: { valueOpts: "", positionals: 1 },
  chrt: { valueOpts: "", positionals: 1 },
  flock: { valueOpts: "wEc", longValueOpts: ["timeout", "conflict-exit-code", "command"], positionals: 1 },
  xargs: { valueOpts: "adEILnPs", longValueOpts: ["arg-file", "delimiter", "eof", "replace", "max-lines", "max-args", "max-procs", "max-chars"] },
  unbuffer: { valueOpts: "" },
  watch: { valueOpts: "nd", longValueOpts: ["interval", "differences"] },
  strace: { valueOpts: "eoOpPsSuUXb", positionals: 0 },
  ltrace: { valueOpts: "eoOpPsSuUXb", positionals: 0 }
};
var SHELLS = /* @__PURE__ */ new Set(["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "busybox-sh"]);
var SCRIPT_RUNNERS = /* @__PURE__ */ new Set(["eval", "watch"]);
function unwrap(words) {
  const name = basename(words[0] ?? "");
  const spec = WRAPPERS[name];
  if (!spec) return name === "find" ? findExec(words) : [];
  let i = 1;
  let positionals = spec.positionals ?? 0;
  while (i < words.length) {
    const w = words[i];
    if (w === "--") {
      i++;
      break;
    }
    if (w.startsWith("--") && w.length > 2) {
      const long = w.slice(2);
      i += !long.includes("=") && spec.longValueOpts?.includes(long) ? 2 : 1;
      continue;
    }
    if (w.startsWith("-") && w.length > 1) {
      i++;
      for (let k = 1; k < w.length; k++) {
        if (spec.valueOpts.includes(w[k])) {
          if (k === w.length - 1) i++;
          break;
        }
      }
      continue;
    }
    if (spec.skipAssignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
      continue;
    }
    if (positionals > 0) {
      positionals--;
      i++;
      continue;
    }
    break;
  }
  return i < words.length ? [[i, words.length]] : [];
}
function findExec(words) {
  const inner = [];
  for (let i = 1; i < words.length; i++) {
    if (!/^-(exec|execdir|ok|okdir)$/.test(words[i])) continue;
    let j = i + 1;
    while (j < words.length && words[j] !== ";" && words[j] !== "+") j++;
    if (j > i + 1) inner.push([i + 1, j]);
    i = j;
  }
  return inner;
}
function basename(word2) {
  const slash = word2.lastIndexOf("/");
  return slash < 0 ? word2 : word2.slice(slash + 1);
}
function shellScript(words) {
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === "--") return i + 1 < words.length ? { kind: "file" } : { kind: "stdin" };
    if (w === "-o" || w === "+o" || w === "-O" || w === "+O" || w === "--rcfile" || w === "--init-file") {
      i++;
      continue;
    }
    if (/^-[A-Za-z]+$/.test(w)) {
      if (w.includes("c")) return { kind: "inline", index: i + 1 };
      if (w.includes("s")) return { kind: "stdin" };
      continue;
    }
    if (w.startsWith("--") || w.startsWith("+")) continue;
    return { kind: "file" };
  }
  return { kind: "stdin" };
}

// src/shell/file-effects.ts
var UncertainFile = class extends Error {
};
var READERS = ["cat", "less", "more", "head", "tail", "nl", "tac", "wc", "sort", "uniq", "strings", "od", "xxd", "hexdump", "base64", "md5sum", "sha1sum", "sha256sum", "sha512sum", "file", "diff", "cmp", "bat", "source", "."];
var SPECS = {
  ...Object.fromEntries(READERS.map((n) => [n, { kind: "read" }])),
  head: { kind: "read", valueOpts: "nc", longValueOpts: ["lines", "bytes"] },
  tail: { kind: "read", valueOpts: "ncs", longValueOpts: ["lines", "bytes", "pid", "sleep-interval"] },
  sort: { kind: "read", valueOpts: "ktoST", longValueOpts: ["key", "field-separator", "output", "buffer-size", "temporary-directory"], writeOpts: ["-o", "--output"] },
  diff: { kind: "read", valueOpts: "UCFILx", longValueOpts: ["label", "exclude", "ignore-matching-lines"] },
  grep: { kind: "search", valueOpts: "efmABCd", longValueOpts: ["regexp", "file", "max-count", "after-context", "before-context", "context", "include", "exclude", "exclude-dir", "label", "devices", "directories"] },
  egrep: { kind: "search", valueOpts: "efmABC" },
  fgrep: { kind: "search", valueOpts: "efmABC" },
  rg: { kind: "search", valueOpts: "efmABCgtT", longValueOpts: ["regexp", "file", "glob", "type", "max-count", "context", "after-context", "before-context"] },
  awk: { kind: "script", valueOpts: "fvF" },
  sed: { kind: "stream-edit", valueOpts: "efl", longValueOpts: ["expression", "file", "line-length"] },
  tee: { kind: "write" },
  touch: { kind: "write", valueOpts: "drt", longValueOpts: ["date", "reference"] },
  truncate: { kind: "write", valueOpts: "sr", longValueOpts: ["size", "reference"] },
  rm: { kind: "delete" },
  unlink: { kind: "delete" },
  shred: { kind: "delete", valueOpts: "ns", longValueOpts: ["iterations", "size"] },
  cp: { kind: "copy", valueOpts: "tS", longValueOpts: ["target-directory", "suffix"] },
  mv: { kind: "move", valueOpts: "tS", longValueOpts: ["target-directory", "suffix"] }
};
function fileEffects(name, args) {
  const spec = SPECS[name];
  if (!spec) return void 0;
  const { files, options } = splitArgs(args, spec);
  const out = { reads: [], writes: [], deletes: [] };
  let operands = files;
  if (spec.kind === "search" || spec.kind === "script" || spec.kind === "stream-edit") {
    const given = options.some((o) => spec.kind === "script" ? /^-(f)/.test(o) : /^-(e|f)|^--(regexp|expression|file)/.test(o));
    if (!given) operands = operands.slice(1);
  }
  for (const w of operands) {
    if (w.dynamic || w.glob) throw new UncertainFile(`\`${name}\` file argument \`${w.text}\` is only known at run time`);
  }
  const paths = operands.map((w) => w.text).filter((p) => p !== "-");
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    const eq = o.indexOf("=");
    if (eq > 0 && spec.writeOpts?.includes(o.slice(0, eq))) out.writes.push(o.slice(eq + 1));
    else if (spec.writeOpts?.includes(o) && options[i + 1] !== void 0) out.writes.push(options[++i]);
  }
  switch (spec.kind) {
    case "read":
    case "search":
    case "script":
      out.reads.push(...paths);
      break;
    case "stream-edit":
      out.reads.push(...paths);
      if (options.some((o) => /^-[a-zA-Z]*i|^--in-place/.test(o))) out.writes.push(...paths);
      break;
    case "write":
      out.writes.push(...paths);
      break;
    case "delete":
      out.deletes.push(...paths);
      break;
    case "copy":
    case "move": {
      const target = targetDirectory(options);
      const sources = target === void 0 ? paths.slice(0, -1) : paths;
      const dest = target ?? paths[paths.length - 1];
      out.reads.push(...sources);
      if (spec.kind === "move") out.deletes.push(...sources);
      if (dest !== void 0) out.writes.push(dest);
      break;
    }
  }
  return out;
}
function targetDirectory(options) {
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    if (o.startsWith("--target-directory=")) return o.slice("--target-directory=".length);
    if ((o === "-t" || o === "--target-directory") && options[i + 1] !== void 0) return options[i + 1];
  }
  return void 0;
}
function splitArgs(args, spec) {
  const files = [];
  const options = [];
  let i = 0;
  for (; i < args.length; i++) {
    const w = args[i];
    const t = w.text;
    if (t === "--") {
      files.push(...args.slice(i + 1));
      break;
    }
    if (t.startsWith("--") && t.length > 2) {
      options.push(t);
      if (!t.includes("=") && spec.longValueOpts?.includes(t.slice(2)) && args[i + 1]) options.push(args[++i].text);
      continue;
    }
    if (t.startsWith("-") && t.length > 1 && !/^-\d+$/.test(t)) {
      options.push(t);
      const letters = t.slice(1);
      for (let k = 0; k < letters.length; k++) {
        if (spec.valueOpts?.includes(letters[k])) {
          if (k === letters.length - 1 && args[i + 1]) options.push(args[++i].text);
          break;
        }
      }
      continue;
    }
    if (/^-\d+$/.test(t)) {
      options.push(t);
      continue;
    }
    files.push(w);
  }
  return { files, options };
}

// src/shell/shell-parse.ts
var MAX_SHELL_DEPTH = 12;
var MAX_SIMPLE_COMMANDS = 1e3;
var ShellSyntaxError = class extends Error {
};
var META = " 	\n;&|()<>";
var IGNORED_KEYWORDS = /* @__PURE__ */ new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"]);
var HEADER_KEYWORDS = /* @__PURE__ */ new Set(["for", "select"]);
var UNSUPPORTED_KEYWORDS = /* @__PURE__ */ new Set(["case", "esac", "function", "[[", "]]", "coproc"]);
var ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;
function parseShell(src, depth = 0) {
  try {
    const out = [];
    new Parser(src, depth, out).parseScript();
    return { ok: true, commands: out };
  } catch (e) {
    if (e instanceof ShellSyntaxError) return { ok: false, reason: e.message };
    throw e;
  }
}
var Parser = class _Parser {
  constructor(src, depth, out) {
    this.src = src;
    this.depth = depth;
    this.out = out;
    if (depth > MAX_SHELL_DEPTH) throw new ShellSyntaxError(`command nests deeper than ${MAX_SHELL_DEPTH} levels`);
  }
  src;
  depth;
  out;
  i = 0;
  pending = [];
  parseScript() {
    this.parseList(null, this.depth);
    if (this.pending.length > 0) throw new ShellSyntaxError(`here-document \`${this.pending[0].delim}\` is not terminated`);
  }
  emit(cmd) {
    if (this.out.length >= MAX_SIMPLE_COMMANDS) throw new ShellSyntaxError(`more than ${MAX_SIMPLE_COMMANDS} commands`);
    this.out.push(cmd);
  }
  /** Parses commands until the end of input or the `)` that closes a nested list. */
  parseList(closer, depth) {
    if (depth > MAX_SHELL_DEPTH) throw new ShellSyntaxError(`command nests deeper than ${MAX_SHELL_DEPTH} levels`);
    const s = this.src;
    let cur;
    let discard = false;
    let piped = false;
    const finish = (nextPiped) => {
      if (cur && !discard && (cur.words.length || cur.assignments.length || cur.redirects.length)) this.emit(cur);
      cur = void 0;
      discard = false;
      piped = nextPiped;
    };
    const current = () => cur ??= { assignments: [], words: [], redirects: [], piped };
    for (; ; ) {
      const c = s[this.i];
      if (c === void 0) {
        if (closer) throw new ShellSyntaxError("unterminated `(`");
        finish(false);
        return;
      }
      if (c === " " || c === "	") {
        this.i++;
      } else if (c === "\\" && s[this.i + 1] === "\n") {
        this.i += 2;
      } else if (c === "\n") {
        finish(false);
        this.i++;
        this.readHeredocs();
      } else if (c === "#") {
        while (this.i < s.length && s[this.i] !== "\n") this.i++;
      } else if (c === ")") {
        if (closer !== ")") throw new ShellSyntaxError("unbalanced `)`");
        finish(false);
        this.i++;
        return;
      } else if (c === ";") {
        if (s[this.i + 1] === ";") throw new ShellSyntaxError("`;;` (case syntax) is not supported");
        finish(false);
        this.i++;
      } else if (c === "&" && s[this.i + 1] !== ">") {
        this.i += s[this.i + 1] === "&" ? 2 : 1;
        finish(false);
      } else if (c === "|") {
        const isOr = s[this.i + 1] === "|";
        this.i += isOr || s[this.i + 1] === "&" ? 2 : 1;
        finish(!isOr);
      } else if (c === "(") {
        if (cur && cur.words.length > 0) throw new ShellSyntaxError("function definitions are not supported");
        if (s[this.i + 1] === "(") throw new ShellSyntaxError("arithmetic commands `((...))` are not supported");
        finish(false);
        this.i++;
        this.parseList(")", depth + 1);
      } else if (this.atRedirect()) {
        this.parseRedirect(current());
      } else {
        const w = this.parseWord(depth);
        const cmd = current();
        if (cmd.words.length === 0 && !w.quoted) {
          if (cmd.assignments.length === 0 && IGNORED_KEYWORDS.has(w.text)) continue;
          if (UNSUPPORTED_KEYWORDS.has(w.text)) throw new ShellSyntaxError(`\`${w.text}\` is not supported`);
          if (cmd.assignments.length === 0 && HEADER_KEYWORDS.has(w.text)) discard = true;
          if (ASSIGNMENT.test(w.text) && !w.text.startsWith("=")) {
            cmd.assignments.push(w);
            continue;
          }
        }
        cmd.words.push(w);
      }
    }
  }
  atRedirect() {
    const s = this.src;
    let j = this.i;
    while (j < s.length && s[j] >= "0" && s[j] <= "9") j++;
    const c = s[j];
    if (c === "<" || c === ">") return s[j + 1] !== "(" || j > this.i;
    return j === this.i && c === "&" && s[j + 1] === ">";
  }
  parseRedirect(cmd) {
    const s = this.src;
    while (s[this.i] >= "0" && s[this.i] <= "9") this.i++;
    let op = "";
    for (const candidate of ["&>>", "<<<", "<<-", "&>", ">>", ">|", ">&", "<&", "<>", "<<", "<", ">"]) {
      if (s.startsWith(candidate, this.i)) {
        op = candidate;
        break;
      }
    }
    this.i += op.length;
    while (s[this.i] === " " || s[this.i] === "	") this.i++;
    if (this.i >= s.length || META.includes(s[this.i])) throw new ShellSyntaxError(`redirection \`${op}\` has no target`);
    const start = this.i;
    const target = this.parseWord(this.depth);
    if (op === "<<" || op === "<<-") {
      const literal = target.quoted || /["'\\]/.test(s.slice(start, this.i));
      this.pending.push({ delim: target.text, stripTabs: op === "<<-", literal, cmd });
      return;
    }
    if (op === "<<<") {
      cmd.stdin = target;
      return;
    }
    cmd.redirects.push({ op, target });
  }
  readHeredocs() {
    const s = this.src;
    for (const h of this.pending.splice(0)) {
      let body = "";
      for (; ; ) {
        if (this.i >= s.length) throw new ShellSyntaxError(`here-document \`${h.delim}\` is not terminated`);
        let nl = s.indexOf("\n", this.i);
        if (nl < 0) nl = s.length;
        let line = s.slice(this.i, nl);
        this.i = Math.min(nl + 1, s.length);
        if (h.stripTabs) line = line.replace(/^\t+/, "");
        if (line === h.delim) break;
        body += line + "\n";
      }
      let dynamic = false;
      if (!h.literal) {
        const scan2 = new _Parser(body, this.depth + 1, this.out);
        dynamic = scan2.scanExpansions();
      }
      h.cmd.stdin = { text: body, dynamic, glob: false, brace: false, quoted: true };
    }
  }
  /** Walks text that is not a command list but may contain expansions. */
  scanExpansions() {
    const b = { text: "", dynamic: false, glob: false, quoted: false };
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === "\\") this.i += 2;
      else if (c === "$") this.parseDollar(b, true, this.depth);
      else if (c === "`") this.parseBacktick(b, this.depth);
      else this.i++;
    }
    return b.dynamic;
  }
  parseWord(depth) {
    const s = this.src;
    const b = { text: "", dynamic: false, glob: false, quoted: false };
    let braceDepth = 0;
    let braceSep = false;
    let brace = false;
    while (this.i < s.length) {
      const c = s[this.i];
      if ((c === "<" || c === ">") && s[this.i + 1] === "(") {
        const start = this.i;
        this.i += 2;
        this.parseList(")", depth + 1);
        b.text += s.slice(start, this.i);
        b.dynamic = true;
        continue;
      }
      if (META.includes(c)) break;
      if (c === "\\") {
        if (s[this.i + 1] === "\n") {
          this.i += 2;
          continue;
        }
        b.text += s[this.i + 1] ?? "";
        b.quoted = true;
        this.i += 2;
      } else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated single quote");
        b.text += s.slice(this.i + 1, end);
        b.quoted = true;
        this.i = end + 1;
      } else if (c === '"') {
        this.parseDouble(b, depth);
      } else if (c === "$") {
        this.parseDollar(b, false, depth);
      } else if (c === "`") {
        this.parseBacktick(b, depth);
      } else {
        if (c === "*" || c === "?" || c === "[") b.glob = true;
        if (c === "{") braceDepth++;
        else if (c === "}" && braceDepth > 0) {
          if (braceSep) brace = true;
          braceDepth--;
        } else if (braceDepth > 0 && (c === "," || c === "." && s[this.i + 1] === ".")) braceSep = true;
        b.text += c;
        this.i++;
      }
    }
    return { text: b.text, dynamic: b.dynamic, glob: b.glob, brace, quoted: b.quoted };
  }
  parseDouble(b, depth) {
    const s = this.src;
    b.quoted = true;
    this.i++;
    for (; ; ) {
      const c = s[this.i];
      if (c === void 0) throw new ShellSyntaxError("unterminated double quote");
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") this.i += 2;
        else if (n === "$" || n === "`" || n === '"' || n === "\\") {
          b.text += n;
          this.i += 2;
        } else {
          b.text += c;
          this.i++;
        }
      } else if (c === "$") this.parseDollar(b, true, depth);
      else if (c === "`") this.parseBacktick(b, depth);
      else {
        b.text += c;
        this.i++;
      }
    }
  }
  parseDollar(b, inDouble, depth) {
    const s = this.src;
    const start = this.i;
    const n = s[this.i + 1];
    if (n === "'" && !inDouble) {
      this.i += 2;
      b.text += this.ansiC();
      b.quoted = true;
      return;
    }
    if (n === '"' && !inDouble) {
      this.i++;
      this.parseDouble(b, depth);
      return;
    }
    if (n === "(") {
      if (s[this.i + 2] === "(") this.parseArithmetic(depth);
      else {
        this.i += 2;
        this.parseList(")", depth + 1);
      }
    } else if (n === "{") {
      this.i += 2;
      this.parseParameter(depth);
    } else if (n !== void 0 && /[A-Za-z_]/.test(n)) {
      this.i += 2;
      while (this.i < s.length && /[A-Za-z0-9_]/.test(s[this.i])) this.i++;
    } else if (n !== void 0 && /[0-9@*#?$!-]/.test(n)) {
      this.i += 2;
    } else {
      b.text += "$";
      this.i++;
      return;
    }
    b.text += s.slice(start, this.i);
    b.dynamic = true;
  }
  /** `${...}`: may hold `$(...)`, backticks and quotes in its operands. */
  parseParameter(depth) {
    const s = this.src;
    const scratch = { text: "", dynamic: false, glob: false, quoted: false };
    for (; ; ) {
      const c = s[this.i];
      if (c === void 0) throw new ShellSyntaxError("unterminated `${`");
      if (c === "}") {
        this.i++;
        return;
      }
      if (c === "\\") this.i += 2;
      else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("unterminated single quote");
        this.i = end + 1;
      } else if (c === '"') this.parseDouble(scratch, depth);
      else if (c === "$") this.parseDollar(scratch, false, depth);
      else if (c === "`") this.parseBacktick(scratch, depth);
      else this.i++;
    }
  }
  /** `$((...))`: not a command, but command substitutions inside it still run. */
  parseArithmetic(depth) {
    const s = this.src;
    const scratch = { text: "", dynamic: false, glob: false, quoted: false };
    this.i += 3;
    let parens = 0;
    for (; ; ) {
      const c = s[this.i];
      if (c === void 0) throw new ShellSyntaxError("unterminated `$((`");
      if (c === "(") parens++;
      else if (c === ")") {
        if (parens === 0) {
          if (s[this.i + 1] !== ")") throw new ShellSyntaxError("malformed `$((...))`");
          this.i += 2;
          return;
        }
        parens--;
      } else if (c === "$") {
        this.parseDollar(scratch, true, depth);
        continue;
      } else if (c === "`") {
        this.parseBacktick(scratch, depth);
        continue;
      }
      this.i++;
    }
  }
  parseBacktick(b, depth) {
    const s = this.src;
    const start = this.i;
    this.i++;
    let inner = "";
    for (; ; ) {
      const c = s[this.i];
      if (c === void 0) throw new ShellSyntaxError("unterminated backtick");
      if (c === "`") {
        this.i++;
        break;
      }
      if (c === "\\" && (s[this.i + 1] === "`" || s[this.i + 1] === "\\" || s[this.i + 1] === "$")) {
        inner += s[this.i + 1];
        this.i += 2;
      } else {
        inner += c;
        this.i++;
      }
    }
    new _Parser(inner, depth + 1, this.out).parseScript();
    b.text += s.slice(start, this.i);
    b.dynamic = true;
  }
  /** `$'...'` with C escapes: `$'\x72m'` is `rm`, so it is decoded, not kept raw. */
  ansiC() {
    const s = this.src;
    let out = "";
    for (; ; ) {
      const c = s[this.i];
      if (c === void 0) throw new ShellSyntaxError("unterminated `$'`");
      this.i++;
      if (c === "'") return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = s[this.i++];
      const simple2 = { n: "\n", t: "	", r: "\r", a: "\x07", b: "\b", e: "\x1B", E: "\x1B", f: "\f", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?" };
      if (e !== void 0 && simple2[e] !== void 0) out += simple2[e];
      else if (e === "x" || e === "u" || e === "U") {
        const max = e === "x" ? 2 : e === "u" ? 4 : 8;
        const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(s.slice(this.i));
        if (!m) throw new ShellSyntaxError(`bad \`\\${e}\` escape in $'...'`);
        this.i += m[0].length;
        out += String.fromCodePoint(parseInt(m[0], 16));
      } else if (e !== void 0 && e >= "0" && e <= "7") {
        const m = /^[0-7]{0,2}/.exec(s.slice(this.i));
        this.i += m[0].length;
        out += String.fromCharCode(parseInt(e + m[0], 8) & 255);
      } else {
        throw new ShellSyntaxError(`escape \`\\${e ?? ""}\` in $'...' is not supported`);
      }
    }
  }
};

// src/shell/command-checks.ts
var Uncertain = class extends Error {
};
var HARMLESS_TARGETS = /* @__PURE__ */ new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/0", "/dev/fd/1", "/dev/fd/2"]);
var DIRECTORY_CHANGERS = /* @__PURE__ */ new Set(["cd", "pushd", "popd"]);
function analyzeCommand(line) {
  const acc = { checks: [], reads: [], writes: [], deletes: [] };
  let changesDir = false;
  try {
    changesDir = addScript(line, 0, acc);
  } catch (e) {
    if (e instanceof Uncertain) return { ok: false, reason: e.message };
    throw e;
  }
  if (changesDir && [...acc.reads, ...acc.writes, ...acc.deletes].some((p) => !p.startsWith("/"))) {
    return { ok: false, reason: "a relative file path follows `cd`: the directory it refers to is not known before the command runs" };
  }
  const harmless = (p) => !HARMLESS_TARGETS.has(p);
  acc.reads = [...new Set(acc.reads.filter(harmless))];
  acc.writes = [...new Set(acc.writes.filter(harmless))];
  acc.deletes = [...new Set(acc.deletes.filter(harmless))];
  if (acc.checks.length > 1) acc.checks = [...new Set(acc.checks)];
  return { ok: true, analysis: acc };
}
function addScript(src, depth, acc) {
  if (depth > MAX_SHELL_DEPTH) throw new Uncertain(`command nests deeper than ${MAX_SHELL_DEPTH} levels`);
  const parsed = parseShell(src, depth);
  if (!parsed.ok) throw new Uncertain(`cannot parse command: ${parsed.reason}`);
  let changesDir = false;
  for (const sc of parsed.commands) changesDir = addSimple(sc, depth, acc) || changesDir;
  return changesDir;
}
function addSimple(sc, depth, acc) {
  for (const w of [...sc.assignments, ...sc.words]) {
    if (w.brace) throw new Uncertain(`brace expansion in \`${w.text}\` is not supported; write the words out`);
  }
  for (const r of sc.redirects) addRedirect(r.op, r.target, acc);
  if (sc.words.length === 0) {
    if (sc.assignments.length > 0) acc.checks.push(sc.assignments.map((w) => w.text).join(" "));
    return false;
  }
  return addWords(sc.words, sc.assignments, depth, sc, acc);
}
function addRedirect(op, target, acc) {
  if ((op === ">&" || op === "<&") && /^(\d+|-)$/.test(target.text)) return;
  if (target.dynamic || target.glob) throw new Uncertain(`redirection target \`${target.text}\` is only known at run time`);
  if (HARMLESS_TARGETS.has(target.text)) return;
  if (op === "<" || op === "<&" || op === "<>") acc.reads.push(target.text);
  if (op !== "<" && op !== "<&") acc.writes.push(target.text);
}
function addWords(words, assignments, depth, sc, acc) {
  const head = words[0];
  if (head.dynamic) throw new Uncertain(`command name \`${head.text}\` is only known at run time`);
  if (head.glob) throw new Uncertain(`command name \`${head.text}\` contains glob characters`);
  const texts = words.map((w) => w.text);
  const name = basename(head.text);
  acc.checks.push([...assignments.map((w) => w.text), ...texts].join(" "));
  if (assignments.length > 0) acc.checks.push(texts.join(" "));
  if (head.text.includes("/")) acc.checks.push([name, ...texts.slice(1)].join(" "));
  let changesDir = DIRECTORY_CHANGERS.has(name);
  try {
    const fx = fileEffects(name, words.slice(1));
    if (fx) {
      acc.reads.push(...fx.reads);
      acc.writes.push(...fx.writes);
      acc.deletes.push(...fx.deletes);
    }
  } catch (e) {
    if (e instanceof UncertainFile) throw new Uncertain(e.message);
    throw e;
  }
  if (SHELLS.has(name)) {
    const where = shellScript(texts);
    if (where.kind === "inline") {
      const script = words[where.index];
      if (!script) throw new Uncertain(`\`${name} -c\` without a script`);
      if (script.dynamic) throw new Uncertain(`the script given to \`${name} -c\` is only known at run time`);
      changesDir = addScript(script.text, depth + 1, acc) || changesDir;
    } else if (where.kind === "stdin") {
      if (sc.stdin) {
        if (sc.stdin.dynamic) throw new Uncertain(`the script fed to \`${name}\` is only known at run time`);
        changesDir = addScript(sc.stdin.text, depth + 1, acc) || changesDir;
      } else if (sc.piped) {
        throw new Uncertain(`\`${name}\` reads its script from a pipe, which cannot be inspected`);
      }
    }
  }
  if (name === "eval") {
    const args = words.slice(1);
    if (args.some((w) => w.dynamic)) throw new Uncertain("`eval` of text only known at run time");
    changesDir = addScript(args.map((w) => w.text).join(" "), depth + 1, acc) || changesDir;
  }
  for (const [start, end] of unwrap(texts)) {
    const innerWords = words.slice(start, end);
    if (SCRIPT_RUNNERS.has(name)) {
      if (innerWords.some((w) => w.dynamic)) throw new Uncertain(`\`${name}\` of text only known at run time`);
      changesDir = addScript(innerWords.map((w) => w.text).join(" "), depth + 1, acc) || changesDir;
    } else {
      changesDir = addWords(innerWords, [], depth + 1, sc, acc) || changesDir;
    }
  }
  return changesDir;
}

// src/request/normalize-url.ts
var MAX_URL_LENGTH = 8192;
var DEFAULT_PORTS = { "http:": 80, "https:": 443, "ws:": 80, "wss:": 443, "ftp:": 21 };
function normalizeUrl(raw) {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `url is longer than ${MAX_URL_LENGTH} characters` };
  let u;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: `url \`${printable(raw.slice(0, 200))}\` is not an absolute URL` };
  }
  const defaultPort = DEFAULT_PORTS[u.protocol];
  if (defaultPort === void 0) return { ok: false, reason: `url scheme \`${u.protocol}\` is not supported (http, https, ws, wss, ftp)` };
  if (u.hostname === "") return { ok: false, reason: "url has no host" };
  const href = `${u.protocol}//${u.host}${u.pathname}${u.search}`;
  const host = canonicalHostname(u.hostname);
  return {
    ok: true,
    target: { url: href, scheme: u.protocol.slice(0, -1), host, port: u.port === "" ? defaultPort : Number(u.port) }
  };
}
function normalizeHostTarget(rawHost, port, scheme) {
  const h = normalizeHost(rawHost);
  if (!h.ok) return h;
  const s = (scheme ?? "https").toLowerCase();
  return { ok: true, target: { scheme: s, host: h.host, port: port ?? DEFAULT_PORTS[s + ":"] ?? 443 } };
}

// src/request/normalize-request.ts
var COMMON = ["action", "id", "agent", "context"];
var FIELDS_BY_ACTION2 = {
  "file.read": ["path", "cwd"],
  "file.write": ["path", "cwd"],
  "file.delete": ["path", "cwd"],
  "shell.execute": ["command", "cwd"],
  "network.request": ["url", "host", "port", "method", "scheme"],
  "env.read": ["key"],
  "mcp.call": ["server", "tool", "arguments"]
};
var CUSTOM_FIELDS = ["arguments"];
var ALLOWED = new Map(Object.entries(FIELDS_BY_ACTION2).map(([a, f]) => [a, /* @__PURE__ */ new Set([...COMMON, ...f])]));
var ALLOWED_CUSTOM = /* @__PURE__ */ new Set([...COMMON, ...CUSTOM_FIELDS]);
var MAX_COMMAND_LENGTH = 65536;
var MAX_SHORT = 1024;
var MAX_CONTEXT_JSON = 65536;
var METHOD = /^[A-Za-z]{1,32}$/;
var Bad = class extends Error {
};
function normalizeRequest(input, opts = {}) {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return { ok: false, reason: `request must be a JSON object, got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}` };
  }
  const r = input;
  if (!Object.hasOwn(r, "action")) return { ok: false, reason: "request has no `action`" };
  if (typeof r.action !== "string") return { ok: false, reason: "`action` must be a string" };
  const parsed = canonicalAction(r.action);
  if (!parsed.ok) return { ok: false, reason: parsed.message + (parsed.help ? ` (${parsed.help})` : "") };
  if (parsed.wildcard) return { ok: false, reason: `\`${r.action}\` is a pattern; a request names one action` };
  const action = parsed.action;
  try {
    return { ok: true, request: build(action, r, opts) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, reason: e.message, action };
    throw e;
  }
}
function build(action, r, opts) {
  const allowed = (isBuiltinAction(action) ? ALLOWED.get(action) : void 0) ?? ALLOWED_CUSTOM;
  for (const k in r) {
    if (Object.hasOwn(r, k) && !allowed.has(k)) throw new Bad(`field \`${printable(k)}\` does not belong to a \`${action}\` request (fields: ${[...allowed].join(", ")})`);
  }
  const base = { action };
  const agent = optString(r, "agent", MAX_SHORT);
  if (agent !== void 0) base.agent = agent;
  if (r.context !== void 0) base.context = jsonObject(r.context, "context");
  if (r.arguments !== void 0) base.arguments = jsonObject(r.arguments, "arguments");
  const id = optString(r, "id", 128);
  const out = { action, subjects: [] };
  if (id !== void 0) out.id = id;
  const cwd = optString(r, "cwd", 4096) ?? opts.cwd;
  switch (action) {
    case "file.read":
    case "file.write":
    case "file.delete": {
      base.path = resolve(reqString(r, "path", 4096), cwd, "path");
      out.subjects.push(base);
      break;
    }
    case "env.read": {
      const key = reqString(r, "key", 256);
      if (key.length === 0 || /[=\u0000]/.test(key)) throw new Bad("`key` must be a non-empty name without `=` or NUL");
      base.key = key;
      out.subjects.push(base);
      break;
    }
    case "mcp.call": {
      base.server = reqString(r, "server", MAX_SHORT);
      base.tool = reqString(r, "tool", MAX_SHORT);
      out.subjects.push(base);
      break;
    }
    case "network.request":
      out.subjects.push(network(r, base));
      break;
    case "shell.execute":
      out.subjects.push(...shell(reqString(r, "command", MAX_COMMAND_LENGTH), cwd, base));
      break;
    default:
      out.subjects.push(base);
  }
  return out;
}
function network(r, base) {
  const url = optString(r, "url", 8192);
  const host = optString(r, "host", MAX_SHORT);
  const scheme = optString(r, "scheme", 16);
  let port;
  if (r.port !== void 0) {
    if (typeof r.port !== "number" || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535) throw new Bad("`port` must be an integer from 1 to 65535");
    port = r.port;
  }
  if (url === void 0 && host === void 0) throw new Bad("a `network.request` needs `url` or `host`");
  const target = url !== void 0 ? normalizeUrl(url) : normalizeHostTarget(host, port, scheme);
  if (!target.ok) throw new Bad(target.reason);
  const t = target.target;
  if (url !== void 0) {
    if (host !== void 0) {
      const h = normalizeHostTarget(host, void 0, void 0);
      if (!h.ok) throw new Bad(h.reason);
      if (h.target.host !== t.host) throw new Bad(`\`host\` (${h.target.host}) and the host of \`url\` (${t.host}) disagree`);
    }
    if (port !== void 0 && port !== t.port) throw new Bad(`\`port\` (${port}) and the port of \`url\` (${t.port}) disagree`);
    if (scheme !== void 0 && scheme.toLowerCase() !== t.scheme) throw new Bad(`\`scheme\` and the scheme of \`url\` disagree`);
  }
  const subject = base;
  subject.host = t.host;
  subject.port = t.port;
  subject.scheme = t.scheme;
  if (t.url !== void 0) subject.url = t.url;
  const method = optString(r, "method", 32);
  if (method !== void 0) {
    if (!METHOD.test(method)) throw new Bad(`\`method\` \`${printable(method)}\` is not an HTTP method`);
    subject.method = method.toUpperCase();
  }
  return subject;
}
function shell(command, cwd, base) {
  if (command.trim().length === 0) throw new Bad("`command` is empty");
  if (command.includes("\0")) throw new Bad("`command` contains a NUL byte");
  const a = analyzeCommand(command);
  if (!a.ok) throw new Bad(a.reason);
  const out = [];
  const like = (action) => {
    const s = { action };
    if (base.agent !== void 0) s.agent = base.agent;
    if (base.context !== void 0) s.context = base.context;
    return s;
  };
  for (const command2 of a.analysis.checks) {
    const s = like("shell.execute");
    s.command = command2;
    out.push(s);
  }
  for (const [action, paths] of [["file.read", a.analysis.reads], ["file.write", a.analysis.writes], ["file.delete", a.analysis.deletes]]) {
    for (const p of paths) {
      const s = like(action);
      s.path = resolve(p, cwd, "a file the command names");
      s.viaRedirection = true;
      out.push(s);
    }
  }
  return out;
}
function resolve(raw, cwd, what) {
  const p = normalizePath(raw, cwd);
  if (!p.ok) throw new Bad(`${what}: ${p.reason}`);
  return p.path;
}
function reqString(r, k, max) {
  if (r[k] === void 0) throw new Bad(`a \`${r.action}\` request needs \`${k}\``);
  return optString(r, k, max);
}
function optString(r, k, max) {
  const v = r[k];
  if (v === void 0) return void 0;
  if (typeof v !== "string") throw new Bad(`\`${k}\` must be a string, got ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`);
  if (v.length > max) throw new Bad(`\`${k}\` is longer than ${max} characters`);
  return v;
}
function jsonObject(v, k) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Bad(`\`${k}\` must be an object`);
  let size;
  try {
    size = JSON.stringify(v).length;
  } catch {
    throw new Bad(`\`${k}\` is not plain JSON`);
  }
  if (size > MAX_CONTEXT_JSON) throw new Bad(`\`${k}\` is larger than ${MAX_CONTEXT_JSON} bytes of JSON`);
  return v;
}

// src/engine/decision.ts
var SEVERITY = { allow: 0, require_approval: 1, deny: 2 };

// src/engine/evaluate.ts
function evaluate(policy, input, opts) {
  try {
    return decide(policy, input, opts);
  } catch (e) {
    return {
      decision: "deny",
      allowed: false,
      rule: null,
      reason: `internal error while evaluating; denied: ${e?.message ?? String(e)}`,
      policy: policy.digest,
      error: "internal_error"
    };
  }
}
function decide(policy, input, opts) {
  const n = normalizeRequest(input, policy.requestOptions);
  if (!n.ok) {
    const d2 = { decision: "deny", allowed: false, rule: null, reason: `invalid request: ${n.reason}`, policy: policy.digest, error: n.reason };
    if (n.action !== void 0) d2.action = n.action;
    return d2;
  }
  const { subjects, action } = n.request;
  const explain = opts.explain ? [] : void 0;
  let worst;
  let worstSubject;
  for (const subject of subjects) {
    const o2 = decideSubject(policy, subject, opts);
    if (explain) explain.push(explainSubject(policy, subject, o2, opts.nowMs));
    if (!worst || outranks(o2, worst)) {
      worst = o2;
      worstSubject = subject;
    }
    if (worst.effect === "deny" && worst.rule && !explain) break;
  }
  const o = worst;
  const reason = subjects.length > 1 && o.effect !== "allow" ? `${o.reason} (${describeSubject(worstSubject)})` : o.reason;
  const d = { decision: o.effect, allowed: o.effect === "allow", rule: o.rule?.id ?? null, reason, policy: policy.digest, action };
  if (explain) d.explain = explain;
  return d;
}
function outranks(a, b) {
  const d = SEVERITY[a.effect] - SEVERITY[b.effect];
  return d > 0 || d === 0 && a.rule !== void 0 && b.rule === void 0;
}
function decideSubject(policy, s, opts) {
  const i = policy.bucket(s.action).firstMatch(s, opts.nowMs);
  if (i < 0) {
    const def = policy.ir.defaultAction;
    return { effect: def, rule: void 0, reason: `no rule matched; the policy default is ${def}` };
  }
  const rule = policy.rules[i];
  if (rule.rateLimit && opts.rateLimits) {
    const bucket = rule.rateLimit.per === "rule" ? rule.id : `${rule.id}\0${s.agent ?? ""}`;
    if (!opts.rateLimits.hit(bucket, rule.rateLimit, opts.nowMs)) {
      return { effect: "deny", rule, reason: `rate limit of rule ${rule.id} exceeded (${rule.rateLimit.maxRequests} per ${rule.rateLimit.windowMs / 1e3}s)` };
    }
  }
  return { effect: rule.effect, rule, reason: rule.reason ?? `rule ${rule.id} (${rule.effect})` };
}
function explainSubject(policy, s, o, nowMs) {
  const rules = [];
  for (const i of policy.bucket(s.action).members) {
    const r = policy.rules[i];
    if (!r.activeAt(nowMs)) rules.push({ rule: r.id, matched: false, why: "not active now (schedule or expiresAt)" });
    else if (r.test(s)) {
      rules.push({ rule: r.id, matched: true, why: `all conditions hold; effect ${r.effect}` });
      break;
    } else rules.push({ rule: r.id, matched: false, why: `condition on ${failingFields(r, s).join(", ")} does not hold` });
  }
  return { subject: describeSubject(s), rules, decision: o.effect, rule: o.rule?.id ?? null };
}
function failingFields(r, s) {
  return r.parts.filter((p) => !p.test(s)).map((p) => `\`${p.label}\``);
}

// src/engine/rate-limit.ts
var MAX_BUCKETS = 1e4;
var MemoryRateLimitStore = class {
  hits = /* @__PURE__ */ new Map();
  hit(bucket, limit, nowMs) {
    let times = this.hits.get(bucket);
    if (!times) {
      if (this.hits.size >= MAX_BUCKETS) this.hits.delete(this.hits.keys().next().value);
      this.hits.set(bucket, times = []);
    }
    const from = nowMs - limit.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop] <= from) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= limit.maxRequests) return false;
    times.push(nowMs);
    return true;
  }
};

// src/engine/engine.ts
function createEngine(policy, opts = {}) {
  const clock = opts.clock ?? Date.now;
  const rateLimits = opts.rateLimits ?? new MemoryRateLimitStore();
  return {
    policy,
    check(request, o) {
      return evaluate(policy, request, { nowMs: clock(), rateLimits, explain: o?.explain === true });
    }
  };
}

// src/audit/redact.ts
var R = "[REDACTED]";
var RULES = [
  // Authorization / Proxy-Authorization headers, with or without a scheme word.
  [/((?:proxy-)?authorization\s*[:=]\s*)(?:(bearer|basic|token|digest)\s+)?[^\s'"]+/gi, `$1$2 ${R}`],
  [/\b(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi, `$1${R}`],
  // Credentials in URLs (user:password@host).
  [/(\/\/)[^/\s:@'"]+:[^/\s@'"]+@/g, `$1${R}@`],
  // Query and form parameters, flags and assignments named like secrets.
  [/([?&;]|\b)((?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|id[_-]?token|token|secret|client[_-]?secret|password|passwd|pwd|x-amz-signature|x-amz-credential|x-amz-security-token|sig|signature)=)[^&\s'"]+/gi, `$1$2${R}`],
  [/(--(?:password|passwd|token|secret|api-key|apikey|access-token)(?:=|\s+))[^\s'"]+/gi, `$1${R}`],
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g, R],
  [/\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_-]{16,}/g, R],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, R],
  [/\bgithub_pat_[A-Za-z0-9_]{30,}/g, R],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, R],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, R],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, R]
];

// src/audit/record.ts
var GENESIS_PREV = "0".repeat(64);

// src/audit/signing.ts
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
ed.hashes.sha512 = sha512;
var encoder2 = new TextEncoder();

// src/http/create-app.ts
import { Hono } from "hono";

// src/audit/fetch-s3-sink.ts
import { AwsClient } from "aws4fetch";

// test/shell-diff/engine-view.ts
function engineView(command, cwd) {
  const r = normalizeRequest({ action: "shell.execute", command, cwd });
  if (!r.ok) return { refused: true, reason: r.reason };
  const view = { refused: false, commands: [], reads: [], writes: [], deletes: [] };
  for (const s of r.request.subjects) {
    if (s.action === "shell.execute" && s.command !== void 0) view.commands.push(s.command);
    else if (s.action === "file.read" && s.path !== void 0) view.reads.push(s.path);
    else if (s.action === "file.write" && s.path !== void 0) view.writes.push(s.path);
    else if (s.action === "file.delete" && s.path !== void 0) view.deletes.push(s.path);
  }
  return view;
}
async function allowsOwnSubjects(command, cwd, view) {
  const rules = [];
  const list = (xs) => [...new Set(xs)];
  if (view.commands.length) rules.push({ action: "shell.execute", command: { in: list(view.commands) }, effect: "allow" });
  for (const [action, paths] of [["file.read", view.reads], ["file.write", view.writes], ["file.delete", view.deletes]]) {
    if (paths.length) rules.push({ action, path: { in: list(paths) }, effect: "allow" });
  }
  const text = JSON.stringify({ version: 1, defaultAction: "deny", rules });
  const loaded = await loadPolicy([{ name: "own-subjects.json", text }]);
  if (!loaded.ok) return { decision: "policy-error", reason: loaded.errors.map((e) => e.message).join("; ") };
  const d = createEngine(loaded.policy).check({ action: "shell.execute", command, cwd });
  return { decision: d.decision, reason: d.reason ?? "" };
}

// test/shell-diff/sandbox.ts
import { spawn, spawnSync } from "node:child_process";
import { chmodSync as chmodSync2, existsSync as existsSync2, mkdirSync as mkdirSync3, mkdtempSync, readFileSync as readFileSync2, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as join4 } from "node:path";

// test/shell-diff/shims.ts
import { chmodSync, mkdirSync as mkdirSync2, symlinkSync, writeFileSync as writeFileSync2 } from "node:fs";
import { join as join3 } from "node:path";
var SHELL_BINARIES = { bash: "/usr/bin/bash", dash: "/usr/bin/dash", zsh: "/usr/bin/zsh" };
var SHELL_NAMES = Object.keys(SHELL_BINARIES);
var REAL_PROGRAMS = ["env", "timeout", "nice", "nohup", "setsid", "stdbuf", "taskset", "ionice", "chrt", "xargs", "find", "flock"];
var SHIM_NAMES = [
  "rm",
  "git",
  "ls",
  "cat",
  "curl",
  "wget",
  "cp",
  "mv",
  "tee",
  "touch",
  "head",
  "tail",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "sed",
  "awk",
  "sort",
  "uniq",
  "wc",
  "cut",
  "tr",
  "chmod",
  "chown",
  "mkdir",
  "rmdir",
  "ln",
  "python",
  "python3",
  "node",
  "npm",
  "npx",
  "make",
  "terraform",
  "helm",
  "kubectl",
  "docker",
  "ssh",
  "scp",
  "nc",
  "base64",
  "xxd",
  "od",
  "diff",
  "less",
  "more",
  "file",
  "id",
  "whoami",
  "uname",
  "date",
  "sleep",
  "yes",
  "echo",
  "printf",
  "test",
  "[",
  "kill",
  "pwd",
  "true",
  "false",
  "time",
  "watch",
  "script",
  "strace",
  "ltrace",
  "unbuffer",
  "shred",
  "unlink",
  "truncate",
  "strings",
  "nl",
  "tac",
  "md5sum",
  "sha256sum",
  "bat",
  "hexdump",
  "cmp",
  "a",
  "b",
  "c",
  "x",
  "y",
  "f",
  "g",
  "cmd",
  "foo",
  "bar",
  "pwn",
  "evil",
  "ok",
  "run",
  "exec",
  "eval"
];
var SHIM = `#!/usr/bin/dash
# harness shim: record argv and cwd, do nothing, print nothing
printf '%s\\0' "$#" "$PWD" "$0" "$@" >>/log/exec 2>/dev/null
exit 0
`;
var SUDO_MODEL = `#!/usr/bin/dash
# model of sudo(8) option parsing: run the command as given (no privilege change)
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    --user=*|--group=*|--host=*|--prompt=*|--close-from=*|--chdir=*|--role=*|--type=*|--other-user=*|--command-timeout=*) shift ;;
    --user|--group|--host|--prompt|--close-from|--chdir|--role|--type|--other-user|--command-timeout) shift 2 ;;
    --shell|-s) shift; exec "\${SHELL:-/bin/sh}" -c "$*" ;;
    --*) shift ;;
    -*) opt="\${1#-}"; shift
        while [ -n "$opt" ]; do
          c="\${opt%"\${opt#?}"}"; opt="\${opt#?}"
          case "$c" in
            u|g|h|p|C|D|r|t|U|T) [ -z "$opt" ] && shift; opt="" ;;
            s) exec "\${SHELL:-/bin/sh}" -c "$*" ;;
          esac
        done ;;
    *=*) shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] && exec "$@"
exit 0
`;
var SU_MODEL = `#!/usr/bin/dash
# model of util-linux su(1): -c/--command runs the command with sh -c
cmd=""; have=0
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -c|--command|--session-command) cmd="$2"; have=1; shift 2 ;;
    --command=*|--session-command=*) cmd="\${1#*=}"; have=1; shift ;;
    -s|--shell|-g|--group|-G|--supp-group|-w|--whitelist-environment) shift 2 ;;
    -c*) cmd="\${1#-c}"; have=1; shift ;;
    -|-l|--login|-m|-p|--preserve-environment|-f|--fast|-P|--pty) shift ;;
    -*) shift ;;
    *) shift; break ;;
  esac
done
[ $have = 1 ] && exec /bin/sh -c "$cmd" "$@"
exit 0
`;
var DOAS_MODEL = `#!/usr/bin/dash
# model of doas(1)
while getopts nSsLC:u: o; do case $o in s) exec "\${SHELL:-/bin/sh}" ;; esac; done
shift $((OPTIND - 1))
[ $# -gt 0 ] && exec "$@"
exit 0
`;
function makeShimDir(root) {
  const dir = join3(root, "shims");
  mkdirSync2(dir, { recursive: true });
  const script = (name, text) => {
    writeFileSync2(join3(dir, name), text);
    chmodSync(join3(dir, name), 493);
  };
  for (const n of SHIM_NAMES) script(n, SHIM);
  for (const n of REAL_PROGRAMS) symlinkSync(`/usr/bin/${n}`, join3(dir, n));
  for (const [n, bin] of Object.entries(SHELL_BINARIES)) symlinkSync(bin, join3(dir, n));
  symlinkSync("/usr/bin/dash", join3(dir, "sh"));
  script("sudo", SUDO_MODEL);
  script("su", SU_MODEL);
  script("doas", DOAS_MODEL);
  return dir;
}
var PASS_THROUGH = /* @__PURE__ */ new Set([...REAL_PROGRAMS, "sudo", "su", "doas"]);
var SHIM_SET = new Set(SHIM_NAMES);

// test/shell-diff/sandbox.ts
var SANDBOX_CWD = "/w";
var XTRACE_MARK = "@XT@ ";
var STRACE_CALLS = "execve,execveat,open,openat,openat2,creat,chdir,fchdir,connect,write,clone,clone3,fork,vfork";
var Sandbox = class {
  constructor(slots = 4) {
    this.slots = slots;
    this.kind = detectSandbox();
    this.root = mkdtempSync(join4(tmpdir(), "shell-diff-"));
    chmodSync2(this.root, 493);
    this.shimDir = makeShimDir(this.root);
    this.freeSlots = Array.from({ length: slots }, (_, i) => i);
  }
  slots;
  root;
  shimDir;
  kind;
  runs = 0;
  freeSlots;
  dispose() {
    rmSync(this.root, { recursive: true, force: true });
  }
  async run(shell2, line, opts = {}) {
    const slot = this.freeSlots.pop();
    if (slot === void 0) throw new Error("Sandbox.run: more concurrent runs than slots");
    const dir = join4(this.root, `run-${this.runs++}`);
    mkdirSync3(join4(dir, "log"), { recursive: true });
    try {
      return await this.runIn(dir, slot, shell2, line, opts);
    } finally {
      this.freeSlots.push(slot);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  runIn(dir, slot, shell2, line, opts) {
    const timeoutMs = opts.timeoutMs ?? 3e3;
    const maxOut = opts.maxOutputBytes ?? 256 * 1024;
    const uid = String(61e3 + slot);
    const traceFile = join4(dir, "trace");
    spawnSync("chown", [`${uid}:${uid}`, join4(dir, "log")]);
    const inner = [SHELL_BINARIES[shell2], "-x", "-c", line];
    const env = ["PATH=/shims", `HOME=${SANDBOX_CWD}`, `PS4=${XTRACE_MARK}`, "LC_ALL=C", "TMPDIR=/tmp", "USER=agent", "SHELL=/bin/sh"];
    const argv = [
      "-f",
      "--seccomp-bpf",
      "--decode-pids=pidns",
      "-qq",
      "-v",
      "-xx",
      "-s",
      "65536",
      "-e",
      `trace=${STRACE_CALLS}`,
      "-o",
      traceFile,
      "setpriv",
      `--reuid=${uid}`,
      `--regid=${uid}`,
      "--clear-groups",
      "prlimit",
      "--nproc=128",
      "--fsize=4194304",
      "--as=2147483648",
      "--cpu=10",
      "--nofile=256",
      "--core=0",
      "--",
      ...bwrapArgs(this.shimDir, join4(dir, "log"), env),
      ...inner
    ];
    return new Promise((resolve3, reject) => {
      const child = spawn("strace", argv, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const out = [];
      const err = [];
      let size = 0;
      let capped = false;
      let timedOut = false;
      const kill = () => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
      const take = (into) => (b) => {
        if (size + b.length > maxOut) {
          capped = true;
          kill();
          return;
        }
        size += b.length;
        into.push(b);
      };
      child.stdout.on("data", take(out));
      child.stderr.on("data", take(err));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const trace = existsSync2(traceFile) ? readFileSync2(traceFile, "latin1") : "";
        const logFile = join4(dir, "log", "exec");
        resolve3({
          shell: shell2,
          line,
          exitCode: code,
          signal,
          timedOut,
          outputCapped: capped,
          stdout: Buffer.concat(out).toString("latin1"),
          stderr: Buffer.concat(err).toString("latin1"),
          trace,
          shimLog: existsSync2(logFile) ? readFileSync2(logFile) : Buffer.alloc(0)
        });
      });
    });
  }
};
function bwrapArgs(shimDir, logDir, env) {
  return [
    "bwrap",
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/bin",
    "/bin",
    "--symlink",
    "usr/sbin",
    "/sbin",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    "8388608",
    "--tmpfs",
    "/tmp",
    "--size",
    "8388608",
    "--tmpfs",
    SANDBOX_CWD,
    "--ro-bind",
    shimDir,
    "/shims",
    "--bind",
    logDir,
    "/log",
    "--chdir",
    SANDBOX_CWD,
    "--clearenv",
    ...env.flatMap((kv) => ["--setenv", kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    "--"
  ];
}
var detected;
function detectSandbox() {
  if (detected) return detected;
  const missing = ["strace", "bwrap", "setpriv", "prlimit", ...Object.values(SHELL_BINARIES)].filter((p) => spawnSync("sh", ["-c", `command -v ${p}`]).status !== 0);
  if (missing.length) throw new Error(`shell-diff needs ${missing.join(", ")} (Debian: bash dash zsh bubblewrap strace util-linux)`);
  const probe = spawnSync("setpriv", ["--reuid=61999", "--regid=61999", "--clear-groups", "bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--dev", "/dev", "/usr/bin/true"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`shell-diff: bubblewrap cannot create a sandbox here (${probe.stderr.trim()}); user namespaces may be disabled`);
  const strace = spawnSync("strace", ["-f", "--seccomp-bpf", "--decode-pids=pidns", "-qq", "-e", "trace=execve", "-o", "/dev/null", "/usr/bin/true"], { encoding: "utf8" });
  if (strace.status !== 0) throw new Error(`shell-diff: strace cannot trace here (${strace.stderr.trim()})`);
  detected = "bwrap";
  return detected;
}

// test/shell-diff/strace-parse.ts
var HEAD = /^(\d+)\s+(?:([a-z_0-9]+)\(|<\.\.\. ([a-z_0-9]+) resumed>)/;
function parseStrace(text) {
  const out = [];
  const pending = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const m = HEAD.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    let name;
    let body;
    if (m[2] !== void 0) {
      name = m[2];
      body = line.slice(m[0].length);
    } else {
      const p = pending.get(pid);
      pending.delete(pid);
      if (!p || p.name !== m[3]) continue;
      name = p.name;
      body = p.body + line.slice(m[0].length);
    }
    if (body.endsWith("<unfinished ...>")) {
      pending.set(pid, { name, body: body.slice(0, -"<unfinished ...>".length) });
      continue;
    }
    const call = parseCall(pid, name, body);
    if (call) out.push(call);
  }
  return out;
}
function parseCall(pid, name, body) {
  const m = /\)\s*= ([^)]*|.*\(.*\))$/.exec(body);
  if (!m) return void 0;
  const ret = m[1].trim();
  const p = new ArgParser(body.slice(0, m.index));
  const args = p.list("");
  const translated = /\/\* (\d+) in strace's PID NS \*\//.exec(ret);
  const n = translated ? [translated[1]] : /^-?\d+/.exec(ret);
  return { pid, name, args, ret, retNum: n ? Number(n[0]) : void 0 };
}
var ArgParser = class {
  constructor(s) {
    this.s = s;
  }
  s;
  i = 0;
  list(closer) {
    const out = [];
    for (; ; ) {
      this.skipSpace();
      if (this.i >= this.s.length) return out;
      if (closer && this.s[this.i] === closer) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skipSpace();
      if (this.s[this.i] === ",") this.i++;
    }
  }
  skipSpace() {
    while (this.s[this.i] === " ") this.i++;
  }
  value() {
    const c = this.s[this.i];
    if (c === '"') {
      const v = this.string();
      if (this.s.startsWith("...", this.i)) this.i += 3;
      return { s: v };
    }
    if (c === "[") {
      this.i++;
      return { a: this.list("]") };
    }
    if (c === "{") {
      this.i++;
      return { a: this.list("}") };
    }
    const start = this.i;
    let depth = 0;
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (ch === '"') {
        this.string();
        continue;
      }
      if (ch === "(" || ch === "[" || ch === "{") depth++;
      else if (ch === ")" || ch === "]" || ch === "}") {
        if (depth === 0) break;
        depth--;
      } else if (ch === "," && depth === 0) break;
      this.i++;
    }
    return { t: this.s.slice(start, this.i).trim() };
  }
  /** A `-xx` string: `"\x2f\x62..."`; returns the bytes as a latin1 string. */
  string() {
    this.i++;
    let out = "";
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      if (this.s[this.i] === "\\") {
        const e = this.s[this.i + 1];
        if (e === "x") {
          out += String.fromCharCode(parseInt(this.s.slice(this.i + 2, this.i + 4), 16));
          this.i += 4;
          continue;
        }
        const simple2 = { n: "\n", t: "	", r: "\r", v: "\v", f: "\f", "\\": "\\", '"': '"' };
        out += simple2[e ?? ""] ?? e ?? "";
        this.i += 2;
        continue;
      }
      out += this.s[this.i++];
    }
    this.i++;
    return out;
  }
};
function str(a) {
  return a && "s" in a ? a.s : void 0;
}
function tok(a) {
  return a && "t" in a ? a.t : void 0;
}
function strings(a) {
  if (!a || !("a" in a)) return void 0;
  return a.a.map((x) => str(x) ?? "");
}
function utf8(latin1) {
  return Buffer.from(latin1, "latin1").toString("utf8");
}

// test/shell-diff/xtrace.ts
var ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
var KEYWORD_HEADS = /* @__PURE__ */ new Set(["for", "select", "case", "[[", "((", "while", "until", "if", "function", "coproc", "repeat", "foreach"]);
function parseRecord(shell2, raw, mark) {
  if (shell2 === "dash") {
    const text = raw;
    const first = text.split(" ")[0] ?? "";
    if (ASSIGN.test(first) && text.split(" ").every((w) => ASSIGN.test(w))) return { text, assignments: text.split(" "), kind: "assignment" };
    return { text, assignments: [], kind: "command" };
  }
  let assignPart = "";
  let cmdPart = raw;
  const again = raw.indexOf(" " + mark);
  if (shell2 === "zsh" && again >= 0) {
    assignPart = raw.slice(0, again);
    cmdPart = raw.slice(again + 1 + mark.length);
  }
  if (/^\(\(/.test(cmdPart.trimStart())) return { text: cmdPart, assignments: [], kind: "keyword" };
  if (/^[A-Za-z_][A-Za-z0-9_]*\+?=\(/.test(cmdPart.trimStart())) return { text: cmdPart, assignments: [cmdPart], kind: "assignment" };
  const words = unquoteWords(cmdPart) ?? [cmdPart];
  const assignments = (assignPart ? unquoteWords(assignPart) ?? [assignPart] : []).filter((w) => w !== "");
  while (words.length && ASSIGN.test(words[0]) && !(shell2 === "zsh" && assignPart)) assignments.push(words.shift());
  if (words.length === 0 || words.length === 1 && words[0] === "") return { text: assignments.join(" "), assignments, kind: "assignment" };
  if (KEYWORD_HEADS.has(words[0])) return { text: words.join(" "), words, assignments, kind: "keyword" };
  return { text: words.join(" "), words, assignments, kind: "command" };
}
function quotesClosed(raw) {
  return unquoteWords(raw) !== void 0;
}
function unquoteWords(s) {
  const out = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === " " && !inWord) {
      i++;
      continue;
    }
    if (c === " ") {
      out.push(cur);
      cur = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return void 0;
      cur += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === "$" && s[i + 1] === "'") {
      const r = ansiC(s, i + 2);
      if (!r) return void 0;
      cur += r.text;
      i = r.end;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
function ansiC(s, i) {
  let out = "";
  while (i < s.length) {
    const c = s[i];
    if (c === "'") return { text: out, end: i + 1 };
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    const simple2 = { n: "\n", t: "	", r: "\r", a: "\x07", b: "\b", e: "\x1B", E: "\x1B", f: "\f", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?" };
    if (e === void 0) return void 0;
    if (simple2[e] !== void 0) out += simple2[e];
    else if (e === "x" || e === "u" || e === "U") {
      const m = new RegExp(`^[0-9a-fA-F]{1,${e === "x" ? 2 : e === "u" ? 4 : 8}}`).exec(s.slice(i));
      if (!m) return void 0;
      out += e === "x" ? String.fromCharCode(parseInt(m[0], 16)) : String.fromCodePoint(parseInt(m[0], 16));
      i += m[0].length;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{0,2}/.exec(s.slice(i));
      out += String.fromCharCode(parseInt(e + m[0], 8) & 255);
      i += m[0].length;
    } else if (e === "C" && s[i] === "-") {
      const ch = s[i + 1] ?? "";
      out += ch === "?" ? "\x7F" : String.fromCharCode(ch.toUpperCase().charCodeAt(0) & 31);
      i += 2;
    } else if (e === "M" && s[i] === "-") {
      const rest = s.slice(i + 1);
      if (rest.startsWith("\\C-")) {
        const ch = rest[3] ?? "";
        out += String.fromCharCode(128 | (ch === "?" ? 127 : ch.toUpperCase().charCodeAt(0) & 31));
        i += 5;
      } else {
        out += String.fromCharCode(128 | rest.charCodeAt(0) & 127);
        i += 2;
      }
    } else out += "\\" + e;
  }
  return void 0;
}

// test/shell-diff/observe.ts
var SHELL_PATHS = /* @__PURE__ */ new Set([...Object.values(SHELL_BINARIES), "/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/dash", "/bin/zsh", "/shims/sh", "/shims/bash", "/shims/dash", "/shims/zsh"]);
var SYNTAX = { bash: /syntax error|unexpected EOF|bad substitution/, dash: /Syntax error|Bad substitution/, zsh: /parse error|bad substitution|bad pattern/ };
var TEMP = /^\/tmp\/(sh-thd|zsh)/;
function observe(run, baseline) {
  const calls = parseStrace(run.trace);
  const view = {
    shell: run.shell,
    commands: [],
    files: [],
    connects: [],
    globbed: [],
    syntaxError: SYNTAX[run.shell].test(run.stderr),
    xtraceOff: false,
    timedOut: run.timedOut,
    exitCode: run.exitCode
  };
  const parent = /* @__PURE__ */ new Map();
  for (const c of calls) {
    if (["clone", "clone3", "fork", "vfork"].includes(c.name) && c.retNum !== void 0 && c.retNum > 0) parent.set(c.retNum, c.pid);
  }
  const procs = /* @__PURE__ */ new Map();
  const proc = (pid) => {
    let p = procs.get(pid);
    if (!p) {
      const pp = parent.has(pid) ? proc(parent.get(pid)) : { image: "?", cwd: "/", inTree: false };
      p = { ...pp };
      procs.set(pid, p);
    }
    return p;
  };
  let top;
  const xt = /* @__PURE__ */ new Map();
  const records = [];
  const seenExec = /* @__PURE__ */ new Set();
  for (const c of calls) {
    const p = proc(c.pid);
    if (c.name === "execve" || c.name === "execveat") {
      const path = str(c.args[c.name === "execve" ? 0 : 1]) ?? "";
      const argv = (strings(c.args[c.name === "execve" ? 1 : 2]) ?? []).map(utf8);
      const ok2 = c.ret === "0";
      if (top === void 0) {
        if (ok2 && path === SHELL_BINARIES[run.shell] && argv[argv.length - 2] === "-c" && argv[argv.length - 1] === run.line) {
          top = c.pid;
          p.inTree = true;
          p.image = path;
          p.cwd = SANDBOX_CWD;
        }
        continue;
      }
      if (!p.inTree) continue;
      const key = `${c.pid}\0${argv.join("\0")}`;
      if (!seenExec.has(key)) {
        seenExec.add(key);
        view.commands.push({ text: argv.join(" "), argv, via: "execve", ok: ok2 });
      }
      if (ok2) p.image = path;
      else p.failedExec = resolve2(utf8(path), p.cwd);
      continue;
    }
    if (!p.inTree) continue;
    const isShell = SHELL_PATHS.has(p.image);
    if (c.name === "chdir" && c.retNum === 0) {
      p.cwd = resolve2(utf8(str(c.args[0]) ?? ""), p.cwd);
    } else if (isShell && (c.name === "open" || c.name === "openat" || c.name === "creat")) {
      const at = c.name === "openat" ? 1 : 0;
      if (c.name === "openat" && tok(c.args[0]) !== "AT_FDCWD") continue;
      const path = resolve2(utf8(str(c.args[at]) ?? ""), p.cwd);
      const flags = c.name === "creat" ? "O_WRONLY|O_CREAT" : tok(c.args[at + 1]) ?? "";
      if (/O_CLOEXEC/.test(flags) || path === "/dev/tty" || TEMP.test(path) || path.startsWith("/shims/") || path === p.failedExec) continue;
      if (path.startsWith("/usr/share/locale/") || path.startsWith("/usr/lib/x86_64-linux-gnu/gconv/")) continue;
      if (baseline?.has(path)) continue;
      if (/O_DIRECTORY/.test(flags)) {
        view.globbed.push(path);
        continue;
      }
      const access = /O_RDWR/.test(flags) ? "readwrite" : /O_WRONLY/.test(flags) ? "write" : "read";
      if (!view.files.some((f) => f.path === path && f.access === access)) view.files.push({ path, access });
    } else if (isShell && c.name === "connect") {
      const addr = c.args[1] && "a" in c.args[1] ? c.args[1].a.map((x) => tok(x) ?? "").join(", ") : "";
      if (/AF_INET/.test(addr)) view.connects.push(addr);
    } else if (isShell && c.name === "write") {
      collectXtrace(run.shell, c, xt, records);
    }
  }
  if (top === void 0) {
    view.broken = `the top ${run.shell} never started (exit ${run.exitCode}, ${run.stderr.slice(0, 200)})`;
    return view;
  }
  const execNames = new Set(view.commands.map((x) => x.argv?.[0]));
  for (const r of records) {
    if (/^(set|setopt|unsetopt|shopt)( |$)/.test(r.text) && /(^| )(\+[A-Za-z]*x|.*xtrace|-o noxtrace)/.test(r.text.slice(4))) view.xtraceOff = true;
    if (/^(set|unsetopt) /.test(r.text) && /xtrace|\+[A-Za-z]*x/.test(r.text)) view.xtraceOff = true;
    if (r.kind === "keyword") continue;
    if (r.kind === "assignment") {
      if (run.shell === "dash") view.commands.push({ text: utf8(r.text), via: "xtrace" });
      continue;
    }
    if (r.text === "") continue;
    const name = r.words ? r.words[0] : r.text.split(" ")[0];
    if (execNames.has(utf8(name)) && (SHIM_SET.has(name) || PASS_THROUGH.has(name) || SHELL_NAMES_SET.has(name) || name.includes("/"))) continue;
    view.commands.push({ text: utf8(r.text), via: "xtrace" });
  }
  return view;
}
var SHELL_NAMES_SET = /* @__PURE__ */ new Set(["sh", "bash", "dash", "zsh"]);
function collectXtrace(shell2, c, open, records) {
  const fd = tok(c.args[0]) ?? "";
  const data = str(c.args[1]) ?? "";
  const key = `${c.pid}:${fd}`;
  let buf = open.get(key);
  if (buf === void 0) {
    const m = /^@+XT@ /.exec(data);
    if (!m) return;
    buf = data.slice(m[0].length);
  } else buf += data;
  const done = shell2 === "dash" ? data === "\n" : buf.endsWith("\n") && quotesClosed(buf.slice(0, -1));
  if (!done) {
    open.set(key, buf);
    return;
  }
  open.delete(key);
  records.push(parseRecord(shell2, buf.slice(0, -1), XTRACE_MARK.trim()));
}
function resolve2(p, cwd) {
  const abs = p.startsWith("/") ? p : `${cwd}/${p}`;
  const out = [];
  for (const seg of abs.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

// test/shell-diff/oracle.ts
import sh from "mvdan-sh";
var syntax = sh.syntax;
var parsers = {
  bash: syntax.NewParser(syntax.Variant(syntax.LangBash)),
  posix: syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
};
function one(p, line) {
  try {
    const f = p.Parse(line, "line");
    let calls = 0;
    syntax.Walk(f, (n) => {
      if (n && syntax.NodeType(n) === "CallExpr") calls++;
      return true;
    });
    return { ok: true, calls };
  } catch (e) {
    const err = e;
    return { ok: false, error: typeof err?.Error === "function" ? err.Error() : String(err?.Text ?? e), calls: 0 };
  }
}
async function oracle(line) {
  return { bash: one(parsers.bash, line), posix: one(parsers.posix, line) };
}

// test/shell-diff/property.ts
var GATING = /* @__PURE__ */ new Set(["unlisted-command", "unlisted-file", "unlisted-connect", "own-subjects-not-allowed"]);
var HARMLESS = /* @__PURE__ */ new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/0", "/dev/fd/1", "/dev/fd/2"]);
function judge(engine, views, ownPolicy) {
  const v = { divergences: [], notExecuted: [], inconclusive: [] };
  if (engine.refused) return v;
  const patterns = engine.commands.map(commandPattern);
  const covered = (text) => engine.commands.includes(text) || patterns.some((p) => p.test(text));
  for (const view of views) {
    if (view.broken) {
      v.inconclusive.push(`${view.shell}: ${view.broken}`);
      continue;
    }
    if (view.xtraceOff) v.inconclusive.push(`${view.shell}: the line turns xtrace off; builtins after that are not seen`);
    const seen = /* @__PURE__ */ new Set();
    const add = (d) => {
      const k = `${d.kind}\0${d.shellDid}`;
      if (!seen.has(k)) {
        seen.add(k);
        v.divergences.push(d);
      }
    };
    for (const c of view.commands) if (!covered(c.text)) add({ kind: "unlisted-command", shell: view.shell, shellDid: c.text });
    for (const f of view.files) {
      if (HARMLESS.has(f.path)) continue;
      const ok2 = (f.access !== "write" ? engine.reads.includes(f.path) : true) && (f.access !== "read" ? engine.writes.includes(f.path) : true);
      if (!ok2) add({ kind: "unlisted-file", shell: view.shell, shellDid: `${f.access} ${f.path}` });
    }
    for (const c of view.connects) {
      if (![...engine.reads, ...engine.writes].some((p) => /^\/dev\/(tcp|udp)\//.test(p))) add({ kind: "unlisted-connect", shell: view.shell, shellDid: c });
    }
    if (view.syntaxError) add({ kind: "shell-syntax-error", shell: view.shell, shellDid: "rejected the line as a syntax error" });
  }
  if (ownPolicy && ownPolicy.decision !== "allow") v.divergences.push({ kind: "own-subjects-not-allowed", shell: "engine", shellDid: `${ownPolicy.decision}: ${ownPolicy.reason}` });
  const ran = views.flatMap((x) => x.commands.map((c) => c.text));
  v.notExecuted = engine.commands.filter((c, i) => !ran.some((t) => t === c || patterns[i].test(t)));
  return v;
}
function commandPattern(subject) {
  let re = "";
  let i = 0;
  const s = subject;
  const skipBalanced = (open, close, from) => {
    let depth = 0;
    for (let j = from; j < s.length; j++) {
      if (s[j] === open) depth++;
      else if (s[j] === close && --depth === 0) return j + 1;
    }
    return s.length;
  };
  const any = () => {
    if (re.endsWith(" ")) re = re.slice(0, -1) + " ?";
    re += "[\\s\\S]*";
  };
  while (i < s.length) {
    const c = s[i];
    const n = s[i + 1];
    if (c === "$" && n === "(") {
      i = skipBalanced("(", ")", i + 1);
      any();
    } else if (c === "$" && n === "{") {
      i = skipBalanced("{", "}", i + 1);
      any();
    } else if (c === "$" && n !== void 0 && /[A-Za-z_]/.test(n)) {
      i += 2;
      while (i < s.length && /[A-Za-z0-9_]/.test(s[i])) i++;
      any();
    } else if (c === "$" && n !== void 0 && /[0-9@*#?$!-]/.test(n)) {
      i += 2;
      any();
    } else if (c === "`") {
      const end = s.indexOf("`", i + 1);
      i = end < 0 ? s.length : end + 1;
      any();
    } else if ((c === "<" || c === ">") && n === "(") {
      i = skipBalanced("(", ")", i + 1);
      any();
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i++;
    }
  }
  return new RegExp(`^${re}$`);
}
function signature(d) {
  const first = d.shellDid.split(/[ \n]/)[0] ?? "";
  return `${d.kind}:${d.kind === "unlisted-file" ? first : d.kind === "unlisted-command" ? basename2(first) : ""}`;
}
function basename2(w) {
  const i = w.lastIndexOf("/");
  return i < 0 ? w : w.slice(i + 1);
}

// test/shell-diff/harness.ts
var Harness = class {
  constructor(parallel = 2, shells = SHELL_NAMES, runOptions = {}) {
    this.parallel = parallel;
    this.shells = shells;
    this.runOptions = runOptions;
    this.sandbox = new Sandbox(parallel);
  }
  parallel;
  shells;
  runOptions;
  sandbox;
  baseline = /* @__PURE__ */ new Map();
  queue = [];
  active = 0;
  /** Files each shell opens when it runs `:` are its own start-up, not the line's. */
  async init() {
    for (const sh2 of this.shells) {
      const v = observe(await this.sandbox.run(sh2, ":"));
      if (v.broken) throw new Error(`shell-diff: ${v.broken}`);
      this.baseline.set(sh2, new Set(v.files.map((f) => f.path)));
    }
  }
  dispose() {
    this.sandbox.dispose();
  }
  async runShell(shell2, line) {
    await this.slot();
    try {
      return observe(await this.sandbox.run(shell2, line, this.runOptions), this.baseline.get(shell2));
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
  async check(line, shells = this.shells) {
    const engine = engineView(line, SANDBOX_CWD);
    const orc = await oracle(line);
    const views = engine.refused ? [] : await Promise.all(shells.map((sh2) => this.runShell(sh2, line)));
    const own = engine.refused ? void 0 : await allowsOwnSubjects(line, SANDBOX_CWD, engine);
    return { line, engine, oracle: orc, views, verdict: judge(engine, views, own) };
  }
  slot() {
    if (this.active < this.parallel) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.queue.push(() => (this.active++, r())));
  }
};

// test/shell-diff/features.ts
var FEATURES = [
  ["heredoc", /<<-?\s*[^<\s]/],
  ["herestring", /<<</],
  ["cmdsub", /\$\(/],
  ["backtick", /`/],
  ["dquote", /"/],
  ["squote", /(^|[^$])'/],
  ["ansi-c", /\$'/],
  ["locale", /\$"/],
  ["param-op", /\$\{[^}]*[:#%/^,-]/],
  ["for-no-in", /\bfor\s+\w+\s*(;|\n)?\s*do\b/],
  ["for", /\bfor\b/],
  ["while", /\b(while|until)\b/],
  ["case", /\bcase\b/],
  ["function", /\(\)\s*\{|\bfunction\s/],
  ["dbracket", /\[\[/],
  ["dparen", /\(\(/],
  ["brace", /\{[^}\s]*(,|\.\.)[^}]*\}/],
  ["alias", /\balias\b/],
  ["trap", /\btrap\b/],
  ["eval", /\beval\b/],
  ["source", /(^|[\s;&|(])(\.|source)\s/],
  ["shell-c", /\b(ba|z|da)?sh\s+(-\S+\s+)*-\w*c/],
  ["double-dash", /\s--(\s|$)/],
  ["env-S", /\benv\b.*(-S|--split-string)/],
  ["flock", /\bflock\b/],
  ["su", /\bsu\b/],
  ["sudo", /\bsudo\b/],
  ["xargs", /\bxargs\b/],
  ["find-exec", /\bfind\b.*-exec/],
  ["watch", /\bwatch\b/],
  ["timeout", /\btimeout\b/],
  ["nice", /\bnice\b/],
  ["comment", /(^|\s)#/],
  ["continuation", /\\\n/],
  ["procsub", /[<>]\(/],
  ["fd-redirect", /\d+[<>]|[<>]&|\{\w+\}[<>]/],
  ["amp-redirect", /&>/],
  ["pipe-amp", /\|&/],
  ["tilde", /(^|\s|=)~/],
  ["glob", /[*?]/],
  ["array", /\w=\(/],
  ["exec", /\bexec\b/],
  ["command-builtin", /\b(command|builtin)\b/],
  ["background", /[^&>]&(\s|$)/],
  ["newline", /\n/]
];
function features(line) {
  return FEATURES.filter(([, re]) => re.test(line)).map(([n]) => n);
}

// test/shell-diff/seeds.ts
import { readdirSync as readdirSync2, readFileSync as readFileSync3 } from "node:fs";
import { join as join5 } from "node:path";
var BRIEF_EXAMPLES = [
  { source: "brief: here-document opened inside $( on the git line", line: "git status --short <<EOF $(\nrm -rf /\nEOF\n)" },
  { source: "brief: backticks in double quotes with escaped quotes", line: 'git log "`git log \\"\'\\" ; rm -rf / ; git log \\"\'\\"`"' },
  { source: "brief: for-loop without in", line: "git status; for x do rm -rf /; done" }
];
var CLASS_SEEDS = [
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
  ["nested quotes in substitution", 'echo "$(echo "$(rm -rf /)")"']
].map(([source, line]) => ({ source: `class: ${source}`, line }));
function findTestFile(name, dir = join5(repoRoot(), "test")) {
  for (const e of readdirSync2(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = join5(dir, e.name);
    if (e.isDirectory()) {
      const f = findTestFile(name, p);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return void 0;
}
var NOT_COMMANDS = /* @__PURE__ */ new Set(["allow", "deny", "require_approval"]);
function testFileSeeds() {
  const out = [];
  for (const name of ["bypass-shell.test.ts", "file-effects.test.ts"]) {
    const file = findTestFile(name);
    if (!file) throw new Error(`shell-diff seeds: ${name} not found under test/`);
    const text = readFileSync3(file, "utf8");
    for (const row of text.split("\n").filter((l) => /^\s+(\[|")/.test(l))) {
      for (const m of row.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        let s;
        try {
          s = JSON.parse(`"${m[1]}"`);
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
function oilsSeeds() {
  return JSON.parse(readFileSync3(join5(HARNESS_DIR(), "seeds", "oils.json"), "utf8")).map((x) => ({ source: x.source, line: x.line }));
}
function allSeeds() {
  const seen = /* @__PURE__ */ new Set();
  return [...BRIEF_EXAMPLES, ...CLASS_SEEDS, ...testFileSeeds(), ...oilsSeeds()].filter((s) => !seen.has(s.line) && (seen.add(s.line), true));
}

// test/shell-diff/shrink.ts
async function shrink(h, line, shell2, d, budget = 200) {
  const want = signature(d);
  let best = line;
  let bestD = d;
  let runs = 0;
  const holds = async (cand) => {
    if (!cand.trim() || cand.includes("\0")) return void 0;
    const ev = engineView(cand, SANDBOX_CWD);
    if (ev.refused) return void 0;
    runs++;
    const view = await h.runShell(shell2, cand);
    return judge(ev, [view]).divergences.find((x) => signature(x) === want);
  };
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && runs < budget; chunk = chunk >> 1) {
    let progress = true;
    while (progress && runs < budget) {
      progress = false;
      for (let at = 0; at < best.length && runs < budget; at += chunk) {
        const cand = best.slice(0, at) + best.slice(at + chunk);
        const got = await holds(cand);
        if (got) {
          best = cand;
          bestD = got;
          progress = true;
          at -= chunk;
        }
      }
    }
    if (chunk === 1) break;
  }
  return { line: best, divergence: bestD };
}

// test/shell-diff/fuzz.ts
async function main(args) {
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const minutes = opt("minutes", 1);
  const workers = opt("workers", Math.max(1, cpus().length));
  const seed = opt("seed", Date.now() % 1e6);
  const deadline = Date.now() + minutes * 6e4;
  const h = new Harness(workers * SHELL_NAMES.length);
  await h.init();
  const versions = shellVersions();
  console.log(`shell-diff fuzz: ${minutes} min, ${workers} workers, seed ${seed}; ${versions}`);
  const seeds = allSeeds();
  const known = new Set([...readKnown(), ...readRegressions()].map((c) => c.class));
  const refusedReasons = /* @__PURE__ */ new Map();
  const found = /* @__PURE__ */ new Map();
  const count = { generated: 0, oracleRejected: 0, engineRefused: 0, divergentLines: 0, divergences: 0, reported: 0, inconclusive: 0, written: 0 };
  const executed = Object.fromEntries(SHELL_NAMES.map((s) => [s, 0]));
  const full = lineArb("full", 3);
  const mutated = mutationArb(seeds.map((s) => s.line));
  const agreeing = lineArb("agreeing", 2);
  const buffer = seeds.map((s) => s.line).reverse();
  let batch = 0;
  const next = () => {
    if (buffer.length === 0) {
      const s = seed + batch++;
      buffer.push(...fc2.sample(full, { seed: s, numRuns: 25 }), ...fc2.sample(mutated, { seed: s, numRuns: 15 }), ...fc2.sample(agreeing, { seed: s, numRuns: 10 }));
    }
    return buffer.pop();
  };
  const shrinking = /* @__PURE__ */ new Set();
  const worker = async () => {
    while (Date.now() < deadline) {
      const line = next();
      count.generated++;
      const r = await h.check(line);
      if (!r.oracle.bash.ok && !r.oracle.posix.ok) count.oracleRejected++;
      if (r.engine.refused) {
        const why = r.engine.reason.replace(/`[^`]*`/g, "`\u2026`").slice(0, 80);
        refusedReasons.set(why, (refusedReasons.get(why) ?? 0) + 1);
        count.engineRefused++;
        continue;
      }
      for (const v of r.views) executed[v.shell]++;
      count.inconclusive += r.verdict.inconclusive.length ? 1 : 0;
      const gating = r.verdict.divergences.filter((d) => GATING.has(d.kind));
      count.reported += r.verdict.divergences.length - gating.length;
      if (gating.length) count.divergentLines++;
      count.divergences += gating.length;
      for (const d of gating) {
        const rough = `${signature(d)}:${features(line).join(",")}`;
        if (known.has(rough) || shrinking.has(rough) || d.shell === "engine") continue;
        shrinking.add(rough);
        const small = await shrink(h, line, d.shell, d);
        const cls = `${signature(small.divergence)}:${features(small.line).join(",")}`;
        found.set(cls, (found.get(cls) ?? 0) + 1);
        if (known.has(cls)) continue;
        const again = await h.check(small.line);
        const file = writeRegression({
          class: cls,
          line: small.line,
          shell: d.shell,
          kind: d.kind,
          shellRan: small.divergence.shellDid,
          engineChecked: again.engine.refused ? [] : [...again.engine.commands, ...again.engine.reads.map((p) => `read ${p}`), ...again.engine.writes.map((p) => `write ${p}`), ...again.engine.deletes.map((p) => `delete ${p}`)],
          diverges: true,
          found: `fuzz seed ${seed}, from ${JSON.stringify(line).slice(0, 300)}`
        });
        known.add(cls);
        count.written++;
        console.log(`new ${cls} [${d.shell}]: ${JSON.stringify(small.line)} \u2192 ${file}`);
      }
    }
  };
  const progress = setInterval(() => console.log(summary(count, executed, found)), 3e4);
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    clearInterval(progress);
    h.dispose();
  }
  console.log(summary(count, executed, found));
  console.log("engine refusals (top):\n" + [...refusedReasons].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `  ${n} ${k}`).join("\n"));
  console.log("divergence classes (count):\n" + [...found].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${k} ${n}`).join("\n"));
  return 0;
}
function summary(count, executed, found) {
  return `lines ${count.generated} | oracle-rejected ${count.oracleRejected} | engine-refused ${count.engineRefused} | executed ${Object.entries(executed).map(([k, v]) => `${k} ${v}`).join(", ")} | divergent lines ${count.divergentLines}, divergences ${count.divergences} in ${found.size} classes, reported-only ${count.reported}, inconclusive ${count.inconclusive} | new case files ${count.written}`;
}
function shellVersions() {
  const v = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0].trim();
    } catch {
      return "?";
    }
  };
  const dash = v("dpkg-query", ["-W", "-f=${Version}", "dash"]);
  return `bash: ${v("bash", ["--version"])}; dash: ${dash}; zsh: ${v("zsh", ["--version"])}`;
}
export {
  main,
  shellVersions
};
