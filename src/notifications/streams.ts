import { AsyncResource } from "node:async_hooks";
import { Event, Product, ProductInstance, VirtualAccount } from "../../entities";
import type { Access } from "../auth/access";
import { virtualAccountPlace } from "../auth/guard";
import { reloadAccess } from "../auth/viewer";
import { Capability, forbiddenMessage } from "../auth/capabilities";
import { RequestContext } from "../context";
import { ForbiddenError, UnauthenticatedError } from "../errors";
import { fromGlobalId } from "../ids";
import type { Alert, AlertType } from "../licenses/alerts";
import { createLoaders, Loaders } from "../loaders";
import type { Logger } from "../logging";
import type { NotificationBus } from "./bus";
import { AlertData, EventData, isAlertData, isEventData, NotificationMessage } from "./data";

/**
 * R36: a subscription's request context. One per subscription (graphql-ws builds it as app.ts builds one
 * per HTTP request), with the bus the stream listens to. Before every delivery it takes the viewer's
 * access as read again for that notification, so a revoked role is seen at the next one.
 */
export class SubscriptionContext extends RequestContext {
  bus!: NotificationBus;
  logger!: Logger;
  /**
   * The operation as the client sent it (document, operation name, variables): streams whose operation,
   * viewer's access and notification are the same get the same result, executed once.
   */
  operationKey: string | null = null;

  /**
   * Before a delivery: the viewer's access as now read, the loaders every stream judging with that same
   * Access shares (a viewer's thousand streams read a Virtual Account once per notification), and no shield
   * verdict kept from an earlier one.
   */
  use(access: Access): void {
    let shared = sharedLoaders.get(access);
    if (!shared) sharedLoaders.set(access, (shared = createLoaders({ db: this.db, access, clock: this.clock })));
    this.useAccess(access, shared);
    delete (this as { _shield?: unknown })._shield;
  }

  /** Waiting for its first delivery, a stream holds no loaders of its own (what admitting it read is let go). */
  idle(): void {
    this.useAccess(this.access);
  }
}

/** Loaders per Access: one reload of a viewer's grants per notification (`accessFor`) gets one set. */
const sharedLoaders = new WeakMap<Access, Loaders>();

/**
 * The viewer's access read once per notification, whatever the number of their streams that judge it
 * (a dashboard holds several): each is read after the notification was published, so each delivery is
 * judged on grants at least as new as the write it tells of.
 */
const reloads = new Map<string, Promise<Access>>();

function accessFor(context: SubscriptionContext, message: NotificationMessage): Promise<Access> {
  const viewer = context.access.viewer;
  if (!viewer) return Promise.resolve(context.access);
  const key = `${viewer.id}:${[...context.access.scopes].sort().join(" ")}:${message.id}`;
  let reload = reloads.get(key);
  if (!reload) {
    reload = reloadAccess(context.db, context.access);
    reloads.set(key, reload);
    setTimeout(() => reloads.delete(key), 1000).unref();
    reload.catch(() => reloads.delete(key));
  }
  return reload;
}

export type AlertChangeKind = "RAISED" | "CLEARED";

/** What Subscription.alertChanges yields: an alert as recorded when it was raised or cleared (R35). */
export interface AlertChange {
  kind: AlertChangeKind;
  alert: Alert;
  at: Date;
}

/**
 * One item of a stream: a value, or the error that ends it (a right revoked while it ran); with the
 * notification it came from and the viewer's access it was judged on (streams of one viewer judging one
 * notification on one reading share it, and so their result: src/notifications/subscriptions.ts).
 */
export type Delivery<T> = ({ value: T } | { error: ForbiddenError }) & { from?: NotificationMessage; judgedOn?: Access };

/** The value of a delivery, or its error thrown where graphql-js reports it (the stream then ends). */
export function delivered<T>(delivery: Delivery<T>): T {
  if ("error" in delivery) throw delivery.error;
  return delivery.value;
}

export interface StreamArgs {
  smartAccountId: string;
  virtualAccountId?: string | null;
}

/** Where a stream listens: its account, and the Virtual Account it is narrowed to, if any. */
interface Where {
  smartAccountId: number;
  virtualAccountId: number | null;
}

/**
 * R36 and §5 before a stream starts: no viewer → UNAUTHENTICATED; an account (or Virtual Account) the
 * viewer cannot see → NOT_FOUND; seen, but the capability reaches nowhere there → FORBIDDEN.
 */
