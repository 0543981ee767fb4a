/**
 * A realistic rule table for benchmarks: path globs, host allow- and deny-lists,
 * command prefixes and env keys, in the proportions policies are written in.
 * Requests are half allowed, half denied, and some hit the last rule.
 */
export function generatePolicy(n: number): string {
  const rules: string[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0:
        rules.push(`- {id: r${i}, action: file.read, path: '/srv/app${i}/**', effect: allow}`);
        break;
      case 1:
        rules.push(`- {id: r${i}, action: network.request, host: 'api${i}.example.com', effect: allow}`);
        break;
      case 2:
        rules.push(`- {id: r${i}, action: network.request, host: '*.bad${i}.example', effect: deny}`);
        break;
      case 3:
        rules.push(`- {id: r${i}, action: shell.execute, command: 'tool${i} plan*', effect: allow}`);
        break;
      case 4:
        rules.push(`- {id: r${i}, action: env.read, key: 'SECRET_${i}', effect: deny}`);
        break;
    }
  }
  return `version: 1\ndefaultAction: deny\nrules:\n${rules.join("\n")}\n`;
}

export function generateRequests(n: number): unknown[] {
  const last = (k: number) => n - 1 - ((((n - 1 - k) % 5) + 5) % 5); // the last rule of kind k
  const pick = (k: number, j: number) => Math.min(last(k), ((j * 5) % n) - (((j * 5) % n) % 5) + k);
  const out: unknown[] = [];
  for (let j = 0; j < 200; j++) {
    const kind = j % 5;
    const i = j % 7 === 0 ? last(kind) : pick(kind, j);
    const hit = j % 2 === 0;
    switch (kind) {
      case 0:
        out.push({ action: "file.read", path: hit ? `/srv/app${i}/src/index.ts` : `/etc/app${i}/passwd` });
        break;
      case 1:
        out.push({ action: "network.request", url: hit ? `https://api${i}.example.com/v1/x` : `https://evil${i}.example.org/` });
        break;
      case 2:
        out.push({ action: "network.request", host: hit ? `x.bad${i}.example` : `ok${i}.example.net` });
        break;
      case 3:
        out.push({ action: "shell.execute", command: hit ? `tool${i} plan -out x` : `tool${i} destroy` });
        break;
      case 4:
        out.push({ action: "env.read", key: hit ? `SECRET_${i}` : `PUBLIC_${i}` });
        break;
    }
  }
  return out;
}
