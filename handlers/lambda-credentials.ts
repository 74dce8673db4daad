/**
 * Stand-in for `@aws-sdk/credential-provider-node` in the Lambda bundles (handlers/bundle.ts aliases that package
 * to this file). Lambda always puts the function role's credentials in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: "defined runtime environment variables"), so the SDK's default chain
 * never gets past its first link there; its SSO, STS, INI, process and IMDS links are ~100 KiB of dead code
 * that every cold start would still load. Same export and call signature as the package it replaces: the SDK's
 * runtimeConfig calls `defaultProvider(init)` and uses the provider it returns.
 */
import { fromEnv, type FromEnvInit } from "@aws-sdk/credential-provider-env";

/** Why a handler found no credentials, and what to check. */
export function missingCredentialsError(cause?: unknown): Error {
  return new Error(
    "no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set " +
      "(Lambda sets them from the function's execution role; this bundle reads no other credential source)",
    { cause },
  );
}

export function defaultProvider(init?: FromEnvInit): ReturnType<typeof fromEnv> {
  const fromEnvironment = fromEnv(init);
  return async () => {
    try {
      return await fromEnvironment();
    } catch (error) {
      throw missingCredentialsError(error);
    }
  };
}
