/**
 * The iotpipe-security CrossGuard policy pack: only wraps the rules of policy/rules.ts (constructing a
 * PolicyPack starts the analyzer server, so nothing else may import this file; tests and the offline plan
 * import policy/rules.ts).
 *
 * Use it on a real preview or update (every rule is mandatory):
 *   pulumi preview --stack prod --policy-pack policy --policy-pack-config policy/config.prod.json
 * where the config file sets the environment the Object Lock rule judges by, e.g.
 *   { "all": { "environment": "prod" } }
 * Without config the pack is strictest (prod). Offline, `npm run plan -- --stack prod` runs the same rules over
 * the rendered plan.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("iotpipe-security", { policies });
