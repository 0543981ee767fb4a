import { main } from "./main.js";

// The process-facing shell around main(): the only place that reads argv and sets the exit code.

// A reader that stops early (`safeclaw audit keygen | head -1`) closes the pipe: stop quietly, as other CLIs do, not with a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(process.exitCode ?? 0);
});
const code = await main(
  process.argv.slice(2),
  {
    stdout: (s) => process.stdout.write(s + "\n"),
    stderr: (s) => process.stderr.write(s + "\n"),
    stdin: process.stdin,
    cwd: process.cwd(),
  },
  process.env,
);
process.exitCode = code;