async function admit(context: RequestContext, capability: Capability, args: StreamArgs): Promise<Where> {
  if (!context.access.authenticated) throw context.authError ?? new UnauthenticatedError();
  const smartAccountId = fromGlobalId("SmartAccount", args.smartAccountId, "smartAccountId");
  const virtualAccountId = args.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", args.virtualAccountId, "virtualAccountId");
  const where = { smartAccountId, virtualAccountId };
  const refused = await refusal(context, capability, where);
  if (refused) throw refused;
  if (context instanceof SubscriptionContext) context.idle();
  return where;
}

/** Why the stream may not run now (NOT_FOUND or FORBIDDEN), or null when it may. */
async function refusal(context: RequestContext, capability: Capability, where: Where): Promise<Error | null> {
  const account = await context.loaders.smartAccount.load(where.smartAccountId);
  if (!(await context.seen("SmartAccount", account))) return context.guard.notFound("SmartAccount", "smartAccountId");
  if (where.virtualAccountId === null) {
    return context.access.canAnywhere(capability, where.smartAccountId) ? null : new ForbiddenError(forbiddenMessage(capability));
  }
  const va = await context.loaders.virtualAccount.load(where.virtualAccountId);
  if (!va || va.smartAccountId !== where.smartAccountId || !(await context.seen("VirtualAccount", va))) {
    return context.guard.notFound("VirtualAccount", "virtualAccountId");
  }
  return context.access.can(capability, virtualAccountPlace(va)) ? null : new ForbiddenError(forbiddenMessage(capability, va.name));
}

/**
 * A bus subscription as an async iterator. `accept` is the cheap filter (topic, account) run on every
 * message; `deliver` runs on those accepted, one at a time in the order heard, and says what the client
 * gets: a value, nothing (null), or an error that ends the stream. The bus listener is removed when the
 * client completes, disconnects or the stream ends.
 */
