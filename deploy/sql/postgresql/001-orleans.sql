-- AuthCluster: PostgreSQL (15+) schema for the Orleans ADO.NET clustering, grain-storage and
-- reminder providers. Written from the provider contract (ORLEANS-ADONET.md); applied by
-- DatabaseSchema.ApplyPostgreSqlAsync. Idempotent: safe to run again on an existing database.
--
-- Identifiers are unquoted (folded to lower case) because the providers bootstrap with the
-- unquoted text "SELECT QueryKey, QueryText FROM OrleansQuery".
-- Every timestamp is timestamptz: Npgsql sends Orleans' UTC DateTimes as timestamptz, so the
-- server's TimeZone setting cannot shift them.
-- Query texts are plain statements/CTEs (no functions, no DO blocks) so that bind parameters work
-- and each answer comes from a single statement, i.e. one consistent snapshot.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL PRIMARY KEY,
    querytext text        NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Clustering
-- ---------------------------------------------------------------------------------------------

-- One row per deployment: the single optimistic-concurrency token of the membership table.
CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id varchar(150) NOT NULL PRIMARY KEY,
    version       integer      NOT NULL DEFAULT 0,
    changed_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   varchar(150) NOT NULL,
    address         varchar(45)  NOT NULL,
    port            integer      NOT NULL,
    generation      integer      NOT NULL,
    silo_name       varchar(150) NOT NULL,
    host_name       varchar(150) NOT NULL,
    status          integer      NOT NULL,
    proxy_port      integer      NOT NULL DEFAULT 0,
    suspect_times   text         NULL,
    start_time      timestamptz  NOT NULL,
    i_am_alive_time timestamptz  NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO orleansquery (querykey, querytext) VALUES ('InsertMembershipVersionKey', '
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id, version, changed_at)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT count(*)::int FROM created;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- The outer join yields exactly one row with NULL member columns when the silo is unknown, which
-- the provider reads as "no entry, but here is the table version".
INSERT INTO orleansquery (querykey, querytext) VALUES ('MembershipReadRowKey', '
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status,
       m.proxy_port AS ProxyPort, m.suspect_times AS SuspectTimes,
       m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES ('MembershipReadAllKey', '
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status,
       m.proxy_port AS ProxyPort, m.suspect_times AS SuspectTimes,
       m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Bumping the version row first takes its row lock, so of several callers holding the same
-- version exactly one passes the re-checked "version = @Version"; the member row is only written
-- when that bump happened. A duplicate member is excluded up front; should one still slip in, the
-- primary key raises and the whole statement (including the bump) rolls back.
INSERT INTO orleansquery (querykey, querytext) VALUES ('InsertMembershipKey', '
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND NOT EXISTS (SELECT 1 FROM orleans_membership
                      WHERE deployment_id = @DeploymentId AND address = @Address
                        AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), inserted AS (
    INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name,
                                    status, proxy_port, suspect_times, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM bumped
    RETURNING 1
)
SELECT count(*)::int FROM inserted;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- The member row is locked before the version row (same order as every other writer of both), so
-- a concurrent cleanup cannot delete it between the version bump and the update.
INSERT INTO orleansquery (querykey, querytext) VALUES ('UpdateMembershipKey', '
WITH member AS (
    SELECT deployment_id FROM orleans_membership
    WHERE deployment_id = @DeploymentId AND address = @Address
      AND port = @Port AND generation = @Generation
    FOR UPDATE
), bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND EXISTS (SELECT 1 FROM member)
    RETURNING deployment_id
), updated AS (
    UPDATE orleans_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id AND m.address = @Address
      AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*)::int FROM updated;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Heartbeat: deliberately no version check and no version change.
INSERT INTO orleansquery (querykey, querytext) VALUES ('UpdateIAmAlivetimeKey', '
UPDATE orleans_membership
SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address
  AND port = @Port AND generation = @Generation;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- A zero proxy port would become an unusable gateway URI.
INSERT INTO orleansquery (querykey, querytext) VALUES ('GatewaysQueryKey', '
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteMembershipTableEntriesKey', '
DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId;
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Only Dead (6) silos are defunct; suspected or shutting-down silos may still be alive.
INSERT INTO orleansquery (querykey, querytext) VALUES ('CleanupDefunctSiloEntriesKey', '
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Compare-and-delete: a row changed since the provider read it survives. timestamptz keeps
-- microseconds, and the provider binds back exactly what it read, so the equality can match.
INSERT INTO orleansquery (querykey, querytext) VALUES ('CleanupDefunctSiloEntryKey', '
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND address = @Address
  AND port = @Port AND generation = @Generation
  AND status = 6
  AND suspect_times IS NOT DISTINCT FROM @SuspectTimes
  AND start_time = @StartTime AND i_am_alive_time = @IAmAliveTime;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- ---------------------------------------------------------------------------------------------
-- Grain storage
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    grain_id_hash   integer      NOT NULL,
    grain_id_n0     bigint       NOT NULL,
    grain_id_n1     bigint       NOT NULL,
    grain_type_hash integer      NOT NULL,
    grain_type      text         NOT NULL,
    grain_id_ext    text         NULL,
    service_id      varchar(150) NOT NULL,
    -- NULL payload = cleared state whose row is kept as a tombstone carrying the ETag.
    payload         bytea        NULL,
    version         integer      NULL,
    -- Informational only; the provider never reads it.
    modified_on     timestamptz  NOT NULL DEFAULT now()
);

-- The hashes are not unique, so the index spans the full identity; NULLS NOT DISTINCT makes a
-- missing key extension one value. This index is what gives concurrent first writes exactly one
-- winner (ON CONFLICT DO NOTHING below).
CREATE UNIQUE INDEX IF NOT EXISTS ux_orleans_grain_state_identity
    ON orleans_grain_state (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1,
                            grain_type, grain_id_ext, service_id) NULLS NOT DISTINCT;

INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM orleans_grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString
  AND service_id = @ServiceId;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- A known ETag updates in place (the row lock makes a racing writer with the same ETag re-check
-- and miss); no ETag inserts, and an existing row (also a cleared tombstone) turns the insert into
-- zero rows, which the provider reports as InconsistentStateException. The version wraps instead
-- of overflowing because ETags are parsed with int.Parse.
INSERT INTO orleansquery (querykey, querytext) VALUES ('WriteToStorageKey', '
WITH updated AS (
    UPDATE orleans_grain_state
    SET payload = @PayloadBinary,
        version = CASE WHEN version >= 2147483647 THEN 1 ELSE version + 1 END,
        modified_on = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_type = @GrainTypeString
      AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString
      AND service_id = @ServiceId
      AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO orleans_grain_state (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash,
                                     grain_type, grain_id_ext, service_id, payload, version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash,
           @GrainTypeString, @GrainIdExtensionString, @ServiceId, @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT version AS NewGrainStateVersion FROM updated
UNION ALL
SELECT version FROM inserted;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES ('ClearStorageKey', '
UPDATE orleans_grain_state
SET payload = NULL,
    version = CASE WHEN version >= 2147483647 THEN 1 ELSE version + 1 END,
    modified_on = now()
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString
  AND service_id = @ServiceId
  AND version = @GrainStateVersion
RETURNING version;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Returns a value that differs from the ETag sent (bigint so the largest version cannot
-- overflow), which the provider reads as success.
INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteStorageKey', '
DELETE FROM orleans_grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_ext IS NOT DISTINCT FROM @GrainIdExtensionString
  AND service_id = @ServiceId
  AND version = @GrainStateVersion
RETURNING version::bigint + 1;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- ---------------------------------------------------------------------------------------------
-- Reminders
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    varchar(150) NOT NULL,
    grain_id      text         NOT NULL,
    reminder_name varchar(150) NOT NULL,
    start_time    timestamptz  NOT NULL,
    -- Milliseconds; integer would overflow for periods beyond ~24.8 days.
    period        bigint       NOT NULL,
    -- Signed reinterpretation of the uint ring hash; range queries compare it signed.
    grain_hash    integer      NOT NULL,
    version       integer      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS ix_orleans_reminders_hash ON orleans_reminders (service_id, grain_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadReminderRowsKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadReminderRowKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Ring range (begin, end] when begin < end.
INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadRangeRows1Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- Wrapping ring range (begin >= end; begin = end is the whole ring).
INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadRangeRows2Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

-- ON CONFLICT makes concurrent upserts of one reminder safe; every upsert changes the version so
-- older ETags stop matching.
INSERT INTO orleansquery (querykey, querytext) VALUES ('UpsertReminderRowKey', '
INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = excluded.start_time,
    period = excluded.period,
    grain_hash = excluded.grain_hash,
    version = CASE WHEN orleans_reminders.version >= 2147483647 THEN 0
                   ELSE orleans_reminders.version + 1 END
RETURNING version AS Version;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteReminderRowKey', '
WITH deleted AS (
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId
      AND reminder_name = @ReminderName AND version = @Version
    RETURNING 1
)
SELECT count(*)::int FROM deleted;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteReminderRowsKey', '
DELETE FROM orleans_reminders WHERE service_id = @ServiceId;
') ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
