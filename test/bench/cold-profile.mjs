// Cold start, measured in fresh processes (issue 14 item 3):
//   node test/bench/cold-profile.mjs [--sizes 1000,10000] [--runs 5] [--shapes gen,mixed] [--no-edge] [--prof DIR] [--roots A,B]
// For each table size and shape it builds a bundle with `safeclaw build`, then in
// fresh Node processes (`--expose-gc`) times: the module import, the load
// (bundle: JSON.parse + loadBundle; YAML: loadPolicy), the first decision on every
// built-in action and a custom one (each builds its action's rule bucket), peak RSS
// (process.resourceUsage().maxRSS) and the heap once loaded and collected. With
// edge figures (default on), the Lambda build (adapters/lambda/build.mjs) and the
// Worker (wrangler --dry-run, run in Miniflare) are built around the same bundle.
// Needs `npm run build` (dist/) first. Writes build/bench-cold-profile.json; it
// rewrites build/policy-bundle.* for the edge builds and restores the example's.
// `--prof DIR` also writes a --cpu-prof profile of one run of each load to DIR. `--roots A,B`
// measures several checkouts (each with its own dist/ and build/) in interleaved runs, so a
// before/after comparison sees the same machine load; the default is this checkout.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const self = new URL(import.meta.url).pathname;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};

// ---- tables (`gen` is policy-gen.ts's table, built to build/bench-lib as run.sh does; `mixed` adds the other shapes) ----

const genLib = join(root, "build/bench-lib/policy-gen.js");
if (!existsSync(genLib))
  execFileSync(join(root, "node_modules/.bin/esbuild"), [join(root, "test/bench/policy-gen.ts"), "--format=esm", `--outfile=${genLib}`, "--log-level=warning"]);
const { generatePolicy } = await import(genLib);

/** Every action, unkeyed globs, regexes, lists, url globs, composed conditions, MCP arguments read as paths. */
function generateMixed(n) {
  const rules = [];
  for (let i = 0; i < n; i++) {
    switch (i % 12) {
      case 0:
        rules.push(`- {id: m${i}, action: file.read, path: '/srv/app${i}/**', effect: allow}`);
        break;
      case 1:
        rules.push(`- {id: m${i}, action: file.*, path: '**/w${i}/*.log', effect: deny}`);
        break;
      case 2:
        rules.push(`- {id: m${i}, action: [file.write, file.delete], path: {glob: '/data/d${i}/**', not: {glob: '**/*.lock'}}, effect: allow}`);
        break;
      case 3:
        rules.push(`- {id: m${i}, action: network.request, host: {in: ['api${i}.example.com', 'cdn${i}.example.com']}, effect: allow}`);
        break;
      case 4:
        rules.push(`- {id: m${i}, action: network.request, host: 'api-*.w${i}.com', method: [GET, HEAD], effect: allow}`);
        break;
      case 5:
        rules.push(`- {id: m${i}, action: network.request, url: 'https://svc${i}.example.net/v1/**', effect: allow}`);
        break;
      case 6:
        rules.push(`- {id: m${i}, action: shell.execute, command: 'tool${i} plan*', effect: allow}`);
        break;
      case 7:
        rules.push(`- {id: m${i}, action: shell.execute, command: '*--w${i}*', effect: deny}`);
        break;
      case 8:
        rules.push(`- {id: m${i}, action: shell.execute, command: {matches: '^deploy-${i} (staging|prod)-[0-9]+$'}, effect: require_approval}`);
        break;
      case 9:
        rules.push(`- {id: m${i}, action: env.read, key: {startsWith: 'W${i}_'}, effect: deny}`);
        break;
      case 10:
        rules.push(`- {id: m${i}, action: mcp.call, server: 'srv${i}', tool: 'read_*', arguments.path: '/srv/mcp${i}/**', effect: allow}`);
        break;
      case 11:
        rules.push(
          `- {id: m${i}, action: '*', agent: {matches: '^bot-${i}-[a-z]+$'}, any: [{context.team: 't${i}'}, {context.env: {in: [dev, test]}}], effect: deny}`,
        );
        break;
    }
  }
  return `version: 1\ndefaultAction: deny\nrules:\n${rules.join("\n")}\n`;
}

