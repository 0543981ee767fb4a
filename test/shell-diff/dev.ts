import { Harness } from "./harness.js";
export async function main(args: string[]) {
  const h = new Harness(3);
  await h.init();
  try {
    for (const line of args) {
      const t = performance.now();
      const r = await h.check(line);
      console.log(JSON.stringify(line), (performance.now() - t).toFixed(0) + "ms", JSON.stringify({ engine: r.engine, oracle: r.oracle, verdict: r.verdict }, null, 0));
      if (process.env.VIEWS) console.log(JSON.stringify(r.views));
    }
  } finally { h.dispose(); }
  return 0;
}
