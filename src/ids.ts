import { InputError } from "./errors";

/** The GraphQL types that implement Node; their global ids are `base64url("<Type>:<id>")`. */
export type NodeType =
  | "User"
  | "SmartAccount"
  | "VirtualAccount"
  | "RoleAssignment"
  | "AccessRequest"
  | "Event"
  | "Product"
  | "Order"
  | "OrderLine"
  | "License"
  | "ProductInstance"
  | "RegistrationToken"
  | "Webhook"
  | "WebhookDelivery";

const NODE_TYPES = new Set<string>([
  "User",
  "SmartAccount",
  "VirtualAccount",
  "RoleAssignment",
  "AccessRequest",
  "Event",
  "Product",
  "Order",
  "OrderLine",
  "License",
  "ProductInstance",
  "RegistrationToken",
  "Webhook",
  "WebhookDelivery",
]);

export const toGlobalId = (type: NodeType, id: number): string => Buffer.from(`${type}:${id}`).toString("base64url");

/** Decodes any global id; null when it is not one of ours. */
export function parseGlobalId(globalId: string): { type: NodeType; id: number } | null {
  if (typeof globalId !== "string" || globalId.length > 100 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const [type, raw, ...rest] = Buffer.from(globalId, "base64url").toString("utf8").split(":");
  if (rest.length || !NODE_TYPES.has(type) || !/^[1-9][0-9]{0,9}$/.test(raw ?? "")) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) && id <= 2147483647 ? { type: type as NodeType, id } : null;
}

/**
 * Decodes a global id that must name a `type`; anything else is a BAD_USER_INPUT naming `field`
 * (a well-formed id of the right type that does not exist is the caller's NOT_FOUND to raise).
 */
export function fromGlobalId(type: NodeType, globalId: string, field: string): number {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) throw new InputError(field, `${field} is not a ${type} id.`);
  return parsed.id;
}
