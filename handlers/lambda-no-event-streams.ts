/**
 * Stand-in for `@smithy/core/event-streams` in the Lambda bundles (handlers/bundle.ts aliases that subpath to this
 * file). The SDK's protocols import it only when an operation has an event-stream member (a streaming union such
 * as Bedrock's or Transcribe's), through `HttpProtocol.loadEventStreamCapability`. The one SDK client these
 * handlers use, Athena, has no such operation (tests/handlers/lambda-sdk-shims.test.ts checks its schemas), yet
 * esbuild bundles the module anyway: ~19 KiB of the report bundle that every cold start parses, and the
 * event-stream CRC32 whose `require("node:zlib")` ran at module init (it cannot be tree-shaken while the codec
 * references it). Together ~5 ms of init. Honest accounting: Node's fetch, which the S3 and SNS calls use,
 * loads node:zlib itself at the first request, so that ~3 ms part moves to the first invocation rather than
 * disappearing; the parsed code is cut for good. If a future client does stream events, its request fails at
 * once with this message instead of silently misbehaving.
 */
function unsupported(): never {
  throw new Error(
    "event streams are not bundled in this Lambda (handlers/lambda-no-event-streams.ts): " +
      "remove the @smithy/core/event-streams alias in handlers/bundle.ts for a client with event-stream operations",
  );
}

export function eventStreamSerdeProvider(): never {
  return unsupported();
}

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}
