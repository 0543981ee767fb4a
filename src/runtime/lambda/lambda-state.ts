import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { MemoryStateStore } from "../../approval/memory-state-store.js";
import type { StateStore } from "../../approval/state-store.js";
import { DynamoDbStateStore } from "./dynamodb-state-store.js";

/**
 * The state store of a Lambda function, from its environment:
 * - `SAFECLAW_STATE_TABLE` set: that DynamoDB table (region from AWS_REGION,
 *   endpoint from AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL, for a local
 *   server such as moto), shared by every execution environment of every
 *   function pointed at it: approvals, single-use grants and rate limits
 *   hold across the fleet;
 * - unset: a MemoryStateStore, which lives in one execution environment.
 *   Lambda runs many of those at once and recycles them at will, so an
 *   approval created in one is unknown to the next request's environment, a
 *   grant can be used once per environment, and a rate limit is per
 *   environment. Fine for trying things out; set the table for real use.
 */
export function stateStoreFor(env: Record<string, string | undefined>): StateStore {
  const table = env.SAFECLAW_STATE_TABLE?.trim();
  if (!table) return new MemoryStateStore();
  return new DynamoDbStateStore({ table, config: dynamoDbConfig(env) });
}

/** Client settings from the environment; credentials from it when both keys are set, else the SDK's own chain. */
export function dynamoDbConfig(env: Record<string, string | undefined>): DynamoDBClientConfig {
  const config: DynamoDBClientConfig = { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1" };
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  if (endpoint) config.endpoint = endpoint;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return config;
}
