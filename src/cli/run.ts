import { main } from "./main.js";

// The process-facing shell around main(): the only place that reads argv and sets the exit code.
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
