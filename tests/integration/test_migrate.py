"""`sereg migrate`: forward-only, one transaction per file, checksums guard applied files."""
import os

from harness import run, tests_of, check, eq, Database, SQL, migrated, sereg, sql_copy


def migrated_copy(name):
    """A fresh database migrated from a copy of sql/, and that copy, for the test to change."""
    sql = sql_copy()
    return migrated(name, sql), sql


def refused(db, sql, words):
    """Migrating <db> from <sql> again must fail, saying <words>."""
    r = db.migrate(sql)
    eq(r.returncode, 1, "refused")
    check(words in r.stderr, r.stderr)


def test_migrate_applies_once_then_nothing():
    db = Database("migrate_once")
    r = db.migrate()
    eq(r.returncode, 0, r.stderr)
    files = sorted(f for f in os.listdir(SQL) if f.endswith(".sql"))
    for f in files:
        check(f"applied {f}" in r.stdout, f)
    eq(db.count("schema_migration"), len(files), "recorded")
    eq(len(db.sql("SELECT checksum FROM schema_migration LIMIT 1")), 64, "sha-256 recorded")
    r = db.migrate()
    eq(r.returncode, 0, r.stderr)
    check("0 applied now" in r.stdout, r.stdout)


def test_changed_applied_file_is_refused():
    db, sql = migrated_copy("migrate_changed")
    with open(os.path.join(sql, "0002_jurisdictions.sql"), "a") as f:
        f.write("\n-- an innocent-looking edit\n")
    refused(db, sql, "0002_jurisdictions.sql changed after it was applied")


def test_missing_applied_file_is_refused():
    db, sql = migrated_copy("migrate_missing")
    os.unlink(os.path.join(sql, "0003_row_security.sql"))
    refused(db, sql, "0003_row_security.sql was applied but is not in")


def test_failing_migration_leaves_nothing_behind():
    db, sql = migrated_copy("migrate_failing")
    with open(os.path.join(sql, "9001_broken.sql"), "w") as f:
        f.write("CREATE TABLE half_done (x int);\nINSERT INTO half_done VALUES (1);\nSELECT 1/0;\n")
    refused(db, sql, "9001_broken.sql failed, nothing of it was applied")
    eq(db.sql("SELECT to_regclass('half_done') IS NULL"), "t", "no half-applied table")
    eq(db.count("schema_migration", "version = 9001"), 0, "not recorded")


def test_out_of_order_file_is_refused():
    sql = sql_copy()
    with open(os.path.join(sql, "9002_later.sql"), "w") as f:
        f.write("SELECT 1;\n")
    db = migrated("migrate_order", sql)
    with open(os.path.join(sql, "9000_earlier.sql"), "w") as f:
        f.write("SELECT 1;\n")
    refused(db, sql, "numbered before")


def test_unreachable_database_is_a_clear_error():
    r = sereg("migrate", env={"DATABASE_URL": "host=/nonexistent port=1 dbname=x connect_timeout=2"})
    eq(r.returncode, 1, "exit status")
    check("cannot connect to PostgreSQL" in r.stderr, r.stderr)


if __name__ == "__main__":
    run(tests_of(globals()))
