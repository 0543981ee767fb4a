import { claudeCodeInternalToolsRule } from "../sdk/claude-code-tools.js";

/** The policy `safeclaw init` writes: deny by default, every action shown commented out. */
export const INIT_TEMPLATE = `# SafeClaw policy. Rules are read top to bottom; the first rule whose action
# and conditions all match decides. Nothing matched: defaultAction decides.
# So put each deny above the allows it carves out of: an allow of /app/** above
# a deny of **/.env would allow /app/.env. \`safeclaw validate\` warns when that happens.
# Check it with: npx safeclaw validate --strict
version: 1
defaultAction: deny
# Relative path patterns (src/**) are anchored here; without cwd they match at any depth.
# cwd: /app

rules:
  # --- files (denies first) ----------------------------------------------
  # - id: no-dotenv
  #   action: file.*            # file.read, file.write and file.delete
  #   path: "**/.env"
  #   effect: deny
  #   reason: "Secrets live in .env files"
  # - id: read-app
  #   action: file.read
  #   path: "/app/**"
  #   effect: allow
  # - id: write-tmp
  #   action: file.write
  #   path: "/tmp/**"
  #   effect: allow

  # --- shell commands (every command of a line must be allowed) -----------
  # - id: helm-prod
  #   action: shell.execute
  #   command: "helm {install,upgrade} * --namespace prod*"
  #   effect: require_approval
  #   reason: "Production releases need a human"
  # - id: terraform-plan
  #   action: shell.execute
  #   command: "terraform plan*"
  #   effect: allow

  # --- network -------------------------------------------------------------
  # - id: metadata
  #   action: network.request
  #   host: "169.254.169.254"
  #   effect: deny
  #   reason: "Cloud metadata endpoint"
  # - id: llm-apis
  #   action: network.request
  #   host:
  #     in: [api.openai.com, api.anthropic.com]
  #   effect: allow
  # - id: docs-read-only
  #   action: network.request
  #   host: docs.example.com
  #   method: GET
  #   rateLimit: { maxRequests: 60, window: "1 minute" }
  #   effect: allow

  # --- environment variables ----------------------------------------------
  # - id: no-cloud-keys
  #   action: env.read
  #   key: "AWS_SECRET_ACCESS_KEY"
  #   effect: deny

  # --- Claude Code hook: its own planning, task and question tools ----------
  # (every other tool that is neither a file, shell, network nor MCP action
  # stays a denied tool.call unless a rule names it: see the README)
${claudeCodeInternalToolsRule("  # ")}

  # --- MCP tool calls -------------------------------------------------------
  # - id: github-read
  #   action: mcp.call
  #   server: github
  #   tool: "get_*"
  #   effect: allow
`;
