/**
 * The embedded broker's device policy: the rule the cloud's IoT policy enforces with thing variables, applied to
 * the local registry. A device is identified by its client certificate (subject CN = thing name = device id),
 * connects only with that name as MQTT client id, and publishes only to
 * `telemetry/<its site>/<its line>/<its device>` (contract/telemetry.ts `deviceTopic`), site and line taken from
 * the registry, never from the topic it claims.
 *
 * Pure functions over a registry and a certificate's facts, so the rules are tested without a socket.
 */
import { deviceTopic } from "../contract/telemetry";
import type { DeviceRegistry, RegisteredDevice } from "./device-registry";

/** Why the broker refused a connection or a publish. Counted per reason and kept in the refusal log. */
export const REFUSAL_REASONS = {
  untrusted_certificate: "TLS: no client certificate, or one the local CA did not sign",
  expired_certificate: "TLS: the client certificate has expired or is not valid yet",
  unknown_device: "the certificate names a device that is not in the registry",
  revoked_certificate: "the certificate was revoked (its device removed) or is not the device's current one",
  client_id_mismatch: "the MQTT client id is not the certificate's thing name",
  foreign_topic: "a publish outside the device's own telemetry/<site>/<line>/<device> topic",
} as const;
export type RefusalReason = keyof typeof REFUSAL_REASONS;

export interface Refusal {
  reason: RefusalReason;
  detail: string;
}

/** What the TLS layer tells about a verified peer certificate. */
export interface PeerCertificate {
  /** Subject common name: the thing name the device claims. */
  commonName: string;
  /** Serial number in hex, any case (Node's `getPeerCertificate().serialNumber` is upper case). */
  serial: string;
}

/** Node's verification error codes that mean "outside its validity"; every other failure is "not trusted". */
const VALIDITY_ERRORS = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** The refusal for a TLS peer the CA check failed (Node's `authorizationError`), with Node's code as detail. */
export function tlsRefusal(authorizationError: string | Error | null | undefined, hadCertificate: boolean): Refusal {
  const code = authorizationError instanceof Error ? ((authorizationError as NodeJS.ErrnoException).code ?? authorizationError.message) : String(authorizationError ?? "unknown");
  if (!hadCertificate) return { reason: "untrusted_certificate", detail: "no client certificate presented" };
  return { reason: VALIDITY_ERRORS.has(code) ? "expired_certificate" : "untrusted_certificate", detail: code };
}

/**
 * The registered device a CA-verified certificate and client id stand for, or why the connection is refused:
 * the registry must hold the device, with this certificate as its current one (a removed device's serial is in
 * `revoked`; a re-added device has a new serial), and the client id must be the thing name.
 */
export function identifyDevice(registry: DeviceRegistry, cert: PeerCertificate, clientId: string): RegisteredDevice | Refusal {
  const serial = cert.serial.toLowerCase();
  const revoked = registry.revoked.find((r) => r.certificate_serial === serial);
  if (revoked) return { reason: "revoked_certificate", detail: `certificate ${serial} of ${revoked.device_id} revoked at ${revoked.revoked_at}` };
  const device = registry.devices.find((d) => d.device_id === cert.commonName);
  if (!device) return { reason: "unknown_device", detail: `certificate CN ${cert.commonName} is not a registered device` };
  if (device.certificate_serial !== serial) {
    return { reason: "revoked_certificate", detail: `certificate ${serial} is not ${device.device_id}'s current certificate` };
  }
  if (clientId !== device.device_id) {
    return { reason: "client_id_mismatch", detail: `client id ${JSON.stringify(clientId)} on ${device.device_id}'s certificate` };
  }
  return device;
}

export function isRefusal(value: RegisteredDevice | Refusal): value is Refusal {
  return "reason" in value && "detail" in value && !("device_id" in value);
}

/** The one topic a device may publish to. */
export function ownTopic(device: RegisteredDevice): string {
  return deviceTopic(device.site, device.line, device.device_id);
}

/** Null when `device` may publish on `topic`; otherwise the refusal (another device's topic, line or site). */
export function authorizePublish(device: RegisteredDevice, topic: string): Refusal | null {
  const own = ownTopic(device);
  return topic === own ? null : { reason: "foreign_topic", detail: `${device.device_id} may publish only to ${own}, not ${topic}` };
}
