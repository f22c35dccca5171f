import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Registration-token secrets and device credentials (R23, R24): 256 random bits, shown once, stored
 * only as SHA-256. A prefix tells the two apart in logs and support tickets.
 */
export const newSecret = (prefix: "sat" | "dev"): string => `${prefix}_${randomBytes(32).toString("base64url")}`;

export const hashSecret = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex");

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The form a presented secret must have before it is even hashed. */
export const wellFormed = (secret: unknown, prefix: "sat" | "dev"): secret is string =>
  typeof secret === "string" && secret.length <= 200 && secret.startsWith(`${prefix}_`);