function busStream<T>(
  bus: NotificationBus,
  accept: (message: NotificationMessage) => boolean,
  deliver: (message: NotificationMessage) => Promise<Delivery<T> | null>,
  onError: (error: unknown) => void,
): AsyncIterableIterator<Delivery<T>> {
  const heard: NotificationMessage[] = [];
  const ready: Delivery<T>[] = [];
  let waiting: ((result: IteratorResult<Delivery<T>>) => void) | null = null;
  let pumping = false;
  let ended = false;
  let endAfterReady = false;

  // The bus may call listeners inside the publishing request's async context (its SQLite turn, say): each
  // delivery runs in the context the stream was opened in instead.
  const unsubscribe = bus.subscribe(
    AsyncResource.bind((message: NotificationMessage) => {
      if (ended || !accept(message)) return;
      heard.push(message);
      void pump();
    }),
  );

  function end(): void {
    if (ended) return;
    ended = true;
    unsubscribe();
    heard.length = 0;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  function hand(delivery: Delivery<T>): void {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: delivery, done: false });
    } else ready.push(delivery);
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (heard.length && !ended && !endAfterReady) {
        const message = heard.shift() as NotificationMessage;
        let delivery: Delivery<T> | null = null;
        try {
          delivery = await deliver(message);
        } catch (error) {
          // A delivery that could not be judged (the database away) is skipped, never guessed at.
          onError(error);
        }
        if (ended || !delivery) continue;
        delivery.from = message;
        if ("error" in delivery) {
          // The stream's right is gone: this error is its last item; nothing more is heard.
          endAfterReady = true;
          unsubscribe();
          heard.length = 0;
        }
        hand(delivery);
      }
    } finally {
      pumping = false;
    }
  }

  return {
    next() {
      if (ready.length) return Promise.resolve({ value: ready.shift() as Delivery<T>, done: false });
      if (ended || endAfterReady) {
        end();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      end();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error) {
      end();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function asSubscription(context: RequestContext): SubscriptionContext {
  if (!(context instanceof SubscriptionContext))
    throw new Error("Subscriptions are served over graphql-ws only (src/notifications/subscriptions.ts).");
  return context;
}

/** The stream's own right at a delivery: anywhere in the account, or over its Virtual Account as it is now. */
function stillHolds(access: Access, capability: Capability, where: Where, within: VirtualAccount | null): boolean {
  if (where.virtualAccountId === null) return access.canAnywhere(capability, where.smartAccountId);
  return within !== null && within.smartAccountId === where.smartAccountId && access.can(capability, virtualAccountPlace(within));
}

/**
 * Before each delivery: the viewer's access read again (on SQLite in its own turn, so nothing
 * uncommitted is read) and the stream's right re-checked: gone (a role revoked, its Virtual Account moved
 * out of reach or deleted), the stream ends with FORBIDDEN. Then `judge` decides on the item, with the
 * stream's Virtual Account as it is now.
 */
function checked<T>(
  context: SubscriptionContext,
  capability: Capability,
  where: Where,
  judge: (message: NotificationMessage, within: VirtualAccount | null) => Promise<T | null>,
): (message: NotificationMessage) => Promise<Delivery<T> | null> {
  return (message) =>
    context.db.exclusive(async () => {
      context.use(await accessFor(context, message));
      const within = where.virtualAccountId === null ? null : await context.loaders.virtualAccount.load(where.virtualAccountId);
      const judgedOn = context.access;
      if (!stillHolds(judgedOn, capability, where, within))
        return { error: new ForbiddenError(forbiddenMessage(capability, within?.name)), judgedOn };
      const value = await judge(message, within);
      return value === null ? null : { value, judgedOn };
    });
}

const eventOf = (data: EventData): Event =>
  Object.assign(new Event(), {
    id: data.id,
    type: data.type,
    message: data.message,
    actorId: data.actorId,
    smartAccountId: data.smartAccountId,
    virtualAccountId: data.virtualAccountId,
    createdAt: new Date(data.createdAt),
  });

/**
 * Subscription.events (R36): new events of the account, as SmartAccount.events scopes them ("see
 * events": account-wide roles all of them, a Virtual Account admin those of Virtual Accounts in scope);
 * with `virtualAccountId`, those about that very Virtual Account, as VirtualAccount.events.
 */
export async function eventStream(raw: RequestContext, args: StreamArgs): Promise<AsyncIterableIterator<Delivery<Event>>> {
  const context = asSubscription(raw);
  const where = await admit(context, "events:read", args);
  return busStream(
    context.bus,
    (message) =>
      message.topic === "EVENT" &&
      message.smartAccountId === where.smartAccountId &&
      isEventData(message.data) &&
      (where.virtualAccountId === null || message.data.event.virtualAccountId === where.virtualAccountId),
    checked(context, "events:read", where, async (message) => {
      const event = eventOf((message.data as { event: EventData }).event);
      // The Virtual Account as it is now, as the lists join it: one since deleted places the event account-wide.
      const va = event.virtualAccountId === null ? null : await context.loaders.virtualAccount.load(event.virtualAccountId);
      const place = { smartAccountId: where.smartAccountId, path: va?.path ?? null };
      return context.access.can("events:read", place) ? event : null;
    }),
    (error) => context.logger.warn({ err: error }, "subscription: an event could not be delivered"),
  );
}

/**
 * Subscription.alertChanges (R35, R36): alerts raised and cleared in the account where the viewer may
 * see alerts ("alerts:subscribe"); with `virtualAccountId`, in that Virtual Account's subtree. A change
 * whose Virtual Account no longer exists is not delivered.
 */
export async function alertChangeStream(raw: RequestContext, args: StreamArgs): Promise<AsyncIterableIterator<Delivery<AlertChange>>> {
  const context = asSubscription(raw);
  const where = await admit(context, "alerts:subscribe", args);
  return busStream(
    context.bus,
    (message) =>
      (message.topic === "ALERT_RAISED" || message.topic === "ALERT_CLEARED") &&
      message.smartAccountId === where.smartAccountId &&
      isAlertData(message.data),
    checked(context, "alerts:subscribe", where, async (message, within) => {
      const data = (message.data as { alert: AlertData }).alert;
      const [va, product, productInstance] = await Promise.all([
        context.loaders.virtualAccount.load(data.virtualAccountId),
        data.productId === null ? null : context.loaders.product.load(data.productId),
        data.productInstanceId === null ? null : context.loaders.productInstance.load(data.productInstanceId),
      ]);
      if (!va || va.smartAccountId !== where.smartAccountId) return null;
      if (within && !va.path.startsWith(within.path)) return null;
      if (!context.access.can("alerts:subscribe", virtualAccountPlace(va))) return null;
      return {
        kind: message.topic === "ALERT_RAISED" ? "RAISED" : "CLEARED",
        alert: alertOf(data, va, product, productInstance),
        at: new Date(message.createdAt),
      };
    }),
    (error) => context.logger.warn({ err: error }, "subscription: an alert change could not be delivered"),
  );
}

function alertOf(data: AlertData, virtualAccount: VirtualAccount, product: Product | null, productInstance: ProductInstance | null): Alert {
  return {
    type: data.type as AlertType,
    severity: data.severity,
    message: data.message,
    virtualAccountId: data.virtualAccountId,
    productId: data.productId,
    productInstanceId: data.productInstanceId,
    lotId: data.lotId,
    orderId: data.orderId,
    quantity: data.quantity,
    dueAt: data.dueAt === null ? null : new Date(data.dueAt),
    virtualAccount,
    product,
    productInstance,
  };
}
