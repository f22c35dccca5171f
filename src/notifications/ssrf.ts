import dns from "node:dns";
import net from "node:net";
import type { LookupFunction } from "node:net";
import type { NotificationSettings } from "../config";
import { InputError } from "../errors";

/**
 * R37: where a webhook may point. In production (`WEBHOOK_ALLOW_PRIVATE` off) a URL must be `https` and
 * its host may not resolve to an address inside the service's own networks: loopback, private (RFC 1918,
 * ULA), link-local, unspecified, CGNAT, multicast or reserved, nor any IPv4-mapped or NAT64 form of
 * those. The URL is checked when the webhook is created, and every attempt checks the address it actually
 * connects to (`pinnedLookup`), so a name that resolves elsewhere later (DNS rebinding) is refused too.
 */

const BLOCKED = new net.BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network", the unspecified address
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed by some stacks)
  ["ff00::", 8], // multicast
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv6");
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) address, which reaches that IPv4 host. */
function nat64Embedded(address: string): string | null {
  const match = /^64:ff9b::(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/i.exec(address);
  if (!match) return null;
  if (match[3]) return match[3];
  const high = parseInt(match[1], 16);
  const low = parseInt(match[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** True for an address a webhook may not reach in production (BlockList also matches IPv4-mapped IPv6 forms). */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = net.isIP(bare);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  if (family === 4) return BLOCKED.check(bare, "ipv4");
  if (BLOCKED.check(bare, "ipv6")) return true;
  const embedded = nat64Embedded(bare.toLowerCase());
  return embedded !== null && BLOCKED.check(embedded, "ipv4");
}

/** A refusal of a webhook's target, in words fit for the creator and for a delivery's `lastError`. */
export class TargetRefused extends Error {}

/** What the webhooks table holds (webhooks.url). */
export const MAX_URL_LENGTH = 2048;
/** How long creation waits for the host to resolve. */
const RESOLVE_TIMEOUT_MS = 5_000;

/** Syntax alone: an absolute http(s) URL without credentials; in production https only. */
export function parseWebhookUrl(raw: string, settings: Pick<NotificationSettings, "webhookAllowPrivate">): URL {
  if (raw.trim().length > MAX_URL_LENGTH) throw new TargetRefused(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new TargetRefused("is not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TargetRefused("must be an https URL");
  if (url.protocol === "http:" && !settings.webhookAllowPrivate) throw new TargetRefused("must be an https URL");
  if (url.username || url.password) throw new TargetRefused("may not carry a user name or password");
  if (!url.hostname) throw new TargetRefused("has no host");
  if (url.toString().length > MAX_URL_LENGTH) throw new TargetRefused(`must be at most ${MAX_URL_LENGTH} characters`);
  return url;
}

/** The host of a URL as an address when it is one (`[::1]` → `::1`), else null. */
const literalAddress = (url: URL): string | null => {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return net.isIP(host) ? host : null;
};

type Resolve = (host: string) => Promise<string[]>;

const resolveAll: Resolve = (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("DNS lookup timed out")), RESOLVE_TIMEOUT_MS);
  });
  const lookup = dns.promises.lookup(host, { all: true, verbatim: true }).then((entries) => entries.map((entry) => entry.address));
  return Promise.race([lookup, timeout]).finally(() => clearTimeout(timer));
};

/**
 * R37 at creation: the URL parses, and (in production) every address its host resolves to is public.
 * Throws BAD_USER_INPUT naming `field`.
 */
export async function checkWebhookUrl(raw: string, settings: Pick<NotificationSettings, "webhookAllowPrivate">, field: string): Promise<URL> {
  try {
    const url = parseWebhookUrl(raw, settings);
    if (!settings.webhookAllowPrivate) await assertPublicHost(url, resolveAll);
    return url;
  } catch (error) {
    if (error instanceof TargetRefused) throw new InputError(field, `${field} ${error.message}.`);
    throw error;
  }
}

async function assertPublicHost(url: URL, resolve: Resolve): Promise<void> {
  const literal = literalAddress(url);
  let addresses: string[];
  if (literal) addresses = [literal];
  else {
    try {
      addresses = await resolve(url.hostname);
    } catch {
      throw new TargetRefused("has a host that does not resolve");
    }
  }
  if (!addresses.length) throw new TargetRefused("has a host that does not resolve");
  if (addresses.some(isPrivateAddress)) throw new TargetRefused("resolves to a loopback, private or link-local address");
}

/**
 * R37 at delivery: the address the request connects to, checked as it is resolved. Passed as the
 * `lookup` of http(s).request, so the connection goes to exactly the address checked (no second,
 * rebindable resolution). Every address of the answer must be public, as at creation.
 */
export function pinnedLookup(settings: Pick<NotificationSettings, "webhookAllowPrivate">): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, entries) => {
      if (error) return callback(error, "", 0);
      const list = entries as dns.LookupAddress[];
      if (!settings.webhookAllowPrivate && (!list.length || list.some((entry) => isPrivateAddress(entry.address)))) {
        return callback(
          Object.assign(new TargetRefused("target resolves to a loopback, private or link-local address"), { code: "EPRIVATE" }),
          "",
          0,
        );
      }
      if (options.all) return (callback as unknown as (error: null, addresses: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      callback(null, first.address, first.family);
    });
  };
}

/**
 * R37 at delivery, before any connection: the URL as stored still passes (https in production), and an
 * address literal (which http.request connects to without a lookup) is public.
 */
export function checkDeliveryTarget(raw: string, settings: Pick<NotificationSettings, "webhookAllowPrivate">): URL {
  const url = parseWebhookUrl(raw, settings);
  const literal = literalAddress(url);
  if (!settings.webhookAllowPrivate && literal && isPrivateAddress(literal)) {
    throw new TargetRefused("target is a loopback, private or link-local address");
  }
  return url;
}
