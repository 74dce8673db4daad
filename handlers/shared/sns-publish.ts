/**
 * SNS Publish as one signed form POST (the query protocol, API version 2010-03-31) instead of the SNS SDK
 * client: a Lambda that sends one message per run does not need ~300 KiB of client (handlers/shared/aws-rest.ts).
 * Endpoint `https://sns.<region>.<suffix>/`, or `AWS_ENDPOINT_URL_SNS` / `AWS_ENDPOINT_URL` when set.
 */
import { AwsRestClient, AwsRestOptions, awsXmlError, describeFailure, dnsSuffix } from "./aws-rest";

export class SnsPublisher {
  private readonly sns: AwsRestClient;

  constructor(options: AwsRestOptions = {}) {
    this.sns = new AwsRestClient("sns", options);
  }

  get endpoint(): string {
    const override = this.sns.endpointOverride;
    if (override) return `${override}/`;
    const region = this.sns.region;
    return `https://sns.${region}.${dnsSuffix(region)}/`;
  }

  /**
   * Publishes one message; resolves with SNS's MessageId, or throws naming the topic and SNS's error code.
   * `attributes` become String message attributes (what subscription filter policies match on).
   */
  async publish(topicArn: string, subject: string, message: string, attributes: Readonly<Record<string, string>> = {}): Promise<string> {
    const form = new URLSearchParams({ Action: "Publish", Version: "2010-03-31", TopicArn: topicArn, Subject: subject, Message: message });
    for (const [field, value] of messageAttributeFields(attributes)) form.append(field, value);
    let response: Response;
    try {
      response = await this.sns.fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: form.toString(),
      });
    } catch (error) {
      throw new Error(`publishing to ${topicArn} failed: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new Error(`publishing to ${topicArn} failed: ${await describeFailure(response)}`);
    const body = await response.text();
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(body)?.[1];
    if (!messageId) {
      const { code, message: detail } = awsXmlError(body);
      throw new Error(`publishing to ${topicArn}: HTTP ${response.status} without a MessageId${code ? ` (${code}: ${detail})` : ""}`);
    }
    return messageId;
  }
}

/**
 * The query protocol's form of String message attributes: `MessageAttributes.entry.N.Name`, `.Value.DataType`,
 * `.Value.StringValue`, N from 1. Entries are numbered in name order, so the same attributes always give the same
 * request body whatever order the caller built them in.
 */
export function messageAttributeFields(attributes: Readonly<Record<string, string>>): Array<[string, string]> {
  const names = Object.keys(attributes).sort();
  return names.flatMap((name, index): Array<[string, string]> => {
    const entry = `MessageAttributes.entry.${index + 1}`;
    return [
      [`${entry}.Name`, name],
      [`${entry}.Value.DataType`, "String"],
      [`${entry}.Value.StringValue`, attributes[name]],
    ];
  });
}
