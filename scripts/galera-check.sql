-- Galera readiness of a migrated schema (MariaDB / MySQL): run it with the schema as the default
-- database, e.g. after the app's migrations on node 1 of scripts/galera.sh:
--   mariadb --no-defaults -h127.0.0.1 -P3511 -uroot galera_check < scripts/galera-check.sql
-- Each query lists offenders; an empty result is a pass.

-- 1. Base tables without a PRIMARY KEY (Galera certifies rows by key; without one, deletes/updates
--    on the replicas are slow and conflicts go unnoticed).
SELECT 'no primary key' AS problem, t.TABLE_NAME
FROM information_schema.TABLES t
LEFT JOIN information_schema.TABLE_CONSTRAINTS c
  ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY'
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' AND c.CONSTRAINT_NAME IS NULL;

-- 2. Base tables not InnoDB (Galera replicates InnoDB only; MyISAM/Aria/MEMORY rows stay on one node).
SELECT 'not InnoDB' AS problem, TABLE_NAME, ENGINE
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB';

-- 3. Objects that run node-locally: triggers run on each node anyway (fine with ROW), events run on
--    every node unless disabled on the replicas, so list both for review.
SELECT 'event (runs on every node)' AS problem, EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE();
SELECT 'trigger (review)' AS problem, TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE();

-- 4. The summary: tables, and how many pass both checks.
SELECT COUNT(*) AS base_tables,
       SUM(t.ENGINE = 'InnoDB' AND EXISTS (
         SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c
         WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')) AS innodb_with_primary_key
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE';
