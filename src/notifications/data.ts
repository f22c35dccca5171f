import type { NotificationTopic } from "../../entities";

/** An event as a notification carries it (R29, R35): the row's own fields. */
export interface EventData {
  id: number;
  type: string;
  message: string;
  actorId: number | null;
  smartAccountId: number;
  virtualAccountId: number | null;
  createdAt: string;
}

/** An alert as recorded (R35): its identity (`key`, type, Virtual Account and what it is about) and latest figures. */
export interface AlertData {
  key: string;
  type: string;
  severity: "MAJOR" | "MINOR";
  message: string;
  virtualAccountId: number;
  productId: number | null;
  lotId: number | null;
  productInstanceId: number | null;
  orderId: number | null;
  quantity: number | null;
  dueAt: string | null;
}

export type NotificationData = { event: EventData } | { alert: AlertData };

/**
 * One notification as it travels from the outbox to subscribers, webhooks and mail: the row of
 * `notifications`, its data parsed. Ids are the service's own numbers; `publicPayload` turns them into
 * the API's global ids for anyone outside.
 */
export interface NotificationMessage {
  id: number;
  topic: NotificationTopic;
  smartAccountId: number;
  virtualAccountId: number | null;
  /** The Virtual Account's path when it was written (null: account-wide, or a Virtual Account since deleted). */
  virtualAccountPath: string | null;
  createdAt: string;
  data: NotificationData;
  /**
   * When its transaction committed (ISO, the server's wall clock, not the service clock): stamped after the
   * commit, before publishing; subscribers get it as `extensions.committedAt` of each delivery.
   */
  committedAt?: string;
}

export const isAlertData = (data: NotificationData): data is { alert: AlertData } => "alert" in data;
export const isEventData = (data: NotificationData): data is { event: EventData } => "event" in data;
