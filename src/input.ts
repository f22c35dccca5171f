import { InputError } from "./errors";

/** R6: strings are trimmed; names 1–100, descriptions ≤ 500, messages ≤ 1000; emails and domains lower-cased. */
export function requiredText(value: string, field: string, max: number): string {
  const text = typeof value === "string" ? value.trim() : "";
  if (text.length < 1 || text.length > max) throw new InputError(field, `${field} must be 1–${max} characters.`);
  return text;
}

export const name = (value: string, field: string): string => requiredText(value, field, 100);

/** Optional text: undefined stays undefined (unchanged), blank becomes null (cleared). */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const text = value.trim();
  if (text.length > max) throw new InputError(field, `${field} must be at most ${max} characters.`);
  return text.length ? text : null;
}

export const description = (value: string | null | undefined, field: string) => optionalText(value, field, 500);
export const message = (value: string | null | undefined, field: string) => optionalText(value, field, 1000);

const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/;

export function email(value: string, field: string): string {
  const text = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (text.length > 254 || !EMAIL.test(text)) throw new InputError(field, `${field} must be an email address.`);
  return text;
}

export const emailDomain = (address: string): string => address.slice(address.lastIndexOf("@") + 1);

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** R8: a DNS name of at least two labels of `a-z0-9-`, at most 253 characters; lower-cased. */
export function dnsDomain(value: string, field: string): string {
  const text = typeof value === "string" ? value.trim().toLowerCase() : "";
  const labels = text.split(".");
  if (text.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    throw new InputError(field, `${field} must be a domain name such as acme.com.`);
  }
  return text;
}

/** The lookup form of a domain identifier (a DNS name, or an email for LIMITED_USE accounts). */
export function domainKey(value: string, field: string): string {
  const text = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (text.length < 1 || text.length > 254) throw new InputError(field, `${field} must be a domain.`);
  return text;
}

export function intInRange(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(field, `${field} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}
