/** One export column: its header and how to read it off a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | string[];
}

export type Format = "csv" | "ndjson";

export const CONTENT_TYPES: Record<Format, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
};

/** R34: a text cell a spreadsheet would evaluate as a formula (or that hides one behind a tab or CR). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled; lines end CRLF.
 * R34: a text cell (not a number) that begins with `=`, `+`, `-`, `@`, a tab or a CR is prefixed with
 * `'`, so spreadsheets show it rather than evaluate it.
 */
export function csvField(value: string | number | boolean | null | string[]): string {
  if (value === null || value === undefined) return "";
  let text = Array.isArray(value) ? value.join(";") : String(value);
  if ((typeof value === "string" || Array.isArray(value)) && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = <T>(columns: Column<T>[]): string => `${columns.map((c) => csvField(c.header)).join(",")}\r\n`;

export function encodeRows<T>(format: Format, columns: Column<T>[], rows: T[]): string {
  if (format === "csv") return rows.map((row) => `${columns.map((c) => csvField(c.value(row))).join(",")}\r\n`).join("");
  return rows.map((row) => `${JSON.stringify(Object.fromEntries(columns.map((c) => [c.header, c.value(row)])))}\n`).join("");
}

/** How a stream that fails after its first byte ends: visibly, never as a silently short file. */
export function truncationMarker(format: Format, message: string): string {
  if (format === "ndjson") return `${JSON.stringify({ error: { code: "INTERNAL_SERVER_ERROR", message } })}\n`;
  return `${csvField(`#TRUNCATED: ${message}`)}\r\n`;
}
