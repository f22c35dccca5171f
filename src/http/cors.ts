import type { RequestHandler } from "express";

/** The options of the `cors` package (Express's own CORS middleware) that this service sets. */
interface CorsOptions {
  origin: (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) => void;
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  credentials: boolean;
  maxAge: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package ships no types
const cors: (options: CorsOptions) => RequestHandler = require("cors");

/** The headers a GraphQL client sends: the bearer token, JSON, Apollo Client's and our request id. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "apollographql-client-name",
  "apollographql-client-version",
  "x-request-id",
];
/** What a page may read from an answer: its request id and, when refused for its budget, when to retry. */
const EXPOSED_HEADERS = ["x-request-id", "retry-after"];

/** Outside production, a page served from any port of this machine may call the API. */
const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * §6: browsers are first-class clients. `CORS_ORIGINS` lists the origins allowed to call the API
 * (comma-separated, exact); outside production, with none listed, any `http://localhost:*` or
 * `http://127.0.0.1:*` page may. Bearer tokens travel in a header, never a cookie, so credentials are not
 * allowed and a stolen page cannot ride a user's session. Preflights are answered here, before Apollo's
 * CSRF prevention, which keeps refusing the simple cross-site requests it is there for.
 */
export function corsFor(origins: string[], production: boolean): RequestHandler {
  const listed = new Set(origins);
  const allowed = (origin: string) => listed.has(origin) || (!production && (listed.has("*") || (listed.size === 0 && LOCAL_ORIGIN.test(origin))));
  return cors({
    origin: (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) =>
      callback(null, origin !== undefined && allowed(origin)),
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
  });
}

/** `CORS_ORIGINS` as a list of origins (`https://app.example.com`), each checked for shape. */
export function parseOrigins(value: string | undefined): string[] {
  const origins = (value ?? "")
    .split(",")
    .map((origin) => origin.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === "*") continue; // refused in production by the configuration check; any origin elsewhere
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`CORS_ORIGINS: "${origin}" is not an origin such as https://app.example.com`);
  }
  return origins;
}
