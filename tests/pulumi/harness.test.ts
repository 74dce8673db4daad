import { installMocks, settle, oneOf, resolve } from "./harness";
const recorded = installMocks();
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

class Box extends pulumi.ComponentResource {
  readonly streamArn: pulumi.Output<string>;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:test:Box", name, {}, opts);
    const key = new aws.kms.Key(`${name}-key`, { enableKeyRotation: true }, { parent: this });
    const stream = new aws.kinesis.Stream(`${name}-stream`, { encryptionType: "KMS", kmsKeyId: key.arn }, { parent: this });
    this.streamArn = stream.arn;
    this.registerOutputs({ streamArn: stream.arn });
  }
}

it("records resources with resolved inputs, parents and synthesized ARNs", async () => {
  const box = new Box("b");
  expect(await resolve(box.streamArn)).toBe("arn:aws:kinesis:eu-west-1:123456789012:stream/b-stream");
  await settle(recorded);
  const stream = oneOf(recorded, "aws:kinesis/stream:Stream");
  expect(stream.parent).toBe("b");
  expect(stream.inputs.kmsKeyId).toBe("arn:aws:kms:eu-west-1:123456789012:key/b-key-key-id");
  expect(oneOf(recorded, "iotpipe:test:Box").custom).toBe(false);
});
