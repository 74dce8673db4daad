/**
 * The iotpipe-security CrossGuard policy pack: only wraps the rules of policy/rules.ts (constructing a
 * PolicyPack starts the analyzer server, so nothing else may import this file; tests and the offline plan
 * import policy/rules.ts).
 *
 * Use it on a real preview or update (every rule is mandatory):
 *   pulumi preview --stack prod --policy-pack policy --policy-pack-config policy/config.prod.json
 * where the config file sets the environment the Object Lock rule judges by, e.g.
 *   { "all": { "environment": "prod" } }
 * Without config the pack is strictest (prod). During a first preview many values (key ARNs, policy documents
 * naming new resources) are unknown: CrossGuard's props proxy throws on reading one and reports the policy as
 * "can't run during preview" (advisory); the update, where they are known, enforces it. Offline,
 * `npm run plan -- --stack prod` runs the same rules over the rendered plan.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("iotpipe-security", { policies });
