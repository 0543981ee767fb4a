// The MCP TypeScript SDK's client talking to the reference filesystem server through
// `safeclaw mcp-proxy`, all over stdio and offline, on a scratch directory this script makes.
// Run: node examples/mcp-filesystem.mjs   (needs @modelcontextprotocol/sdk and @modelcontextprotocol/server-filesystem)
// In an MCP client's config the same proxy is: command "npx", args ["--no-install", "safeclaw", "mcp-proxy",
// "--policy", "safeclaw.config.yaml", "--server", "filesystem", "--", "npx", "--no-install", "mcp-server-filesystem", "<dir>"].
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "safeclaw-mcp-example-")));
const work = join(dir, "work");
const policy = join(dir, "safeclaw.config.yaml");
writeFileSync(
  policy,
  `rules:
  - { id: no-dotenv, action: file.*, path: "**/.env", effect: deny, reason: Secrets live in .env files }
  - { id: fs-server, action: mcp.call, server: filesystem, effect: allow }
  - { id: read-work, action: file.read, path: "${work}/**", effect: allow }
`,
);
mkdirSync(work);
writeFileSync(join(work, "notes.md"), "# Notes\nship it\n");
writeFileSync(join(work, ".env"), "API_KEY=not-for-the-model\n");

const safeclaw = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const server = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [safeclaw, "mcp-proxy", "--policy", policy, "--server", "filesystem", "--", process.execPath, server, work],
  stderr: "ignore",
});
const client = new Client({ name: "safeclaw-example", version: "1.0.0" });
await client.connect(transport);
const show = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  console.log(JSON.stringify({ tool: name, args, isError: r.isError ?? false, text: r.content.map((c) => c.text).join("") }));
};
await show("read_text_file", { path: join(work, "notes.md") });
await show("read_text_file", { path: join(work, ".env") });
await show("write_file", { path: join(work, "notes.md"), content: "overwritten" });
await client.close();
rmSync(dir, { recursive: true, force: true });
