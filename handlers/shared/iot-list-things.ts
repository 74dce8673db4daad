/**
 * AWS IoT ListThings as a plain signed request (handlers/shared/aws-rest.ts), like the S3 and SNS calls: the SDK's
 * IoT client would add ~120 KiB to the report bundle (past its 300 KB target, `npm run bench:bundle`) for one
 * GET. `GET https://iot.<region>.<suffix>/things?maxResults=&nextToken=&thingTypeName=` answers
 * `{"things":[{"thingName","thingTypeName","thingArn","attributes","version"}],"nextToken"}`; signing name `iot`.
 */
import { AwsRestClient, AwsRestOptions, describeFailure, dnsSuffix } from "./aws-rest";

/** One thing as ListThings returns it. */
export interface ListedThing {
  thingName?: string;
  thingTypeName?: string;
  attributes?: Record<string, string>;
}

/** One page of things and the token of the next, if any. */
export interface ThingsPage {
  things: ListedThing[];
  nextToken?: string;
}

/** Lists things a page at a time (what the registry export needs; a fake in tests). */
export interface ThingLister {
  listThings(request: { maxResults: number; nextToken?: string; thingTypeName?: string }): Promise<ThingsPage>;
}

export class IotRestThingLister implements ThingLister {
  private readonly iot: AwsRestClient;

  constructor(options: AwsRestOptions = {}) {
    this.iot = new AwsRestClient("iot", options);
  }

  private url(query: URLSearchParams): string {
    const region = this.iot.region;
    const base = this.iot.endpointOverride ?? `https://iot.${region}.${dnsSuffix(region)}`;
    return `${base}/things?${query.toString()}`;
  }

  async listThings(request: { maxResults: number; nextToken?: string; thingTypeName?: string }): Promise<ThingsPage> {
    const query = new URLSearchParams({ maxResults: String(request.maxResults) });
    if (request.nextToken) query.set("nextToken", request.nextToken);
    if (request.thingTypeName) query.set("thingTypeName", request.thingTypeName);
    let response: Response;
    try {
      response = await this.iot.fetch(this.url(query), { method: "GET" });
    } catch (error) {
      throw new Error(`IoT ListThings failed: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new Error(`IoT ListThings failed: ${await describeFailure(response)}`);
    const body = (await response.json()) as { things?: ListedThing[]; nextToken?: string | null };
    return { things: body.things ?? [], ...(body.nextToken ? { nextToken: body.nextToken } : {}) };
  }
}
