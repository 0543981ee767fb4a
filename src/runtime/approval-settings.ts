import { DEFAULT_APPROVAL_SETTINGS, type ApprovalSettings } from "../approval/approval-service.js";
import { ApprovalWebhook, parseWebhookSettings, WebhookSettingsError, type WebhookSettings } from "../approval/webhook.js";
import { parsePublicKey, parseSigningKey } from "../audit/signing.js";
import type { ApiToken } from "../http/bearer.js";
import { parseDuration } from "../policy/duration.js";
import { ConfigError, parseTokens } from "./runtime-config.js";

/**
 * The approval settings every runtime reads (environment or Worker bindings):
 * - SAFECLAW_APPROVER_TOKENS: approver tokens, `alice:token` or a bare token
 *   (an unnamed approver), never the same as an agent token;
 * - SAFECLAW_APPROVAL_TTL (default 1h): how long a pending approval waits;
 * - SAFECLAW_APPROVAL_USE_TTL (default 10m): how long an approved one, and its
 *   grant, may be used;
 * - SAFECLAW_APPROVAL_SIGNING_KEY: the Ed25519 key grants are signed with
 *   (32 bytes of base64, as `safeclaw audit keygen` prints);
 * - SAFECLAW_APPROVAL_PUBLIC_KEYS: comma-separated public keys of other
 *   deployments whose grants are accepted here;
 * - SAFECLAW_APPROVAL_WEBHOOK (https, or http to loopback) and
 *   SAFECLAW_APPROVAL_WEBHOOK_SECRET (HMAC key, 16+ characters): where a new
 *   approval is announced (approval/webhook.ts).
 */
export interface ApprovalConfig {
  approvers: ApiToken[];
  settings: ApprovalSettings;
  webhook?: WebhookSettings;
}

const MAX_TTL_MS = 7 * 86_400_000;

export function approvalConfig(env: Record<string, unknown>, agentTokens: readonly ApiToken[]): ApprovalConfig {
  const approvers = parseTokens(text(env, "SAFECLAW_APPROVER_TOKENS"), "SAFECLAW_APPROVER_TOKENS");
  const agents = new Set(agentTokens.map((t) => t.token));
  approvers.forEach((t, i) => {
    if (agents.has(t.token)) {
      throw new ConfigError(
        "SAFECLAW_APPROVER_TOKENS",
        `SAFECLAW_APPROVER_TOKENS entry ${i + 1} is also an agent token (SAFECLAW_API_TOKENS): an agent must not be able to approve`,
      );
    }
  });
  const settings: ApprovalSettings = {
    pendingTtlMs: ttl(env, "SAFECLAW_APPROVAL_TTL", DEFAULT_APPROVAL_SETTINGS.pendingTtlMs),
    useTtlMs: ttl(env, "SAFECLAW_APPROVAL_USE_TTL", DEFAULT_APPROVAL_SETTINGS.useTtlMs),
    publicKeys: [],
  };
  const key = text(env, "SAFECLAW_APPROVAL_SIGNING_KEY");
  if (key) {
    try {
      settings.signingKey = parseSigningKey(key);
    } catch (e) {
      throw new ConfigError("SAFECLAW_APPROVAL_SIGNING_KEY", `SAFECLAW_APPROVAL_SIGNING_KEY: ${(e as Error).message}`);
    }
  }
  const pubs = (text(env, "SAFECLAW_APPROVAL_PUBLIC_KEYS") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  settings.publicKeys = pubs.map((p, i) => {
    try {
      return parsePublicKey(p).publicKey;
    } catch (e) {
      throw new ConfigError("SAFECLAW_APPROVAL_PUBLIC_KEYS", `SAFECLAW_APPROVAL_PUBLIC_KEYS entry ${i + 1}: ${(e as Error).message}`);
    }
  });
  let webhook: WebhookSettings | undefined;
  try {
    webhook = parseWebhookSettings(text(env, "SAFECLAW_APPROVAL_WEBHOOK"), text(env, "SAFECLAW_APPROVAL_WEBHOOK_SECRET"));
  } catch (e) {
    if (e instanceof WebhookSettingsError) throw new ConfigError("SAFECLAW_APPROVAL_WEBHOOK", e.message);
    throw e;
  }
  return webhook ? { approvers, settings, webhook } : { approvers, settings };
}

/** The webhook of a configuration, when it has one. */
export function approvalWebhook(config: ApprovalConfig, log: (line: string) => void): ApprovalWebhook | undefined {
  return config.webhook && new ApprovalWebhook({ ...config.webhook, log });
}

function ttl(env: Record<string, unknown>, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined || raw.trim() === "") return fallback;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000 || ms > MAX_TTL_MS)
    throw new ConfigError(name, `${name} \`${raw.slice(0, 32)}\` is not a duration from 1s to 7 days (e.g. 1h, 10m)`);
  return ms;
}

function text(env: Record<string, unknown>, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" ? v : undefined;
}