/** One request per action (and a custom action), aimed at the table's last rules, with the decision each must get. */
function firstRequests(shape, n) {
  const last = (k, m) => n - 1 - ((((n - 1 - k) % m) + m) % m);
  if (shape === "gen")
    return [
      [{ action: "file.read", path: `/srv/app${last(0, 5)}/src/index.ts` }, "allow"],
      [{ action: "file.write", path: "/srv/x" }, "deny"],
      [{ action: "file.delete", path: "/tmp/x" }, "deny"],
      [{ action: "shell.execute", command: `tool${last(3, 5)} plan -out x` }, "allow"],
      [{ action: "network.request", url: `https://api${last(1, 5)}.example.com/v1/x` }, "allow"],
      [{ action: "env.read", key: `SECRET_${last(4, 5)}` }, "deny"],
      [{ action: "mcp.call", server: "s", tool: "t" }, "deny"],
      [{ action: "custom.thing" }, "deny"],
    ];
  const l = (k) => last(k, 12);
  return [
    [{ action: "file.read", path: `/srv/app${l(0)}/src/index.ts` }, "allow"],
    [{ action: "file.write", path: `/data/d${l(2)}/out.txt` }, "allow"],
    [{ action: "file.delete", path: `/x/w${l(1)}/a.log` }, "deny"],
    [{ action: "shell.execute", command: `tool${l(6)} plan -out x` }, "allow"],
    [{ action: "network.request", url: `https://svc${l(5)}.example.net/v1/items`, method: "GET" }, "allow"],
    [{ action: "env.read", key: `W${l(9)}_TOKEN` }, "deny"],
    [{ action: "mcp.call", server: `srv${l(10)}`, tool: "read_file", arguments: { path: `/srv/mcp${l(10)}/a.txt` } }, "allow"],
    [{ action: "custom.thing", agent: `bot-${l(11)}-x`, context: { env: "dev" } }, "deny"],
  ];
}

// ---- child: one fresh process, one load ----

