import { Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import type { NotificationBus } from "../../src/notifications";
import type { Copies } from "./copies";

/** What a subscriber heard: the data of each delivery, the errors of each (R36: codes in extensions), and whether it ended. */
export interface Heard<T = any> {
  data: T[];
  /** Each delivery's `extensions` (R36: `committedAt`), in order, and when it arrived (wall clock, ms). */
  extensions: { extensions: Record<string, unknown> | undefined; at: number }[];
  errors: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
  completed: boolean;
}

export interface Subscriber<T = any> {
  readonly heard: Heard<T>;
  /** Resolves once `until` holds of what was heard; fails the test after `timeoutMs`. */
  waitFor(until: (heard: Heard<T>) => boolean, what: string, timeoutMs?: number): Promise<Heard<T>>;
  /** Resolves with the first error's code, once one arrives. */
  errorCode(timeoutMs?: number): Promise<string | undefined>;
  /** Completes the subscription (the client's `complete` message). */
  unsubscribe(): void;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * A graphql-ws client (protocol graphql-transport-ws) on a test server's `/graphql`: `authorization` goes in
 * connection_init's payload as R36 says (undefined: none at all).
 */
export function wsClient(httpUrl: string, authorization: string | undefined): Client {
  return createClient({
    url: httpUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: authorization === undefined ? {} : { authorization },
    retryAttempts: 0,
    lazy: true,
  });
}

/** One subscription on its own connection, recording everything it hears. */
export function subscribeWith<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  options: { ownsClient?: boolean } = {},
): Subscriber<T> {
  const heard: Heard<T> = { data: [], extensions: [], errors: [], completed: false };
  const changed = new Set<() => void>();
  const notify = () => changed.forEach((listener) => listener());
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.data) heard.data.push(result.data as T);
        if (result.data) heard.extensions.push({ extensions: result.extensions as Record<string, unknown> | undefined, at: Date.now() });
        if (result.errors) heard.errors.push(...(result.errors as Heard["errors"]));
        notify();
      },
      error: (error) => {
        // graphql-ws reports refused operations as a list of GraphQL errors, a closed socket as its event.
        if (Array.isArray(error)) heard.errors.push(...(error as Heard["errors"]));
        else heard.errors.push({ message: String((error as { reason?: string }).reason ?? error), extensions: { code: "SOCKET_CLOSED" } });
        heard.completed = true;
        notify();
      },
      complete: () => {
        heard.completed = true;
        notify();
      },
    },
  );
  const waitFor = (until: (value: Heard<T>) => boolean, what: string, timeoutMs = 10_000) =>
    new Promise<Heard<T>>((resolve, reject) => {
      const check = () => {
        if (!until(heard)) return;
        changed.delete(check);
        clearTimeout(timer);
        resolve(heard);
      };
      const timer = setTimeout(() => {
        changed.delete(check);
        reject(new Error(`Waited ${timeoutMs} ms for ${what}; heard ${JSON.stringify(heard)}`));
      }, timeoutMs);
      changed.add(check);
      check();
    });
  return {
    heard,
    waitFor,
    async errorCode(timeoutMs) {
      await waitFor((value) => value.errors.length > 0, "an error", timeoutMs);
      return heard.errors[0].extensions?.code;
    },
    unsubscribe: dispose,
    async close() {
      dispose();
      if (options.ownsClient !== false) await client.dispose();
    },
  };
}

/** A subscription on a connection of its own: `authorization` as connection_init carries it. */
export const subscribe = <T = any>(httpUrl: string, authorization: string | undefined, query: string, variables: Record<string, unknown>) =>
  subscribeWith<T>(wsClient(httpUrl, authorization), query, variables);

/**
 * How many listeners the real bus has right now (R36: one per open stream): the bus is wrapped, not
 * replaced, so every message still goes through it. Lets a test know a stream is open before it writes.
 */
export function countListeners(bus: NotificationBus): () => number {
  const marked = bus as NotificationBus & { __counted?: { now: number } };
  if (!marked.__counted) {
    const counted = { now: 0 };
    const original = bus.subscribe.bind(bus);
    bus.subscribe = (listener) => {
      counted.now += 1;
      const off = original(listener);
      let done = false;
      return () => {
        if (!done) counted.now -= 1;
        done = true;
        off();
      };
    };
    marked.__counted = counted;
  }
  const counted = marked.__counted;
  return () => counted.now;
}

/**
 * The listeners of a test server's bus, and with TEST_COPIES=2 of its second copy's too (asked over IPC,
 * test/support/copies.ts): one per stream open on either copy.
 */
export function listenerCount(
  bus: NotificationBus,
  copies: Copies | null = null,
): { now(): Promise<number>; reach(count: number, timeoutMs?: number): Promise<void> } {
  const own = countListeners(bus);
  const now = async () => own() + (copies ? await copies.listeners() : 0);
  return {
    now,
    async reach(count, timeoutMs = 10_000) {
      const started = Date.now();
      let seen = await now();
      while (seen !== count) {
        if (Date.now() - started > timeoutMs) throw new Error(`The bus has ${seen} listeners, not ${count}, after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        seen = await now();
      }
    },
  };
}

export const EVENTS = `subscription($sa: ID!, $va: ID) { events(smartAccountId: $sa, virtualAccountId: $va) { id type message createdAt virtualAccount { name } } }`;
export const ALERT_CHANGES = `subscription($sa: ID!, $va: ID) {
  alertChanges(smartAccountId: $sa, virtualAccountId: $va) { kind at alert { type severity quantity message virtualAccount { name } product { sku } } }
}`;
