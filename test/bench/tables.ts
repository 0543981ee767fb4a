/**
 * Benchmark tables (issue 14 item 5): each generator returns the safeclaw YAML,
 * the same rules as an engine-neutral list the peers are built from (a JS regex
 * for Casbin, a Cedar condition, the effect, and for first-match tables the
 * earlier allows a deny must yield to), and a stream of distinct requests: random
 * hits and near misses plus edge cases (the directory itself, compound commands,
 * IP and case forms of hosts, case variants of keys and paths).
 *
 * No imports: run.sh builds this file with esbuild for the plain-node scripts.
 */

/** The one field each action's rules test in a table (the peers get that field). */
export type Field = "path" | "host" | "command" | "key" | "url";

export interface PeerRule {
  action: string;
  field: Field;
  allow: boolean;
  /** anchored JS regex, the whole rule (Casbin's regexMatch) */
  regex: string;
  /** Cedar condition over `context` (`path`, plus `dir` and `base` of it; `host`, `command`, `key`, `url`) */
  cedar: string;
  /**
   * First-match tables only: the earlier allow rules that can match a request this
   * (deny) rule matches. A peer without first-match gets `forbid ... unless { any of them }`.
   */
  yieldsTo?: number[];
}

export interface Table {
  name: string;
  /** rules in the YAML (the regex rules included) */
  n: number;
  yaml: string;
  rules: PeerRule[];
  /** which field each action's rules test */
  fields: Record<string, Field>;
  /** true when rules overlap with different effects: peers need first-match (priority) semantics */
  firstMatch: boolean;
  requests: unknown[];
}

// ---- deterministic randomness and vocabulary ----------------------------------

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
/**
 * The i-th word: 5 characters, a letter, a digit, three letters (`q7xaz`), all
 * distinct for i < 26*10*26^3 (4.5 M), scrambled so neighbours do not share a
 * prefix. Fixed length and the digit keep words from overlapping one another or
 * the fixed vocabulary (`cache`, `deploy`) of the regex rules.
 */
export function word(i: number): string {
  const m = 26 * 10 * 26 * 26 * 26;
  let x = (i * 2654435761) % m; // odd multiplier, coprime with m: a bijection on [0, m)
  if (x < 0) x += m;
  const out: string[] = [];
  const bases = [26, 10, 26, 26, 26];
  for (const b of bases) {
    out.push(b === 10 ? String(x % 10) : LETTERS[x % 26]!);
    x = Math.floor(x / b);
  }
  return out.join("");
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const q = (s: string) => JSON.stringify(s);
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: () => number, n: number) => Math.floor(r() * n);
const junk = (r: () => number, len: number, alphabet = ALNUM) => {
  let s = "";
  for (let i = 0; i < len; i++) s += alphabet[int(r, alphabet.length)];
  return s;
};
const flipCase = (r: () => number, s: string) => [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join("");

/** IP and odd spellings of hosts no rule names (they must be denied everywhere). */
const IP_HOSTS = ["10.0.0.1", "127.0.0.1", "0x7f000001", "2130706433", "[::1]", "169.254.169.254", "[fd00::1]", "192.168.001.010"];

interface Builder {
  yaml: string[];
  rules: PeerRule[];
}
function add(b: Builder, id: string, action: string, field: Field, yamlCond: string, allow: boolean, regex: string, cedar: string, yieldsTo?: number[]) {
  b.yaml.push(`- {id: ${id}, action: ${action}, ${yamlCond}, effect: ${allow ? "allow" : "deny"}}`);
  b.rules.push({ action, field, allow, regex, cedar, ...(yieldsTo ? { yieldsTo } : {}) });
}
const doc = (b: Builder) => `version: 1\ndefaultAction: deny\nrules:\n${b.yaml.join("\n")}\n`;

/** Fills a request stream: the edge cases first, then distinct random requests. */
function stream(count: number, edge: unknown[], next: () => unknown): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  const push = (x: unknown) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(x);
  };
  edge.forEach(push);
  for (let tries = 0; out.length < count && tries < count * 20; tries++) push(next());
  if (out.length < count) throw new Error(`could only make ${out.length} distinct requests of ${count}`);
  return out;
}
const compound = (r: () => number, parts: string[]) => parts.reduce((a, p) => `${a} ${pick(r, ["&&", "||", ";", "|"])} ${p}`);

// ---- keyed: today's 5-kind table (every rule has its own index key) --------------