if (process.argv[2] === "--child") {
  const [, , , kind, shape, n, file, at] = process.argv;
  const t0 = performance.now();
  const m = await import(join(at, "dist/index.js"));
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const rssAfterImport = process.resourceUsage().maxRSS;
  let policy;
  let parseMs = 0;
  if (kind === "bundle") {
    const text = readFileSync(file, "utf8");
    const p0 = performance.now();
    const obj = JSON.parse(text);
    parseMs = performance.now() - p0;
    policy = (await m.loadBundle(obj)).policy;
  } else {
    const r = await m.loadPolicy([{ name: `gen-${n}.yaml`, text: readFileSync(file, "utf8") }]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
    policy = r.policy;
  }
  const t2 = performance.now();
  const engine = m.createEngine(policy);
  const perAction = {};
  for (const [q, want] of firstRequests(shape, Number(n))) {
    const a0 = performance.now();
    const d = engine.check(q);
    perAction[q.action] = +(performance.now() - a0).toFixed(2);
    if (d.decision !== want) throw new Error(`${q.action}: ${d.decision}, expected ${want} (${d.reason})`);
  }
  const t3 = performance.now();
  const c3 = process.cpuUsage(c1);
  const maxRssKiB = process.resourceUsage().maxRSS;
  for (let i = 0; i < 3; i++) globalThis.gc();
  const steadyHeap = process.memoryUsage().heapUsed;
  console.log(
    JSON.stringify({
      importMs: t1 - t0,
      loadMs: t2 - t1,
      parseMs,
      firstDecisionsMs: t3 - t2,
      loadAndDecisionsMs: t3 - t1,
      loadAndDecisionsCpuMs: (c3.user + c3.system) / 1000,
      perAction,
      maxRssMiB: maxRssKiB / 1024,
      rssAfterImportMiB: rssAfterImport / 1024,
      steadyHeapMiB: steadyHeap / 1024 / 1024,
      keep: engine.policy.rules.length,
    }),
  );
  process.exit(0);
}

if (process.argv[2] === "--lambda-child") {
  const [, , , file, shape, n] = process.argv;
  const t0 = performance.now();
  const mod = await import("file://" + file);
  const t1 = performance.now();
  const reqs = firstRequests(shape, Number(n));
  const first = await mod.handler(reqs[0][0]);
  const t2 = performance.now();
  for (const [q] of reqs.slice(1)) await mod.handler(q);
  const t3 = performance.now();
  if (first.decision !== reqs[0][1]) throw new Error(`lambda: ${first.decision}`);
  process.stderr.write(
    "@@" + JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1, restMs: t3 - t2, totalMs: t3 - t0, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + "\n",
  );
  process.exit(0);
}

// ---- parent ----

const sizes = arg("--sizes", "1000,10000").split(",").map(Number);
const shapes = arg("--shapes", "gen,mixed").split(",");
const runs = Number(arg("--runs", "5"));
const prof = arg("--prof", undefined);
const roots = arg("--roots", root)
  .split(",")
  .map((r) => (r.endsWith("/") ? r : r + "/"));
const edge = !process.argv.includes("--no-edge");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const work = mkdtempSync(join(tmpdir(), "safeclaw-cold-"));

function child(args, extra = []) {
  const r = spawnSync(process.execPath, ["--expose-gc", ...extra, self, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`child ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

function buildBundle(at, yamlFile, out) {
  const t0 = performance.now();
  execFileSync(process.execPath, [join(at, "bin/safeclaw.js"), "build", "--policy", yamlFile, "--out", out], { stdio: "ignore" });
  return performance.now() - t0;
}

const results = { date: new Date().toISOString(), node: process.version, runs, roots, tables: [], edge: [] };
const KEYS = [
  "importMs",
  "loadMs",
  "parseMs",
  "firstDecisionsMs",
  "loadAndDecisionsMs",
  "loadAndDecisionsCpuMs",
  "maxRssMiB",
  "rssAfterImportMiB",
  "steadyHeapMiB",
];
for (const shape of shapes) {
  for (const n of sizes) {
    const yaml = join(work, `${shape}-${n}.yaml`);
    writeFileSync(yaml, shape === "gen" ? generatePolicy(n) : generateMixed(n));
    const rows = roots.map((at, k) => {
      const dir = join(work, `${shape}-${n}-${k}`);
      const buildMs = buildBundle(at, yaml, dir);
      const bundleFile = join(dir, "policy-bundle.json");
      return {
        root: at,
        shape,
        rules: n,
        dir,
        bundleFile,
        buildMs: +buildMs.toFixed(0),
        bundleKiB: +(readFileSync(bundleFile).length / 1024).toFixed(0),
        raw: { bundle: [], yaml: [] },
      };
    });
    for (let i = 0; i < runs; i++) {
      for (const kind of ["bundle", "yaml"]) {
        for (const row of rows) row.raw[kind].push(child(["--child", kind, shape, String(n), kind === "bundle" ? row.bundleFile : yaml, row.root]));
      }
    }
    for (const row of rows) {
      for (const kind of ["bundle", "yaml"]) {
        const rs = row.raw[kind];
        if (prof) {
          mkdirSync(prof, { recursive: true });
          const name = `${kind}-${shape}-${n}-${roots.indexOf(row.root)}.cpuprofile`;
          child(
            ["--child", kind, shape, String(n), kind === "bundle" ? row.bundleFile : yaml, row.root],
            ["--cpu-prof", "--cpu-prof-dir", prof, "--cpu-prof-name", name],
          );
        }
        const out = Object.fromEntries(KEYS.map((k) => [k, median(rs.map((r) => r[k]))]));
        out.loadAndDecisionsSpread = spread(rs.map((r) => r.loadAndDecisionsMs));
        out.perAction = rs[Math.floor(rs.length / 2)].perAction;
        row[kind] = out;
      }
      delete row.raw;
      results.tables.push(row);
    }
    console.error(`${shape} ${n}: done`);
  }
}

if (edge) {
  const { Miniflare } = await import("miniflare");
  const hello = join(work, "hello.js");
  writeFileSync(hello, "export default { fetch() { return new Response('{}'); } };\n");
  const miniflare = async (scriptPath, modulesRoot, bodies) => {
    const t0 = performance.now();
    const mf = new Miniflare({
      modules: true,
      modulesRoot,
      scriptPath,
      compatibilityDate: "2024-09-23",
      bindings: { SAFECLAW_AUDIT_SINK: "stdout" },
      handleRuntimeStdio: (stdout, stderr) => (stdout.resume(), stderr.resume()), // the audit lines
    });
    await mf.ready;
    const t1 = performance.now();
    const times = [];
    const decisions = [];
    for (const body of bodies) {
      const a = performance.now();
      const res = await mf.dispatchFetch("http://safeclaw.test/v1/check", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      decisions.push((await res.json()).decision);
      times.push(performance.now() - a);
    }
    await mf.dispose();
    return { readyMs: t1 - t0, firstMs: times[0], restMs: times.slice(1).reduce((a, b) => a + b, 0), decisions };
  };
  const p = (xs, k) => xs.map((x) => x[k]);
  try {
    for (const shape of shapes) {
      for (const n of sizes) {
        const builds = roots.map((at, k) => {
          const dir = join(work, `${shape}-${n}-${k}`);
          for (const f of ["policy-bundle.json", "policy-bundle.js", "policy-bundle.d.ts"]) copyFileSync(join(dir, f), join(at, "build", f));
          execFileSync(process.execPath, [join(at, "adapters/lambda/build.mjs")]);
          const lambdaFile = join(dir, "lambda.mjs");
          copyFileSync(join(at, "build/lambda/index.mjs"), lambdaFile);
          const wout = join(dir, "worker");
          execFileSync(
            process.execPath,
            [join(at, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", wout, "-c", join(at, "adapters/workers/wrangler.toml")],
            { stdio: "ignore", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
          );
          return { at, lambdaFile, wout, lam: [], wk: [], base: [] };
        });
        const reqs = firstRequests(shape, n);
        const want = reqs.map(([, d]) => d).join();
        for (let i = 0; i < runs; i++) {
          for (const b of builds) {
            const r = spawnSync(process.execPath, [self, "--lambda-child", b.lambdaFile, shape, String(n)], {
              encoding: "utf8",
              env: { ...process.env, SAFECLAW_AUDIT_SINK: "stdout" },
            });
            const line = r.stderr.split("\n").find((x) => x.startsWith("@@"));
            if (!line) throw new Error(`lambda child failed: ${r.stderr}`);
            b.lam.push(JSON.parse(line.slice(2)));
            b.base.push(await miniflare(hello, work, [{}]));
            const w = await miniflare(
              join(b.wout, "worker.js"),
              b.wout,
              reqs.map(([q]) => q),
            );
            if (w.decisions.join() !== want) throw new Error(`worker decisions ${w.decisions} != ${want}`);
            b.wk.push(w);
          }
        }
        for (const b of builds) {
          results.edge.push({
            root: b.at,
            shape,
            rules: n,
            lambdaKiB: +(readFileSync(b.lambdaFile).length / 1024).toFixed(0),
            lambda: {
              importMs: median(p(b.lam, "importMs")),
              firstMs: median(p(b.lam, "firstMs")),
              restMs: median(p(b.lam, "restMs")),
              totalMs: median(p(b.lam, "totalMs")),
              totalSpread: spread(p(b.lam, "totalMs")),
              maxRssMiB: median(p(b.lam, "maxRssMiB")),
            },
            worker: {
              readyMs: median(p(b.wk, "readyMs")),
              helloReadyMs: median(p(b.base, "readyMs")),
              scriptCostMs: median(b.wk.map((w, i) => w.readyMs - b.base[i].readyMs)),
              firstMs: median(p(b.wk, "firstMs")),
              restMs: median(p(b.wk, "restMs")),
              helloFirstMs: median(p(b.base, "firstMs")),
            },
          });
        }
        console.error(`edge ${shape} ${n}: done`);
      }
    }
  } finally {
    for (const at of roots)
      execFileSync(
        process.execPath,
        [join(at, "bin/safeclaw.js"), "build", "--policy", join(at, "examples/safeclaw.config.yaml"), "--out", join(at, "build")],
        {
          stdio: "ignore",
        },
      );
  }
}
rmSync(work, { recursive: true, force: true });

const label = (at) => (roots.length > 1 ? `${roots.indexOf(at)} ` : "");
console.log(
  "\n| checkout | table | rules | load | import ms | load ms | first decision, every action ms | load + decisions ms (min–max) | same, CPU ms | peak RSS MiB | heap MiB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const t of results.tables) {
  for (const kind of ["bundle", "yaml"]) {
    const r = t[kind];
    console.log(
      `| ${label(t.root)}| ${t.shape} | ${t.rules} | ${kind} | ${r.importMs.toFixed(1)} | ${r.loadMs.toFixed(1)} | ${r.firstDecisionsMs.toFixed(1)} | ${r.loadAndDecisionsSpread} | ${r.loadAndDecisionsCpuMs.toFixed(0)} | ${r.maxRssMiB.toFixed(0)} | ${r.steadyHeapMiB.toFixed(1)} |`,
    );
  }
}
if (results.edge.length > 0) {
  console.log(
    "\n| checkout | table | rules | Lambda import ms | Lambda first ms | Lambda other actions ms | Lambda total ms (min–max) | Worker script ms over hello | Worker first ms | Worker other actions ms |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const e of results.edge) {
    console.log(
      `| ${label(e.root)}| ${e.shape} | ${e.rules} | ${e.lambda.importMs.toFixed(1)} | ${e.lambda.firstMs.toFixed(1)} | ${e.lambda.restMs.toFixed(1)} | ${e.lambda.totalSpread} | ${e.worker.scriptCostMs.toFixed(1)} | ${e.worker.firstMs.toFixed(1)} | ${e.worker.restMs.toFixed(1)} |`,
    );
  }
}
if (roots.length > 1) console.log("\ncheckouts: " + roots.map((r, i) => `${i} = ${r}`).join(", "));
mkdirSync(join(root, "build"), { recursive: true });
writeFileSync(join(root, "build/bench-cold-profile.json"), JSON.stringify(results, null, 2));
