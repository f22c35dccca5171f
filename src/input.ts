import { InputError } from "./errors";

// R6: strings are normalized to Unicode NFC and trimmed; names 1–100 characters, descriptions ≤ 500,
// messages ≤ 1000, lengths counted in characters (code points) after normalization; emails and domains
// lower-cased. Out-of-range values are BAD_USER_INPUT naming the field.

const normalized = (value: unknown): string => (typeof value === "string" ? value.normalize("NFC").trim() : "");

/**
 * Control and invisible format characters (Cc, Cf): NUL, escape sequences, zero-width spaces, bidi
 * overrides. Lone surrogates (Cs) too: they are no character at all, and utf8mb4 cannot store them.
 * So `Finance` and `Finance\u200b` can never be two siblings that look the same.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;
/** The same, but line breaks and tabs are text in a description or a message. */
const INVISIBLE_IN_TEXT = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Cs}]/u;

const codePoint = (char: string): string => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

function refuseInvisible(text: string, field: string, pattern: RegExp): void {
  const found = pattern.exec(text);
  if (found) throw new InputError(field, `${field} may not contain control or invisible formatting characters (found ${codePoint(found[0])}).`);
}

const characters = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/**
 * A single-line value as given (a lookup key, a query parameter): NFC, trimmed, no control or format
 * characters. MariaDB's collation ignores some of them (`acme\u0000.com` = `acme.com`), SQLite's does
 * not: refusing them keeps both databases' answers alike.
 */
export function singleLine(value: string, field: string): string {
  const text = normalized(value);
  refuseInvisible(text, field, INVISIBLE);
  return text;
}

/** A required single-line text such as a name: 1–`max` characters, no control or format characters. */
export function requiredText(value: string, field: string, max: number): string {
  const text = normalized(value);
  const length = characters(text);
  if (length < 1 || length > max) throw new InputError(field, `${field} must be 1–${max} characters.`);
  refuseInvisible(text, field, INVISIBLE);
  return text;
}

/** R6 names (Smart Accounts, Virtual Accounts): 1–100 characters. */
export const name = (value: string, field: string, max = 100): string => requiredText(value, field, max);

/**
 * Optional free text (descriptions, messages): undefined stays undefined (unchanged), blank becomes
 * null (cleared). Line breaks and tabs are allowed; other control and format characters are not.
 */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const text = normalized(value);
  if (characters(text) > max) throw new InputError(field, `${field} must be at most ${max} characters.`);
  refuseInvisible(text, field, INVISIBLE_IN_TEXT);
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
  const text = singleLine(value, field).toLowerCase();
  if (text.length < 1 || text.length > 254) throw new InputError(field, `${field} must be a domain.`);
  return text;
}

export function intInRange(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(field, `${field} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}