/** The table of policy-gen.ts (same rules), with a floor and a stream that includes the directory itself. */
export function keyedTable(n: number, count = 10_000, seed = 1): Table {
  const b: Builder = { yaml: [], rules: [] };
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0:
        add(
          b,
          `r${i}`,
          "file.read",
          "path",
          `path: '/srv/app${i}/**'`,
          true,
          `^${esc(`/srv/app${i}`)}(\\/.*)?$`,
          `context.path == ${q(`/srv/app${i}`)} || context.path like ${q(`/srv/app${i}/*`)}`,
        );
        break;
      case 1:
        add(
          b,
          `r${i}`,
          "network.request",
          "host",
          `host: 'api${i}.example.com'`,
          true,
          `^${esc(`api${i}.example.com`)}$`,
          `context.host == ${q(`api${i}.example.com`)}`,
        );
        break;
      case 2:
        add(
          b,
          `r${i}`,
          "network.request",
          "host",
          `host: '*.bad${i}.example'`,
          false,
          `^.+${esc(`.bad${i}.example`)}$`,
          `context.host like ${q(`*.bad${i}.example`)}`,
        );
        break;
      case 3:
        add(
          b,
          `r${i}`,
          "shell.execute",
          "command",
          `command: 'tool${i} plan*'`,
          true,
          `^${esc(`tool${i} plan`)}.*$`,
          `context.command like ${q(`tool${i} plan*`)}`,
        );
        break;
      default:
        add(b, `r${i}`, "env.read", "key", `key: 'SECRET_${i}'`, false, `^${esc(`SECRET_${i}`)}$`, `context.key == ${q(`SECRET_${i}`)}`);
    }
  }
  const r = rng(seed);
  const of = (k: number) => {
    const i = int(r, Math.max(1, Math.floor(n / 5))) * 5 + k;
    return i < n ? i : k; // n not a multiple of 5: fold back
  };
  const cmd = () => {
    const i = of(3);
    return pick(r, [
      `tool${i} plan -out ${junk(r, 4)}`,
      `tool${i} destroy ${junk(r, 3)}`,
      `tool${i} planet`,
      `tool${i} plan`,
      `TOOL${i} plan`,
      `tool${i}x plan ${junk(r, 2)}`,
    ]);
  };
  const next = (): unknown => {
    switch (int(r, 9)) {
      case 0: {
        const i = of(0);
        return {
          action: "file.read",
          path: pick(r, [
            `/srv/app${i}/${junk(r, 6)}/index.ts`,
            `/srv/app${i}`,
            `/srv/app${i}x/${junk(r, 4)}`,
            `/etc/app${i}/${junk(r, 5)}`,
            `/SRV/app${i}/${junk(r, 3)}`,
            `/srv/app${i}/../etc/${junk(r, 4)}`,
            `/srv//app${i}/./${junk(r, 4)}`,
          ]),
        };
      }
      case 1: {
        const i = of(1);
        return {
          action: "network.request",
          url: pick(r, [
            `https://api${i}.example.com/v1/${junk(r, 5)}`,
            `https://API${i}.Example.COM/${junk(r, 4)}`,
            `https://evil${i}.example.org/${junk(r, 3)}`,
            `http://api${i}.example.com.:8080/${junk(r, 3)}`,
          ]),
        };
      }
      case 2: {
        const i = of(2);
        return {
          action: "network.request",
          host: pick(r, [
            `${junk(r, 4)}.bad${i}.example`,
            `a.${junk(r, 3)}.bad${i}.example`,
            `bad${i}.example`,
            `ok${i}.example.net`,
            `${junk(r, 3)}.BAD${i}.example`,
            pick(r, IP_HOSTS),
          ]),
        };
      }
      case 3:
      case 4:
        return { action: "shell.execute", command: r() < 0.3 ? compound(r, [cmd(), cmd()]) : cmd() };
      case 5: {
        const i = of(4);
        return { action: "env.read", key: pick(r, [`SECRET_${i}`, `PUBLIC_${i}`, `secret_${i}`, `SECRET_${i}_${junk(r, 3, "ABCXYZ")}`]) };
      }
      case 6: {
        const i = of(0);
        return { action: "file.read", path: `/srv/app${i}/${junk(r, 3)}/${junk(r, 8)}.log` };
      }
      case 7: {
        const i = of(2);
        return { action: "network.request", url: `https://${junk(r, 5)}.bad${i}.example/${junk(r, 3)}` };
      }
      default: {
        const i = of(1);
        return { action: "network.request", host: pick(r, [`api${i}.example.com`, `API${i}.EXAMPLE.COM`, `api${i}.example.com.`]), port: pick(r, [443, 8443]) };
      }
    }
  };
  const last = n - 1;
  const edge = [
    { action: "file.read", path: "/srv/app0" },
    { action: "file.read", path: "/srv/app0/" },
    { action: "file.read", path: "/srv" },
    { action: "shell.execute", command: `tool3 plan && tool${n > 8 ? 8 : 3} plan -x` },
    { action: "shell.execute", command: `tool3 plan && rm -rf /` },
    { action: "env.read", key: `SECRET_${last - (last % 5) + 4 < n ? last - (last % 5) + 4 : 4}` },
    ...IP_HOSTS.map((host) => ({ action: "network.request", host })),
  ];
  return {
    name: "keyed",
    n,
    yaml: doc(b),
    rules: b.rules,
    fields: { "file.read": "path", "network.request": "host", "shell.execute": "command", "env.read": "key" },
    firstMatch: false,
    requests: stream(count, edge, next),
  };
}

/**
 * The floor for the keyed table: one map lookup on the value's literal key, then the
 * exact check of the one rule it finds. It returns the table's decisions (verified
 * against safeclaw in the agreement step), so it is a real lower bound for it.
 */
export function keyedFloor(n: number): (action: string, value: string) => boolean {
  const path = new Map<string, number>();
  const host = new Map<string, number>();
  const bad = new Map<string, number>();
  const tool = new Map<string, number>();
  const secret = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (i % 5 === 0) path.set(`app${i}`, i);
    else if (i % 5 === 1) host.set(`api${i}.example.com`, i);
    else if (i % 5 === 2) bad.set(`bad${i}.example`, i);
    else if (i % 5 === 3) tool.set(`tool${i}`, i);
    else secret.add(`SECRET_${i}`);
  }
  return (action, v) => {
    switch (action) {
      case "file.read": {
        // /srv/app<i> or /srv/app<i>/...
        if (!v.startsWith("/srv/")) return false;
        const end = v.indexOf("/", 5);
        return path.has(end < 0 ? v.slice(5) : v.slice(5, end));
      }
      case "network.request": {
        if (host.has(v)) return true;
        return false; // the deny rules (*.bad<i>.example) deny what the default denies too
      }
      case "shell.execute": {
        const sp = v.indexOf(" ");
        return sp > 0 && tool.has(v.slice(0, sp)) && v.startsWith(" plan", sp);
      }
      default:
        return false; // env: the SECRET_<i> rules deny, and so does the default
    }
  };
}

// ---- the regex (`matches`) rules shared by the tables below ----------------------

/**
 * 100 regex rules over path, host, command and key, written with alternations so
 * Cedar (which has no regex) gets the exact same set as a disjunction of `like`s.
 */
function regexRules(b: Builder, count: number, base: number) {
  for (let j = 0; j < count; j++) {
    const w = word(base + j);
    const W = w.toUpperCase();
    switch (j % 4) {
      case 0: {
        const re = `^/(srv|opt)/${w}/(cache|tmp)/.*$`;
        const likes = ["srv", "opt"].flatMap((a) => ["cache", "tmp"].map((c) => `context.path like ${q(`/${a}/${w}/${c}/*`)}`));
        add(b, `m${j}`, "file.read", "path", `path: {matches: '${re}'}`, false, re.replace(/\//g, "\\/"), likes.join(" || "));
        break;
      }
      case 1: {
        const re = `^(www|cdn)\\.${w}\\.(net|org)$`;
        const likes = ["www", "cdn"].flatMap((a) => ["net", "org"].map((t) => `context.host == ${q(`${a}.${w}.${t}`)}`));
        add(b, `m${j}`, "network.request", "host", `host: {matches: '${re}'}`, false, re, likes.join(" || "));
        break;
      }
      case 2: {
        const re = `^(deploy|rollback) ${w}-(prod|staging)( .*)?$`;
        const likes = ["deploy", "rollback"].flatMap((a) =>
          ["prod", "staging"].flatMap((e) => [`context.command == ${q(`${a} ${w}-${e}`)}`, `context.command like ${q(`${a} ${w}-${e} *`)}`]),
        );
        add(b, `m${j}`, "shell.execute", "command", `command: {matches: '${re}'}`, true, re, likes.join(" || "));
        break;
      }
      default: {
        const re = `^(AWS|GCP)_${W}_(TOKEN|KEY)$`;
        const likes = ["AWS", "GCP"].flatMap((a) => ["TOKEN", "KEY"].map((k) => `context.key == ${q(`${a}_${W}_${k}`)}`));
        add(b, `m${j}`, "env.read", "key", `key: {matches: '${re}'}`, false, re, likes.join(" || "));
      }
    }
  }
}
function regexRequest(r: () => number, count: number, base: number): unknown {
  const j = int(r, count);
  const w = word(base + j);
  const W = w.toUpperCase();
  switch (j % 4) {
    case 0:
      return { action: "file.read", path: `/${pick(r, ["srv", "opt", "var"])}/${w}/${pick(r, ["cache", "tmp", "log"])}/${junk(r, 5)}` };
    case 1:
      return { action: "network.request", host: `${pick(r, ["www", "cdn", "api"])}.${w}.${pick(r, ["net", "org", "com"])}` };
    case 2:
      return {
        action: "shell.execute",
        command: `${pick(r, ["deploy", "rollback", "destroy"])} ${w}-${pick(r, ["prod", "staging", "dev"])}${pick(r, ["", " --now", ` ${junk(r, 4)}`])}`,
      };
    default:
      return { action: "env.read", key: `${pick(r, ["AWS", "GCP", "AZ"])}_${W}_${pick(r, ["TOKEN", "KEY", "ID"])}` };
  }
}

// ---- keyed globs + regex (the issue's first row) ---------------------------------

export function keyedRegexTable(n: number, count = 10_000, seed = 2, regexCount = 100): Table {
  const b: Builder = { yaml: [], rules: [] };
  for (let i = 0; i < n; i++) {
    const w = word(i);
    switch (i % 3) {
      case 0:
        // /data/<w>/**/*.log: any depth under /data/<w>, a name ending .log
        add(
          b,
          `g${i}`,
          "file.read",
          "path",
          `path: '/data/${w}/**/*.log'`,
          true,
          `^${esc(`/data/${w}/`)}(.*\\/)?[^\\/]*\\.log$`,
          `(context.dir == ${q(`/data/${w}`)} || context.dir like ${q(`/data/${w}/*`)}) && context.base like "*.log"`,
        );
        break;
      case 1:
        add(
          b,
          `g${i}`,
          "network.request",
          "host",
          `host: '*.${w}.example.com'`,
          true,
          `^.+${esc(`.${w}.example.com`)}$`,
          `context.host like ${q(`*.${w}.example.com`)}`,
        );
        break;
      default:
        add(b, `g${i}`, "shell.execute", "command", `command: '${w} *'`, true, `^${esc(w)} .*$`, `context.command like ${q(`${w} *`)}`);
    }
  }
  regexRules(b, regexCount, n);
  const r = rng(seed);
  const at = (k: number) => {
    const i = int(r, Math.max(1, Math.floor(n / 3))) * 3 + k;
    return word(i < n ? i : k);
  };
  const next = (): unknown => {
    const kind = int(r, 8);
    if (kind === 0) return regexRequest(r, regexCount, n);
    if (kind <= 2) {
      const w = at(0);
      return {
        action: "file.read",
        path: pick(r, [
          `/data/${w}/${junk(r, 4)}/${junk(r, 6)}.log`,
          `/data/${w}/${junk(r, 6)}.log`,
          `/data/${w}/${junk(r, 6)}.txt`,
          `/data/${w}`,
          `/data/${w}x/${junk(r, 3)}.log`,
          `/DATA/${w}/${junk(r, 3)}.log`,
          `/data/${w}/${junk(r, 2)}/${junk(r, 2)}/.log`,
        ]),
      };
    }
    if (kind <= 4) {
      const w = at(1);
      return {
        action: "network.request",
        ...(r() < 0.5
          ? {
              host: pick(r, [
                `${junk(r, 4)}.${w}.example.com`,
                `${w}.example.com`,
                `${flipCase(r, junk(r, 3))}.${w.toUpperCase()}.EXAMPLE.com`,
                `a.b.${w}.example.com`,
                `${junk(r, 4)}.${w}.example.org`,
                pick(r, IP_HOSTS),
              ]),
            }
          : { url: `https://${junk(r, 4)}.${w}.example.com/${junk(r, 5)}` }),
      };
    }
    const c = () => {
      const w = at(2);
      return pick(r, [`${w} ${junk(r, 5)}`, `${w}`, `${w}x ${junk(r, 3)}`, `${w.toUpperCase()} ${junk(r, 2)}`, `${w}  ${junk(r, 4)} ${junk(r, 3)}`]);
    };
    return { action: "shell.execute", command: r() < 0.25 ? compound(r, [c(), c()]) : c() };
  };
  const edge = [
    { action: "file.read", path: `/data/${word(0)}` },
    { action: "file.read", path: `/data/${word(0)}/x.log` },
    ...IP_HOSTS.map((host) => ({ action: "network.request", host })),
  ];
  return {
    name: "keyed-regex",
    n: n + regexCount,
    yaml: doc(b),
    rules: b.rules,
    fields: { "file.read": "path", "network.request": "host", "shell.execute": "command", "env.read": "key" },
    firstMatch: false,
    requests: stream(count, edge, next),
  };
}

// ---- unkeyed globs + regex -------------------------------------------------------

/** Globs the index cannot key on: a leading `**`, `*`, or a key prefix shared by nothing. */
export function unkeyedTable(n: number, count = 10_000, seed = 3, regexCount = 100): Table {
  const b: Builder = { yaml: [], rules: [] };
  for (let i = 0; i < n; i++) {
    const w = word(i);
    switch (i % 4) {
      case 0:
        // **/<w>/*.log: a .log file whose parent directory is named <w>, at any depth
        add(
          b,
          `u${i}`,
          "file.read",
          "path",
          `path: '**/${w}/*.log'`,
          true,
          `^(.*\\/)?${esc(w)}\\/[^\\/]*\\.log$`,
          `context.dir like ${q(`*/${w}`)} && context.base like "*.log"`,
        );
        break;
      case 1:
        add(b, `u${i}`, "network.request", "host", `host: 'api-*.${w}.com'`, true, `^api-.*${esc(`.${w}.com`)}$`, `context.host like ${q(`api-*.${w}.com`)}`);
        break;
      case 2:
        add(b, `u${i}`, "shell.execute", "command", `command: '*--${w}*'`, true, `^.*--${esc(w)}.*$`, `context.command like ${q(`*--${w}*`)}`);
        break;
      default: {
        const W = w.toUpperCase();
        add(b, `u${i}`, "env.read", "key", `key: '${W}_*'`, true, `^${esc(W)}_.*$`, `context.key like ${q(`${W}_*`)}`);
      }
    }
  }
  regexRules(b, regexCount, n);
  const r = rng(seed);
  const at = (k: number) => {
    const i = int(r, Math.max(1, Math.floor(n / 4))) * 4 + k;
    return word(i < n ? i : k);
  };
  const cmd = () => {
    const w = at(2);
    return pick(r, [
      `${junk(r, 4)} --${w}`,
      `${junk(r, 3)} -x --${w}=${junk(r, 3)}`,
      `${junk(r, 4)} --${w}${junk(r, 3)} ${junk(r, 2)}`,
      `${junk(r, 4)} -${w}`,
      `${junk(r, 4)} --${w.toUpperCase()}`,
      `${junk(r, 4)} ${junk(r, 6)}`,
    ]);
  };
  const next = (): unknown => {
    const kind = int(r, 9);
    if (kind === 0) return regexRequest(r, regexCount, n);
    if (kind <= 2) {
      const w = at(0);
      const d = `/${junk(r, 3)}/${r() < 0.5 ? junk(r, 4) + "/" : ""}`;
      return {
        action: "file.read",
        path: pick(r, [
          `${d}${w}/${junk(r, 6)}.log`,
          `/${w}/${junk(r, 4)}.log`,
          `${d}${w}/${junk(r, 3)}/${junk(r, 4)}.log`,
          `${d}${w}/${junk(r, 5)}.txt`,
          `${d}${w}`,
          `${d}${w}/.log`,
          `${d}${w.toUpperCase()}/${junk(r, 3)}.log`,
          `${d}x${w}/${junk(r, 3)}.log`,
        ]),
      };
    }
    if (kind <= 4) {
      const w = at(1);
      const h = pick(r, [
        `api-${junk(r, 3)}.${w}.com`,
        `api-.${w}.com`,
        `api-${junk(r, 2)}.${junk(r, 2)}.${w}.com`,
        `API-${junk(r, 3).toUpperCase()}.${w.toUpperCase()}.COM`,
        `api.${w}.com`,
        `api-${junk(r, 3)}.${w}.net`,
        `api-${junk(r, 3)}.${w}.com.`,
        pick(r, IP_HOSTS),
      ]);
      return { action: "network.request", ...(r() < 0.7 ? { host: h } : { url: `https://${h}/${junk(r, 4)}` }) };
    }
    if (kind <= 6) return { action: "shell.execute", command: r() < 0.25 ? compound(r, [cmd(), cmd()]) : cmd() };
    const W = at(3).toUpperCase();
    return {
      action: "env.read",
      key: pick(r, [`${W}_${junk(r, 4, "ABCDEFXYZ_")}`, `${W}_`, `${W}`, `${W.toLowerCase()}_${junk(r, 3, "abc")}`, `X${W}_${junk(r, 2, "AB")}`]),
    };
  };
  const edge = [
    { action: "file.read", path: `/${word(0)}/a.log` },
    { action: "file.read", path: `/srv/${word(0)}` },
    { action: "shell.execute", command: `x --${word(2)} && y --${word(n > 6 ? 6 : 2)}` },
    { action: "shell.execute", command: `x --${word(2)} && rm -rf /` },
    ...IP_HOSTS.map((host) => ({ action: "network.request", host })),
  ];
  return {
    name: "unkeyed",
    n: n + regexCount,
    yaml: doc(b),
    rules: b.rules,
    fields: { "file.read": "path", "network.request": "host", "shell.execute": "command", "env.read": "key" },
    firstMatch: false,
    requests: stream(count, edge, next),
  };
}

// ---- one shared key ----------------------------------------------------------------

/** Half the rules on one host (different paths of its URLs), half `git <w> *`. */
export function sharedKeyTable(n: number, count = 10_000, seed = 4): Table {
  const b: Builder = { yaml: [], rules: [] };
  for (let i = 0; i < n; i++) {
    const w = word(i);
    if (i % 2 === 0)
      add(
        b,
        `s${i}`,
        "network.request",
        "url",
        `url: 'https://api.shared.example/v1/${w}/*'`,
        true,
        `^${esc(`https://api.shared.example/v1/${w}/`)}.*$`,
        `context.url like ${q(`https://api.shared.example/v1/${w}/*`)}`,
      );
    else add(b, `s${i}`, "shell.execute", "command", `command: 'git ${w} *'`, true, `^${esc(`git ${w} `)}.*$`, `context.command like ${q(`git ${w} *`)}`);
  }
  const r = rng(seed);
  const at = (k: number) => {
    const i = int(r, Math.max(1, Math.floor(n / 2))) * 2 + k;
    return word(i < n ? i : k);
  };
  const git = () => {
    const w = at(1);
    return pick(r, [
      `git ${w} ${junk(r, 5)}`,
      `git ${w} -m ${junk(r, 4)} ${junk(r, 3)}`,
      `git ${w}`,
      `git ${w}x ${junk(r, 3)}`,
      `git  ${w}  ${junk(r, 3)}`,
      `GIT ${w} ${junk(r, 3)}`,
      `git ${w.toUpperCase()} ${junk(r, 3)}`,
    ]);
  };
  const next = (): unknown => {
    if (r() < 0.5) {
      const w = at(0);
      const host = pick(r, [
        "api.shared.example",
        "API.Shared.Example",
        "api.shared.example.",
        "api.shared.example:443",
        "other.shared.example",
        pick(r, IP_HOSTS),
      ]);
      const path = pick(r, [
        `/v1/${w}/${junk(r, 5)}`,
        `/v1/${w}/${junk(r, 3)}/${junk(r, 4)}`,
        `/v1/${w}/`,
        `/v1/${w}`,
        `/v2/${w}/${junk(r, 3)}`,
        `/v1/${w.toUpperCase()}/${junk(r, 3)}`,
        `/v1/${w}x/${junk(r, 3)}`,
      ]);
      return { action: "network.request", url: `${pick(r, ["https", "https", "http"])}://${host}${path}${r() < 0.2 ? `?q=${junk(r, 3)}` : ""}` };
    }
    return { action: "shell.execute", command: r() < 0.25 ? compound(r, [git(), git()]) : git() };
  };
  const edge = [
    { action: "network.request", url: `https://api.shared.example/v1/${word(0)}/` },
    { action: "network.request", url: `https://api.shared.example/v1/${word(0)}` },
    { action: "shell.execute", command: `git ${word(1)} x && git ${word(n > 4 ? 3 : 1)} y` },
  ];
  return {
    name: "shared-key",
    n,
    yaml: doc(b),
    rules: b.rules,
    fields: { "network.request": "url", "shell.execute": "command" },
    firstMatch: false,
    requests: stream(count, edge, next),
  };
}

// ---- overlapping allow / deny (first match decides) ---------------------------------

/**
 * Groups of narrow rules that overlap with different effects (deny
 * `/srv/app<i>/secret/**` above allow `/srv/app<i>/**`, allow `tool<i> plan*`
 * above deny `tool<i> *`, ...), then broad denies after the narrow allows and a
 * broad allow after those. `yieldsTo` lists, for each deny, the earlier allows
 * that can match what it matches (known by construction, checked by agreement).
 */
export function overlapTable(n: number, count = 10_000, seed = 5): Table {
  const b: Builder = { yaml: [], rules: [] };
  const groups = Math.max(1, Math.floor((n - 8) / 8));
  const appAllows: number[] = [];
  const hostAllows: number[] = [];
  const planAllows: number[] = [];
  const publicAllows: number[] = [];
  for (let i = 0; i < groups; i++) {
    const w = word(i);
    add(
      b,
      `d${i}`,
      "file.read",
      "path",
      `path: '/srv/app${i}/secret/**'`,
      false,
      `^${esc(`/srv/app${i}/secret`)}(\\/.*)?$`,
      `context.path == ${q(`/srv/app${i}/secret`)} || context.path like ${q(`/srv/app${i}/secret/*`)}`,
      [],
    );
    appAllows.push(b.rules.length);
    add(
      b,
      `a${i}`,
      "file.read",
      "path",
      `path: '/srv/app${i}/**'`,
      true,
      `^${esc(`/srv/app${i}`)}(\\/.*)?$`,
      `context.path == ${q(`/srv/app${i}`)} || context.path like ${q(`/srv/app${i}/*`)}`,
    );
    add(
      b,
      `dh${i}`,
      "network.request",
      "host",
      `host: 'admin.${w}.example.com'`,
      false,
      `^${esc(`admin.${w}.example.com`)}$`,
      `context.host == ${q(`admin.${w}.example.com`)}`,
      [],
    );
    hostAllows.push(b.rules.length);
    add(
      b,
      `ah${i}`,
      "network.request",
      "host",
      `host: '*.${w}.example.com'`,
      true,
      `^.+${esc(`.${w}.example.com`)}$`,
      `context.host like ${q(`*.${w}.example.com`)}`,
    );
    planAllows.push(b.rules.length);
    add(
      b,
      `ac${i}`,
      "shell.execute",
      "command",
      `command: 'tool${i} plan*'`,
      true,
      `^${esc(`tool${i} plan`)}.*$`,
      `context.command like ${q(`tool${i} plan*`)}`,
    );
    add(b, `dc${i}`, "shell.execute", "command", `command: 'tool${i} *'`, false, `^${esc(`tool${i} `)}.*$`, `context.command like ${q(`tool${i} *`)}`, [
      b.rules.length - 1,
    ]);
    publicAllows.push(b.rules.length);
    add(b, `ak${i}`, "env.read", "key", `key: 'APP${i}_PUBLIC_*'`, true, `^${esc(`APP${i}_PUBLIC_`)}.*$`, `context.key like ${q(`APP${i}_PUBLIC_*`)}`);
    add(b, `dk${i}`, "env.read", "key", `key: 'APP${i}_*'`, false, `^${esc(`APP${i}_`)}.*$`, `context.key like ${q(`APP${i}_*`)}`, [b.rules.length - 1]);
  }
  // broad denies after the narrow allows, broad allows after those
  add(b, "deny-srv", "file.read", "path", `path: '/srv/**'`, false, `^\\/srv(\\/.*)?$`, `context.path == "/srv" || context.path like "/srv/*"`, appAllows);
  add(b, "allow-txt", "file.read", "path", `path: '**/*.txt'`, true, `^.*\\/[^\\/]*\\.txt$`, `context.base like "*.txt"`);
  add(b, "deny-example", "network.request", "host", `host: '*.example.com'`, false, `^.+\\.example\\.com$`, `context.host like "*.example.com"`, hostAllows);
  add(b, "allow-com", "network.request", "host", `host: '*.com'`, true, `^.+\\.com$`, `context.host like "*.com"`);
  add(b, "deny-force", "shell.execute", "command", `command: '* --force*'`, false, `^.* --force.*$`, `context.command like "* --force*"`, planAllows);
  add(b, "allow-dry-run", "shell.execute", "command", `command: '* --dry-run*'`, true, `^.* --dry-run.*$`, `context.command like "* --dry-run*"`);
  add(b, "deny-secret", "env.read", "key", `key: '*_SECRET*'`, false, `^.*_SECRET.*$`, `context.key like "*_SECRET*"`, publicAllows);
  add(b, "allow-env", "env.read", "key", `key: '*'`, true, `^.*$`, `true`);
  const r = rng(seed);
  const g = () => int(r, groups);
  const cmd = () => {
    const i = g();
    return pick(r, [
      `tool${i} plan ${junk(r, 3)}`,
      `tool${i} plan --force`,
      `tool${i} apply --dry-run`,
      `tool${i} apply ${junk(r, 4)}`,
      `tool${i}`,
      `${junk(r, 4)} --dry-run`,
      `${junk(r, 4)} --force --dry-run`,
      `${junk(r, 4)} ${junk(r, 3)}`,
      `TOOL${i} plan`,
    ]);
  };
  const next = (): unknown => {
    switch (int(r, 4)) {
      case 0: {
        const i = g();
        return {
          action: "file.read",
          path: pick(r, [
            `/srv/app${i}/${junk(r, 5)}`,
            `/srv/app${i}/secret/${junk(r, 4)}`,
            `/srv/app${i}/secret`,
            `/srv/app${i}`,
            `/srv/app${i}/secret/${junk(r, 3)}.txt`,
            `/srv/${junk(r, 4)}.txt`,
            `/srv/app${i}x/${junk(r, 3)}`,
            `/home/${junk(r, 4)}/${junk(r, 3)}.txt`,
            `/home/${junk(r, 4)}/${junk(r, 3)}.md`,
            `/srv/app${i}/public/../secret/${junk(r, 3)}`,
            `/SRV/app${i}/${junk(r, 3)}.txt`,
          ]),
        };
      }
      case 1: {
        const w = word(g());
        const h = pick(r, [
          `admin.${w}.example.com`,
          `${junk(r, 4)}.${w}.example.com`,
          `ADMIN.${w.toUpperCase()}.example.com`,
          `${junk(r, 4)}.example.com`,
          `${junk(r, 5)}.com`,
          `${junk(r, 4)}.org`,
          `admin.${w}.example.com.`,
          pick(r, IP_HOSTS),
        ]);
        return { action: "network.request", ...(r() < 0.6 ? { host: h } : { url: `https://${h}/${junk(r, 3)}` }) };
      }
      case 2:
        return { action: "shell.execute", command: r() < 0.25 ? compound(r, [cmd(), cmd()]) : cmd() };
      default: {
        const i = g();
        return {
          action: "env.read",
          key: pick(r, [
            `APP${i}_PUBLIC_${junk(r, 3, "ABCXYZ")}`,
            `APP${i}_PUBLIC_X_SECRET`,
            `APP${i}_${junk(r, 4, "ABCXYZ")}`,
            `${junk(r, 4, "ABCXYZ")}_SECRET`,
            `${junk(r, 5, "ABCXYZ")}`,
            `app${i}_public_x`,
            `APP${i}X_${junk(r, 2, "AB")}`,
          ]),
        };
      }
    }
  };
  const edge = [
    { action: "file.read", path: "/srv/app1" },
    { action: "file.read", path: "/srv/app1/secret" },
    { action: "file.read", path: "/srv" },
    { action: "file.read", path: "/srv/a.txt" },
    { action: "shell.execute", command: "tool1 plan && tool1 apply" },
    { action: "shell.execute", command: "tool1 plan && x --dry-run" },
    ...IP_HOSTS.map((host) => ({ action: "network.request", host })),
  ];
  return {
    name: "overlap",
    n: b.rules.length,
    yaml: doc(b),
    rules: b.rules,
    fields: { "file.read": "path", "network.request": "host", "shell.execute": "command", "env.read": "key" },
    firstMatch: true,
    requests: stream(count, edge, next),
  };
}

// ---- worst case: long requests against multi-star rules ---------------------------

/**
 * 100 command rules `*a*a*a*a*a*a*a*a*b<i>` (the issue's case) and 100 path rules
 * `/d/*a*a*a*a*b<i>*`; requests are ~64 KB command lines (one long word) and
 * ~4 KB paths (the longest a request may send), mostly `a`s, some matching.
 */
export function worstTable(rules = 100, count = 200, seed = 6, bytes = 64 * 1024): Table {
  const b: Builder = { yaml: [], rules: [] };
  for (let i = 0; i < rules; i++) {
    const pat = "*a".repeat(8) + `*b${i}`;
    add(b, `wc${i}`, "shell.execute", "command", `command: '${pat}'`, true, `^${".*a".repeat(8)}.*b${i}$`, `context.command like ${q(pat)}`);
  }
  for (let i = 0; i < rules; i++) {
    const pat = "/d/*" + "a*".repeat(4) + `b${i}*`;
    add(
      b,
      `wp${i}`,
      "file.read",
      "path",
      `path: '${pat}'`,
      true,
      `^\\/d\\/[^\\/]*${"a[^\\/]*".repeat(4)}b${i}[^\\/]*$`,
      `context.dir == "/d" && context.base like ${q("*" + "a*".repeat(4) + `b${i}*`)}`,
    );
  }
  const r = rng(seed);
  const next = (): unknown => {
    if (r() < 0.5) {
      const len = bytes - 64 - int(r, 512);
      const tail = pick(r, ["", `b${int(r, rules)}`, `b${rules + int(r, 50)}`, `c${int(r, 9)}`]);
      return { action: "shell.execute", command: `echo ${"a".repeat(len)}${junk(r, 3, "ac")}${tail}` };
    }
    const len = 4000 - int(r, 200);
    const tail = pick(r, ["", `b${int(r, rules)}`, `b${int(r, rules)}x`, `c${int(r, 9)}`]);
    return { action: "file.read", path: `/d/${"a".repeat(len)}${junk(r, 3, "ac")}${tail}` };
  };
  return {
    name: "worst",
    n: b.rules.length,
    yaml: doc(b),
    rules: b.rules,
    fields: { "file.read": "path", "shell.execute": "command" },
    firstMatch: false,
    requests: stream(count, [], next),
  };
}

/** The tables by name, for the scripts (`n` is ignored by `worst`). */
export function makeTable(name: string, n: number, count?: number): Table {
  switch (name) {
    case "keyed":
      return keyedTable(n, count);
    case "keyed-regex":
      return keyedRegexTable(n, count);
    case "unkeyed":
      return unkeyedTable(n, count);
    case "shared-key":
      return sharedKeyTable(n, count);
    case "overlap":
      return overlapTable(n, count);
    case "worst":
      return worstTable(100, count);
    default:
      throw new Error(`unknown table ${name}`);
  }
}
