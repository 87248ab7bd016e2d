-- AuthCluster: SQLite schema for the Orleans ADO.NET grain-storage provider (single-node mode).
-- Written from the provider contract (ORLEANS-ADONET.md); applied by DatabaseSchema.ApplySqliteAsync.
-- Idempotent: safe to run again on an existing database.
--
-- SQLite has no stored procedures, so each query text is a short list of statements. Only the
-- statement that carries the answer returns rows; the provider concatenates every result set.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    grain_id_hash    INTEGER NOT NULL,
    grain_id_n0      INTEGER NOT NULL,
    grain_id_n1      INTEGER NOT NULL,
    grain_type_hash  INTEGER NOT NULL,
    grain_type       TEXT    NOT NULL,
    grain_id_ext     TEXT    NULL,
    service_id       TEXT    NOT NULL,
    -- NULL payload = cleared state whose row is kept as a tombstone carrying the ETag.
    payload          BLOB    NULL,
    version          INTEGER NULL,
    -- Informational only; the provider never reads it.
    modified_on      TEXT    NOT NULL DEFAULT (datetime())
);

-- The hashes are not unique, so the index spans the full identity. A NULL extension must count as
-- one value (SQLite treats NULLs as distinct in unique indexes), so it is mapped to a BLOB
-- sentinel: a BLOB never compares equal to the TEXT of a real string key, even an empty one.
-- This index is what makes concurrent first writes produce exactly one winner.
CREATE UNIQUE INDEX IF NOT EXISTS ux_orleans_grain_state_identity
    ON orleans_grain_state (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1,
                            grain_type, ifnull(grain_id_ext, x'00'), service_id);

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM orleans_grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND grain_id_ext IS @GrainIdExtensionString
  AND service_id = @ServiceId;
');

-- A known ETag updates in place; no ETag inserts. Exactly one of the two statements can touch a
-- row, and INSERT OR IGNORE turns "row already exists" (also a cleared tombstone) into zero rows,
-- which the provider reports as InconsistentStateException. The version wraps instead of growing
-- past Int32 because the provider parses ETags with int.Parse.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
UPDATE orleans_grain_state
SET payload = @PayloadBinary,
    version = CASE WHEN version >= 2147483647 THEN 1 ELSE version + 1 END,
    modified_on = datetime()
WHERE @GrainStateVersion IS NOT NULL
  AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND grain_id_ext IS @GrainIdExtensionString
  AND service_id = @ServiceId
  AND version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;

INSERT OR IGNORE INTO orleans_grain_state
    (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash, grain_type, grain_id_ext, service_id, payload, version)
SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @PayloadBinary, 1
WHERE @GrainStateVersion IS NULL
RETURNING version AS NewGrainStateVersion;
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE orleans_grain_state
SET payload = NULL,
    version = CASE WHEN version >= 2147483647 THEN 1 ELSE version + 1 END,
    modified_on = datetime()
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND grain_id_ext IS @GrainIdExtensionString
  AND service_id = @ServiceId
  AND version = @GrainStateVersion
RETURNING version;
');

-- Returns a value that differs from the ETag sent, which the provider reads as success.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', '
DELETE FROM orleans_grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString AND grain_id_ext IS @GrainIdExtensionString
  AND service_id = @ServiceId
  AND version = @GrainStateVersion
RETURNING version + 1;
');
