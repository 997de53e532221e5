"""`sereg migrate`: forward-only, one transaction per file, checksums guard applied files."""
import os

from harness import run, tests_of, check, eq, Database, SRC, copy_dir


def test_migrate_applies_once_then_nothing():
    db = Database("migrate_once")
    r = db.migrate()
    eq(r.returncode, 0, r.stderr)
    files = sorted(f for f in os.listdir(os.path.join(SRC, "sql")) if f.endswith(".sql"))
    for f in files:
        check(f"applied {f}" in r.stdout, f)
    eq(db.count("schema_migration"), len(files), "recorded")
    eq(len(db.sql("SELECT checksum FROM schema_migration LIMIT 1")), 64, "sha-256 recorded")
    r = db.migrate()
    eq(r.returncode, 0, r.stderr)
    check("0 applied now" in r.stdout, r.stdout)


def test_changed_applied_file_is_refused():
    db = Database("migrate_changed")
    sql = copy_dir(os.path.join(SRC, "sql"))
    eq(db.migrate(sql).returncode, 0, "first run")
    with open(os.path.join(sql, "0002_jurisdictions.sql"), "a") as f:
        f.write("\n-- an innocent-looking edit\n")
    r = db.migrate(sql)
    eq(r.returncode, 1, "refused")
    check("0002_jurisdictions.sql changed after it was applied" in r.stderr, r.stderr)


def test_missing_applied_file_is_refused():
    db = Database("migrate_missing")
    sql = copy_dir(os.path.join(SRC, "sql"))
    eq(db.migrate(sql).returncode, 0, "first run")
    os.unlink(os.path.join(sql, "0003_row_security.sql"))
    r = db.migrate(sql)
    eq(r.returncode, 1, "refused")
    check("0003_row_security.sql was applied but is not in" in r.stderr, r.stderr)


def test_failing_migration_leaves_nothing_behind():
    db = Database("migrate_failing")
    sql = copy_dir(os.path.join(SRC, "sql"))
    eq(db.migrate(sql).returncode, 0, "first run")
    with open(os.path.join(sql, "9001_broken.sql"), "w") as f:
        f.write("CREATE TABLE half_done (x int);\nINSERT INTO half_done VALUES (1);\nSELECT 1/0;\n")
    r = db.migrate(sql)
    eq(r.returncode, 1, "failed")
    check("9001_broken.sql failed, nothing of it was applied" in r.stderr, r.stderr)
    eq(db.sql("SELECT to_regclass('half_done') IS NULL"), "t", "no half-applied table")
    eq(db.count("schema_migration", "version = 9001"), 0, "not recorded")


def test_out_of_order_file_is_refused():
    db = Database("migrate_order")
    sql = copy_dir(os.path.join(SRC, "sql"))
    with open(os.path.join(sql, "9002_later.sql"), "w") as f:
        f.write("SELECT 1;\n")
    eq(db.migrate(sql).returncode, 0, "first run")
    with open(os.path.join(sql, "9000_earlier.sql"), "w") as f:
        f.write("SELECT 1;\n")
    r = db.migrate(sql)
    eq(r.returncode, 1, "refused")
    check("numbered before" in r.stderr, r.stderr)


def test_unreachable_database_is_a_clear_error():
    from harness import sereg
    r = sereg("migrate", env={"DATABASE_URL": "host=/nonexistent port=1 dbname=x connect_timeout=2"})
    eq(r.returncode, 1, "exit status")
    check("cannot connect to PostgreSQL" in r.stderr, r.stderr)


if __name__ == "__main__":
    run(tests_of(globals()))
