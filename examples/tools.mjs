// The example agent's tools: how each maps to actions, and a fake implementation
// (the examples run offline; nothing is executed or fetched).
export const MAPPINGS = {
  run_shell: (i) => [{ action: "shell.execute", command: i.command, cwd: "/app" }],
  read_file: (i) => [{ action: "file.read", path: i.path }],
  http_get: (i) => [{ action: "network.request", url: i.url, method: "GET" }],
};

export const IMPLEMENTATIONS = {
  run_shell: (i) => `(would run: ${i.command})`,
  read_file: (i) => `(would read: ${i.path})`,
  http_get: (i) => `(would fetch: ${i.url})`,
};
