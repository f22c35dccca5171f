import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Notifications (SPEC §8): the outbox (`notifications`), the recorded alerts and the marks of Virtual
 * Accounts to compare (R35), webhooks and their deliveries (R37), mail preferences (R38) and the worker's
 * recurring tasks (R39). Each database's statements as TypeORM writes them for the entities.
 */
export class Notifications1764500000000 implements MigrationInterface {
  name = "Notifications1764500000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = queryRunner.connection.driver.options.type === "better-sqlite3" ? SQLITE : MYSQL;
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      "webhook_deliveries",
      "webhooks",
      "worker_tasks",
      "notification_preferences",
      "notifications",
      "alert_checks",
      "alert_states",
    ])
      await queryRunner.dropTable(table);
  }
}

const SQLITE = [
  'CREATE TABLE "alert_states" ("virtual_account_id" integer NOT NULL, "alert_key" varchar(64) NOT NULL, "smart_account_id" integer NOT NULL, "type" varchar(32) NOT NULL, "severity" varchar(32) NOT NULL, "product_id" integer, "lot_id" integer, "product_instance_id" integer, "order_id" integer, "quantity" bigint, "due_at" datetime(3), "message" varchar(1000) NOT NULL, "raised_at" datetime(3) NOT NULL, PRIMARY KEY ("virtual_account_id", "alert_key"))',
  'CREATE INDEX "IDX_606ec0e3d8e4d6474f73a8512c" ON "alert_states" ("smart_account_id")',
  'CREATE TABLE "alert_checks" ("virtual_account_id" integer PRIMARY KEY NOT NULL, "marks" bigint NOT NULL DEFAULT (0), "checked" bigint NOT NULL DEFAULT (0), "marked_at" datetime(3) NOT NULL)',
  'CREATE TABLE "notifications" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "topic" varchar(32) NOT NULL, "smart_account_id" integer NOT NULL, "virtual_account_id" integer, "event_id" integer, "data" text NOT NULL, "created_at" datetime(3) NOT NULL)',
  'CREATE INDEX "IDX_44e9805b977e66c19057407cf0" ON "notifications" ("smart_account_id", "id")',
  'CREATE TABLE "notification_preferences" ("user_id" integer NOT NULL, "smart_account_id" integer NOT NULL, "daily_digest" boolean NOT NULL DEFAULT (0), "immediate_alert_types" varchar(200) NOT NULL DEFAULT (\'\'), "updated_at" datetime(3) NOT NULL, "last_digest_at" datetime(3), PRIMARY KEY ("user_id", "smart_account_id"))',
  'CREATE TABLE "worker_tasks" ("name" varchar(64) PRIMARY KEY NOT NULL, "last_run_at" datetime(3), "lease_until" datetime(3), "lease_owner" varchar(64), "cursor" bigint NOT NULL DEFAULT (0))',
  'CREATE TABLE "webhooks" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "smart_account_id" integer NOT NULL, "virtual_account_id" integer, "url" varchar(2048) NOT NULL, "topics" varchar(100) NOT NULL, "secret_salt" varchar(64) NOT NULL, "active" boolean NOT NULL DEFAULT (1), "created_by_id" integer, "created_at" datetime(3) NOT NULL, "disabled_at" datetime(3), "disabled_reason" varchar(200))',
  'CREATE INDEX "IDX_cfab9fe111530686ce3bbadcf6" ON "webhooks" ("smart_account_id", "id")',
  'CREATE TABLE "webhook_deliveries" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "webhook_id" integer NOT NULL, "notification_id" integer NOT NULL, "topic" varchar(32) NOT NULL, "status" varchar(32) NOT NULL DEFAULT (\'PENDING\'), "attempts" integer NOT NULL DEFAULT (0), "created_at" datetime(3) NOT NULL, "last_attempt_at" datetime(3), "next_attempt_at" datetime(3), "last_response_status" integer, "last_error" varchar(200), "lease_until" datetime(3), CONSTRAINT "FK_a0286aeb96db651efd1ae2966f2" FOREIGN KEY ("webhook_id") REFERENCES "webhooks" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
  'CREATE INDEX "IDX_284017efc3cbfe592288749a9c" ON "webhook_deliveries" ("status", "next_attempt_at")',
  'CREATE INDEX "IDX_85aefb7b9cff1da38cb31ad1e6" ON "webhook_deliveries" ("webhook_id", "id")',
  'DROP INDEX "IDX_284017efc3cbfe592288749a9c"',
  'DROP INDEX "IDX_85aefb7b9cff1da38cb31ad1e6"',
  'CREATE INDEX "IDX_284017efc3cbfe592288749a9c" ON "webhook_deliveries" ("status", "next_attempt_at")',
  'CREATE INDEX "IDX_85aefb7b9cff1da38cb31ad1e6" ON "webhook_deliveries" ("webhook_id", "id")',
];

