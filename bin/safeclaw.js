#!/usr/bin/env node
// Runs the compiled CLI. `npm ci` builds dist/ through the `prepare` script.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// As a Claude Code hook, any exit but 0 (with an answer) or 2 lets the tool run:
// a launcher that cannot start the CLI must exit 2 with the reason on stderr.
const failCode = process.argv[2] === "hook" ? 2 : 1;
const fail = (message) => {
  process.stderr.write(`safeclaw: ${message}${failCode === 2 ? "; denied" : ""}\n`);
  process.exit(failCode);
};
if (failCode === 2) process.on("uncaughtException", (e) => fail(`hook crashed (${e?.message ?? e})`));

const entry = new URL("../dist/cli/run.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) fail("dist/ is missing; run `npm run build` (npm ci does it for you)");
try {
  await import(entry.href);
} catch (e) {
  fail(`the CLI did not load (${e?.message ?? e})`);
}
