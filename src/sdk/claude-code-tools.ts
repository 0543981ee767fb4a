/**
 * Every tool Claude Code (and the Claude Agent SDK) can call, by what the hook
 * makes of it. `mapped`: CLAUDE_CODE_TOOLS turns it into the file, shell and
 * network actions it takes. `internal`: a `tool.call` (context.tool = its
 * name) that only plans, asks or tracks work; the rule below allows them.
 * `tool.call`: a `tool.call` that reaches outside what the policy's other
 * actions describe (PowerShell, which the shell analysis does not read; a skill
 * or workflow that runs its own commands; messages and files sent off the
 * machine; scheduled prompts; worktrees), denied unless a rule names it.
 * test/sdk-claude-code.test.ts checks this table against the SDK's
 * BUILTIN_TOOL_NAMES and LEGACY_TOOL_NAME_ALIASES.
 */
export const CLAUDE_CODE_TOOL_KINDS = {
  Bash: "mapped",
  Read: "mapped",
  Write: "mapped",
  Edit: "mapped",
  MultiEdit: "mapped",
  NotebookEdit: "mapped",
  NotebookRead: "mapped",
  LS: "mapped",
  Grep: "mapped",
  Glob: "mapped",
  WebFetch: "mapped",
  WebSearch: "mapped",
  Monitor: "mapped",
  ReadMcpResourceTool: "mapped",
  ReadMcpResource: "mapped",
  ReadMcpResourceDirTool: "mapped",
  ReadMcpResourceDir: "mapped",
  Agent: "mapped", // a tool.call; `context.isolation: remote` marks a subagent this hook does not see
  Task: "mapped",
  TodoWrite: "internal",
  TaskCreate: "internal",
  TaskGet: "internal",
  TaskList: "internal",
  TaskUpdate: "internal",
  TaskStop: "internal",
  KillShell: "internal",
  KillBash: "internal",
  BashOutput: "internal",
  EnterPlanMode: "internal",
  ExitPlanMode: "internal",
  AskUserQuestion: "internal",
  ToolSearch: "internal",
  ListAgents: "internal",
  ListPeers: "internal",
  WaitForMcpServers: "internal",
  ListMcpResourcesTool: "tool.call",
  ListMcpResources: "tool.call",
  PowerShell: "tool.call",
  Skill: "tool.call",
  SlashCommand: "tool.call",
  Workflow: "tool.call",
  LSP: "tool.call",
  EnterWorktree: "tool.call",
  ExitWorktree: "tool.call",
  CronCreate: "tool.call",
  CronDelete: "tool.call",
  CronList: "tool.call",
  ScheduleWakeup: "tool.call",
  RemoteTrigger: "tool.call",
  SendMessage: "tool.call",
  SendUserMessage: "tool.call",
  Brief: "tool.call",
  SendUserFile: "tool.call",
  PushNotification: "tool.call",
  ReadNotifications: "tool.call",
  SendFeedback: "tool.call",
  ReportFindings: "tool.call",
  SubagentHandback: "tool.call",
  SetGoal: "tool.call",
  ProposeGoal: "tool.call",
  EndConversation: "tool.call",
  Artifact: "tool.call",
  ClaudeDesign: "tool.call",
  Projects: "tool.call",
  propose_skills: "tool.call",
  OfferChromeSetup: "tool.call",
  ShareOnboardingGuide: "tool.call",
  ShowOnboardingRolePicker: "tool.call",
} as const satisfies Record<string, "mapped" | "internal" | "tool.call">;

/** The internal tools (and Agent/Task run locally), which `safeclaw init` and the README allow in one rule. */
export const CLAUDE_CODE_INTERNAL_TOOLS = [
  "Agent",
  "Task",
  ...Object.entries(CLAUDE_CODE_TOOL_KINDS)
    .filter(([, kind]) => kind === "internal")
    .map(([name]) => name),
];

/** That rule, as policy YAML (indented for a `rules:` list). */
export function claudeCodeInternalToolsRule(indent = "  "): string {
  return [
    `- id: claude-code-internal-tools`,
    `  action: tool.call`,
    `  context.tool:`,
    `    in: [${CLAUDE_CODE_INTERNAL_TOOLS.join(", ")}]`,
    `  context.isolation: { exists: false }   # a remote subagent runs where this hook cannot see it`,
    `  effect: allow`,
  ]
    .map((l) => indent + l)
    .join("\n");
}