const MYSQL = [
  "CREATE TABLE `alert_states` (`virtual_account_id` int NOT NULL, `alert_key` varchar(64) NOT NULL, `smart_account_id` int NOT NULL, `type` varchar(32) NOT NULL, `severity` varchar(32) NOT NULL, `product_id` int NULL, `lot_id` int NULL, `product_instance_id` int NULL, `order_id` int NULL, `quantity` bigint NULL, `due_at` datetime(3) NULL, `message` varchar(1000) NOT NULL, `raised_at` datetime(3) NOT NULL, INDEX `IDX_606ec0e3d8e4d6474f73a8512c` (`smart_account_id`), PRIMARY KEY (`virtual_account_id`, `alert_key`)) ENGINE=InnoDB",
  "CREATE TABLE `alert_checks` (`virtual_account_id` int NOT NULL, `marks` bigint NOT NULL DEFAULT '0', `checked` bigint NOT NULL DEFAULT '0', `marked_at` datetime(3) NOT NULL, PRIMARY KEY (`virtual_account_id`)) ENGINE=InnoDB",
  "CREATE TABLE `notifications` (`id` int NOT NULL AUTO_INCREMENT, `topic` varchar(32) NOT NULL, `smart_account_id` int NOT NULL, `virtual_account_id` int NULL, `event_id` int NULL, `data` text NOT NULL, `created_at` datetime(3) NOT NULL, INDEX `IDX_44e9805b977e66c19057407cf0` (`smart_account_id`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
  "CREATE TABLE `notification_preferences` (`user_id` int NOT NULL, `smart_account_id` int NOT NULL, `daily_digest` tinyint NOT NULL DEFAULT 0, `immediate_alert_types` varchar(200) NOT NULL DEFAULT '', `updated_at` datetime(3) NOT NULL, `last_digest_at` datetime(3) NULL, PRIMARY KEY (`user_id`, `smart_account_id`)) ENGINE=InnoDB",
  "CREATE TABLE `worker_tasks` (`name` varchar(64) NOT NULL, `last_run_at` datetime(3) NULL, `lease_until` datetime(3) NULL, `lease_owner` varchar(64) NULL, `cursor` bigint NOT NULL DEFAULT '0', PRIMARY KEY (`name`)) ENGINE=InnoDB",
  "CREATE TABLE `webhooks` (`id` int NOT NULL AUTO_INCREMENT, `smart_account_id` int NOT NULL, `virtual_account_id` int NULL, `url` varchar(2048) NOT NULL, `topics` varchar(100) NOT NULL, `secret_salt` varchar(64) NOT NULL, `active` tinyint NOT NULL DEFAULT 1, `created_by_id` int NULL, `created_at` datetime(3) NOT NULL, `disabled_at` datetime(3) NULL, `disabled_reason` varchar(200) NULL, INDEX `IDX_cfab9fe111530686ce3bbadcf6` (`smart_account_id`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
  "CREATE TABLE `webhook_deliveries` (`id` int NOT NULL AUTO_INCREMENT, `webhook_id` int NOT NULL, `notification_id` int NOT NULL, `topic` varchar(32) NOT NULL, `status` varchar(32) NOT NULL DEFAULT 'PENDING', `attempts` int NOT NULL DEFAULT '0', `created_at` datetime(3) NOT NULL, `last_attempt_at` datetime(3) NULL, `next_attempt_at` datetime(3) NULL, `last_response_status` int NULL, `last_error` varchar(200) NULL, `lease_until` datetime(3) NULL, INDEX `IDX_284017efc3cbfe592288749a9c` (`status`, `next_attempt_at`), INDEX `IDX_85aefb7b9cff1da38cb31ad1e6` (`webhook_id`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
  "ALTER TABLE `webhook_deliveries` ADD CONSTRAINT `FK_a0286aeb96db651efd1ae2966f2` FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION",
];
