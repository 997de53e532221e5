/*
 * session.c -- see session.h. A login reads the account by its key, verifies the password (or,
 * for a name with no account, a dummy hash: password.h), and only then decides what the
 * attempt was, so that every kind of failure costs the same one verification and answers the
 * same problem. Slowing down holds no thread: after the second failure in the window a try that
 * comes before its wait (SEREG_LOGIN_DELAY, doubled each failure) is refused without a look at
 * the password's answer, and the failure that reaches SEREG_LOGIN_MAX_FAILURES locks the
 * account for SEREG_LOGIN_LOCK.
 */
#include "session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "clock.h"
#include "db.h"
#include "duration.h"
#include "log.h"
#include "metrics.h"
#include "password.h"
#include "record.h"
#include "tx.h"

/* The instant of parameter $n: the server's clock (clock.h), in milliseconds. */
#define AT(n) "to_timestamp($" #n "::bigint / 1000.0)"
#define UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static struct sr_session_config config = { SR_SESSION_IDLE_S, SR_SESSION_MAX_S, SR_LOGIN_MAX_FAILURES,
                                           SR_LOGIN_WINDOW_S, SR_LOGIN_LOCK_S, SR_LOGIN_DELAY_S, false };
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static bool set_up;

/* A duration setting <name> in whole seconds of [min_s, max_s] into *out (kept when unset). */
static bool duration_env(const char *name, long min_s, long max_s, long *out, char *err, size_t errsz)
{
  const char *v = getenv(name);
  long long ms;
  if(!v)
    return true;
  if(!sr_duration_parse(v, (long long)min_s * 1000, (long long)max_s * 1000, &ms) || ms % 1000) {
    char lo[16], hi[16];
    sr_duration_format((long long)min_s * 1000, lo, sizeof lo);
    sr_duration_format((long long)max_s * 1000, hi, sizeof hi);
    snprintf(err, errsz, "%s takes whole seconds from %s to %s (e.g. 30m, 12h)", name, lo, hi);
    return false;
  }
  *out = (long)(ms / 1000);
  return true;
}

bool sr_session_setup(char *err, size_t errsz)
{
  pthread_mutex_lock(&setup_lock);
  bool ok = set_up;
  if(!ok) {
    struct sr_session_config c = config;
    const char *n = getenv("SEREG_LOGIN_MAX_FAILURES"), *s = getenv("SEREG_COOKIE_SECURE");
    ok = duration_env("SEREG_SESSION_IDLE", 60, 24 * 3600, &c.idle_s, err, errsz) &&
         duration_env("SEREG_SESSION_MAX", 60, 30 * 86400, &c.max_s, err, errsz) &&
         duration_env("SEREG_LOGIN_WINDOW", 1, 24 * 3600, &c.window_s, err, errsz) &&
         duration_env("SEREG_LOGIN_LOCK", 1, 7 * 86400, &c.lock_s, err, errsz) &&
         duration_env("SEREG_LOGIN_DELAY", 0, SR_LOGIN_DELAY_MAX_S, &c.delay_s, err, errsz);
    if(ok && n && !sr_parse_long(n, 1, 100, &c.max_failures)) {
      snprintf(err, errsz, "SEREG_LOGIN_MAX_FAILURES takes a number of failed logins from 1 to 100");
      ok = false;
    }
    if(ok && s && strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
      snprintf(err, errsz, "SEREG_COOKIE_SECURE takes 1 (always Secure) or 0 (Secure over https only)");
      ok = false;
    }
    c.secure = s && strcmp(s, "1") == 0;
    ok = ok && sr_password_setup(err, errsz);
    if(ok)
      config = c;
    const char *clock = getenv("SEREG_CLOCK_FILE");
    if(ok && clock && *clock) /* a test's: said, so that it is never left on unnoticed */
      sr_warn("SEREG_CLOCK_FILE is set: logins and sessions are timed by the clock %s moves (for tests only)", clock);
    set_up = ok;
  }
  pthread_mutex_unlock(&setup_lock);
  return ok;
}

const struct sr_session_config *sr_session_config(void)
{
  char err[200];
  if(!sr_session_setup(err, sizeof err))
    sr_error("sessions: %s; the defaults are in force", err);
  return &config;
}

/* ==== cookies and CSRF tokens ==== */

static bool random_value(char out[SR_SESSION_VALUE_LEN + 1])
{
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  sodium_bin2base64(out, SR_SESSION_VALUE_LEN + 1, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes, sizeof bytes);
  return strlen(out) == SR_SESSION_VALUE_LEN;
}

static bool value_ok(const char *v, size_t n)
{
  if(n != SR_SESSION_VALUE_LEN)
    return false;
  for(size_t i = 0; i < n; i++)
    if(!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
         v[i] == '-' || v[i] == '_'))
      return false;
  return true;
}

bool sr_session_cookie_value(const char *h, char out[SR_SESSION_VALUE_LEN + 1])
{
  out[0] = '\0';
  size_t name = strlen(SR_SESSION_COOKIE);
  while(h && *h) {
    while(*h == ' ' || *h == ';' || *h == ',')
      h++;
    size_t len = strcspn(h, ";,");
    if(len > name && strncmp(h, SR_SESSION_COOKIE, name) == 0 && h[name] == '=') {
      const char *v = h + name + 1;
      size_t n = len - name - 1;
      while(n > 0 && v[n - 1] == ' ')
        n--;
      if(!value_ok(v, n))
        return false;
      memcpy(out, v, n);
      out[n] = '\0';
      return true;
    }
    h += len;
  }
  return false;
}

/* The CSRF token of a session: derived from its cookie, so that it is stored nowhere and a page
 * that cannot read the cookie (HttpOnly) learns it only from the session's own answers. */
static void csrf_of(const char *value, char out[SR_CSRF_LEN + 1])
{
  char in[SR_SESSION_VALUE_LEN + 16];
  int n = snprintf(in, sizeof in, "sereg-csrf:%s", value);
  sr_sha256_hex(in, (size_t)n, out);
}

bool sr_session_csrf_ok(const char *value, const char *header)
{
  char want[SR_CSRF_LEN + 1];
  csrf_of(value, want);
  return header && strlen(header) == SR_CSRF_LEN && sodium_memcmp(want, header, SR_CSRF_LEN) == 0;
}

/* ==== the answer ==== */

/* {account, csrf_token, expires_at, idle_expires_at} of the session <id> of cookie <value>. */
static cJSON *describe(PGconn *db, const char *id, const char *value)
{
  char idle[24];
  snprintf(idle, sizeof idle, "%ld", config.idle_s);
  const char *p[] = { id, idle };
  PGresult *r = sr_db_exec(db,
                           "SELECT jsonb_build_object('id', a.id, 'name', a.name, 'role', a.role, "
                           "'jurisdiction', a.jurisdiction, 'jurisdiction_name', j.name, "
                           "'org', CASE WHEN o.id IS NULL THEN NULL ELSE jsonb_build_object('id', o.id, "
                           "  'credit_code', o.credit_code, 'name', o.name) END)::text AS account, "
                           UTC("s.expires_at") " AS expires_at, "
                           UTC("least(s.last_seen_at + make_interval(secs => $2::int), s.expires_at)") " AS idle_at "
                           "FROM login_session s JOIN account a ON a.id = s.account_id "
                           "LEFT JOIN jurisdiction j ON j.code = a.jurisdiction "
                           "LEFT JOIN organization o ON o.id = a.org_id WHERE s.id = $1::bigint",
                           2, p);
  cJSON *out = NULL;
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1) {
    cJSON *account = cJSON_Parse(sr_db_get(r, 0, "account"));
    if(account) {
      char csrf[SR_CSRF_LEN + 1];
      csrf_of(value, csrf);
      out = cJSON_CreateObject();
      cJSON_AddItemToObject(out, "account", account);
      cJSON_AddStringToObject(out, "csrf_token", csrf);
      cJSON_AddStringToObject(out, "expires_at", sr_db_get(r, 0, "expires_at"));
      cJSON_AddStringToObject(out, "idle_expires_at", sr_db_get(r, 0, "idle_at"));
    }
  }
  PQclear(r);
  return out;
}

/* ==== logging in ==== */

/* What an attempt was, decided after the verification. */
enum attempt { A_SUCCESS, A_UNKNOWN, A_DISABLED, A_LOCKED, A_THROTTLED, A_WRONG };
static const char *const attempt_names[] = { "success", "unknown_account", "disabled", "locked", "throttled",
                                             "wrong_password" };

struct found {
  bool exists, disabled, locked;
  long failures;       /* within the window */
  long long last_failed; /* epoch milliseconds, 0: none */
  char id[32], role[32], jurisdiction[16], org[32], name[SR_LOGIN_NAME_MAX_BYTES + 1];
  char hash[SR_PASSWORD_HASH_MAX];
};

static bool look_up(PGconn *db, const char *key, const char *now, struct found *f)
{
  memset(f, 0, sizeof *f);
  if(!key[0])
    return true;
  char window[24];
  snprintf(window, sizeof window, "%ld", config.window_s);
  const char *p[] = { key, now, window };
  PGresult *r = sr_db_exec(db,
                           "SELECT id, role, coalesce(jurisdiction, '') AS jurisdiction, coalesce(org_id, 0) AS org, "
                           "name, coalesce(password_hash, '') AS hash, disabled_at IS NOT NULL AS disabled, "
                           "coalesce(locked_until > " AT(2) ", false) AS locked, "
                           "CASE WHEN last_failed_at > " AT(2) " - make_interval(secs => $3::int) "
                           "  THEN failed_logins ELSE 0 END AS failures, "
                           "coalesce((extract(epoch FROM last_failed_at) * 1000)::bigint, 0) AS last_failed "
                           "FROM account WHERE login_key = $1",
                           3, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK);
  if(ok && PQntuples(r) == 1 && sr_db_get(r, 0, "hash")[0]) {
    f->exists = true;
    snprintf(f->id, sizeof f->id, "%s", sr_db_get(r, 0, "id"));
    snprintf(f->role, sizeof f->role, "%s", sr_db_get(r, 0, "role"));
    snprintf(f->jurisdiction, sizeof f->jurisdiction, "%s", sr_db_get(r, 0, "jurisdiction"));
    snprintf(f->org, sizeof f->org, "%s", sr_db_get(r, 0, "org"));
    snprintf(f->name, sizeof f->name, "%s", sr_db_get(r, 0, "name"));
    snprintf(f->hash, sizeof f->hash, "%s", sr_db_get(r, 0, "hash"));
    f->disabled = sr_db_get(r, 0, "disabled")[0] == 't';
    f->locked = sr_db_get(r, 0, "locked")[0] == 't';
    f->failures = atol(sr_db_get(r, 0, "failures"));
    f->last_failed = atoll(sr_db_get(r, 0, "last_failed"));
  }
  PQclear(r);
  return ok;
}

/* The wait after <failures> failures before the next try is looked at. */
static long wait_after(long failures)
{
  if(config.delay_s == 0 || failures < 2)
    return 0;
  long w = config.delay_s;
  for(long i = 2; i < failures && w < SR_LOGIN_DELAY_MAX_S; i++)
    w *= 2;
  return w < SR_LOGIN_DELAY_MAX_S ? w : SR_LOGIN_DELAY_MAX_S;
}

static enum sr_err fail(struct sr_problem *pb)
{
  return sr_problem_set(pb, SR_UNAUTHORIZED, "The account name or the password is wrong, or the account may not "
                                             "log in now.");
}

/* Records a failed attempt <a> (and, for a wrong password, counts it and perhaps locks), as
 * nobody: the one who tried is not known to be the account's owner. */
static enum sr_err record_failure(struct sr_ctx *c, const char *given, const struct found *f, enum attempt a,
                                  const char *now, struct sr_login *out, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return SR_INTERNAL;
  PGresult *r = sr_db_exec(c->db, "SELECT set_config('sereg.actor_role', 'anonymous', true), "
                                  "set_config('sereg.actor_account', '', true)", 0, NULL);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK);
  PQclear(r);
  long failures = f->failures;
  bool locks = false;
  char until[32] = "";
  if(ok && a == A_WRONG) {
    char window[24], max[24], lock[24];
    snprintf(window, sizeof window, "%ld", config.window_s);
    snprintf(max, sizeof max, "%ld", config.max_failures);
    snprintf(lock, sizeof lock, "%ld", config.lock_s);
    const char *p[] = { f->id, now, window, max, lock };
    r = sr_db_exec(c->db,
                   "WITH n AS (SELECT id, CASE WHEN last_failed_at > " AT(2) " - make_interval(secs => "
                   "  $3::int) THEN failed_logins + 1 ELSE 1 END AS failures FROM account WHERE id = $1::bigint "
                   "  FOR UPDATE) "
                   "UPDATE account a SET failed_logins = n.failures, last_failed_at = " AT(2) ", "
                   "  locked_until = CASE WHEN n.failures >= $4::int THEN " AT(2) " + "
                   "    make_interval(secs => $5::int) ELSE a.locked_until END "
                   "FROM n WHERE a.id = n.id RETURNING n.failures, n.failures >= $4::int AS locks, "
                   UTC("a.locked_until") " AS until",
                   5, p);
    ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
    if(ok) {
      failures = atol(sr_db_get(r, 0, "failures"));
      locks = sr_db_get(r, 0, "locks")[0] == 't';
      snprintf(until, sizeof until, "%s", sr_db_get(r, 0, "until"));
    }
    PQclear(r);
  }
  if(!ok) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  cJSON *changes = cJSON_CreateArray(), *change = sr_change_new(), *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", f->exists ? f->name : given);
  cJSON_AddStringToObject(d, "reason", attempt_names[a]);
  if(f->exists)
    cJSON_AddNumberToObject(d, "failures", (double)failures);
  sr_change_audit(change, "session.login_failed", "account", f->exists ? f->id : "", d);
  cJSON_AddItemToArray(changes, change);
  if(locks) {
    cJSON *lock = sr_change_new(), *ld = cJSON_CreateObject();
    cJSON_AddStringToObject(ld, "name", f->name);
    cJSON_AddNumberToObject(ld, "failures", (double)failures);
    cJSON_AddStringToObject(ld, "until", until);
    sr_change_audit(lock, "account.lock", "account", f->id, ld);
    cJSON_AddItemToArray(changes, lock);
  }
  if(!sr_record_commit(c, changes, pb))
    return SR_INTERNAL;
  out->result = a == A_LOCKED || locks ? SR_LOGIN_LOCKED : SR_LOGIN_FAILURE;
  sr_metrics_login((int)out->result);
  return fail(pb);
}

/* Opens the session of <f>, the account that logged in, as that account: the counts of its
 * failures cleared, its hash made again when the parameters in force changed. */
static enum sr_err open_session(struct sr_ctx *c, const struct found *f, const char *password, bool rehash,
                                const char *now, struct sr_login *out, struct sr_problem *pb)
{
  char fresh[SR_PASSWORD_HASH_MAX] = "", hash[65], max[24];
  if(rehash && !sr_password_hash(password, fresh))
    fresh[0] = '\0'; /* the old hash still verifies; the next login tries again */
  if(!random_value(out->cookie))
    return sr_problem_set(pb, SR_INTERNAL, "the system random source failed");
  sr_sha256_hex(out->cookie, strlen(out->cookie), hash);
  snprintf(max, sizeof max, "%ld", config.max_s);
  c->who.account_id = atol(f->id);
  c->who.role = sr_role_parse(f->role);
  snprintf(c->who.jurisdiction, sizeof c->who.jurisdiction, "%s", f->jurisdiction);
  c->who.org_id = atol(f->org);
  if(!sr_tx_begin(c, pb))
    return SR_INTERNAL;
  const char *p[] = { f->id, now, hash, max, fresh[0] ? fresh : NULL };
  PGresult *r = sr_db_exec(c->db,
                           "WITH a AS (UPDATE account SET failed_logins = 0, last_failed_at = NULL, locked_until = NULL, "
                           "  password_hash = coalesce($5, password_hash) WHERE id = $1::bigint RETURNING id) "
                           "INSERT INTO login_session (account_id, token_hash, created_at, last_seen_at, expires_at) "
                           "SELECT a.id, $3, " AT(2) ", " AT(2) ", "
                           "  " AT(2) " + make_interval(secs => $4::int) FROM a RETURNING id",
                           5, p);
  char id[32] = "";
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1)
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  out->answer = id[0] ? describe(c->db, id, out->cookie) : NULL;
  if(!out->answer) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", f->name);
  cJSON_AddStringToObject(d, "account_id", f->id);
  if(fresh[0])
    cJSON_AddStringToObject(d, "rehashed", sr_password_params());
  cJSON *change = sr_change_new();
  sr_change_audit(change, "session.login", "login_session", id, d);
  if(!sr_record_commit(c, change, pb)) {
    cJSON_Delete(out->answer);
    out->answer = NULL;
    return SR_INTERNAL;
  }
  out->result = SR_LOGIN_SUCCESS;
  sr_metrics_login(SR_LOGIN_SUCCESS);
  return SR_OK;
}

enum sr_err sr_session_login(PGconn *db, const char *request_id, const char *name, const char *password,
                             struct sr_login *out, struct sr_problem *pb)
{
  memset(out, 0, sizeof *out);
  sr_session_config();
  int64_t t = sr_clock_now_ms();
  char now[24], given[SR_LOGIN_NAME_MAX_BYTES + 1], key[SR_LOGIN_NAME_MAX_BYTES + 1];
  snprintf(now, sizeof now, "%lld", (long long)t);
  struct sr_problem quiet; /* a name that cannot be an account's is no account's */
  sr_problem_init(&quiet);
  if(!sr_account_name(name, given, key, "account", &quiet)) {
    given[0] = key[0] = '\0';
    if(name)
      snprintf(given, sizeof given, "%.64s", name), sr_utf8_trim(given);
  }
  sr_problem_free(&quiet);
  struct found f;
  if(!look_up(db, key, now, &f))
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  bool rehash = false;
  /* The one verification every attempt costs, whatever it turns out to be. */
  bool right = sr_password_verify(f.exists ? f.hash : NULL, password, &rehash);
  enum attempt a = !f.exists ? A_UNKNOWN
                   : f.disabled ? A_DISABLED
                   : f.locked ? A_LOCKED
                   : f.failures >= 2 && t < f.last_failed + 1000LL * wait_after(f.failures) ? A_THROTTLED
                   : !right ? A_WRONG : A_SUCCESS;
  struct sr_ctx c = { .db = db, .today = sr_today(), .request_id = request_id };
  c.who.role = SR_ROLE_SYSTEM;
  if(a != A_SUCCESS)
    return record_failure(&c, given, &f, a, now, out, pb);
  return open_session(&c, &f, password, rehash, now, out, pb);
}

/* ==== sessions in use ==== */

enum sr_err sr_session_authenticate(PGconn *db, const char *value, struct sr_principal *who)
{
  char hash[65], now[24], idle[24], touch[24];
  sr_session_config();
  sr_sha256_hex(value, strlen(value), hash);
  snprintf(now, sizeof now, "%lld", (long long)sr_clock_now_ms());
  snprintf(idle, sizeof idle, "%ld", config.idle_s);
  snprintf(touch, sizeof touch, "%ld", config.idle_s / 10 < SR_SESSION_TOUCH_S ? config.idle_s / 10 : SR_SESSION_TOUCH_S);
  const char *p[] = { hash, now, idle, touch };
  PGresult *r = sr_db_exec(db,
                           "WITH s AS (SELECT s.id, s.last_seen_at, a.id AS account, a.role, "
                           "  coalesce(a.jurisdiction, '') AS jurisdiction, coalesce(a.org_id, 0) AS org "
                           "  FROM login_session s JOIN account a ON a.id = s.account_id "
                           "  WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > " AT(2) " "
                           "  AND s.last_seen_at > " AT(2) " - make_interval(secs => $3::int) "
                           "  AND a.disabled_at IS NULL), "
                           "t AS (UPDATE login_session x SET last_seen_at = " AT(2) " FROM s "
                           "  WHERE x.id = s.id AND s.last_seen_at <= " AT(2) " - make_interval(secs => $4::int) "
                           "  RETURNING 1) "
                           "SELECT account, role, jurisdiction, org, (SELECT count(*) FROM t) AS touched FROM s",
                           4, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return SR_UNAVAILABLE;
  }
  enum sr_err rc = SR_UNAUTHORIZED;
  if(PQntuples(r) == 1) {
    memset(who, 0, sizeof *who);
    who->account_id = atol(sr_db_get(r, 0, "account"));
    who->role = sr_role_parse(sr_db_get(r, 0, "role"));
    snprintf(who->jurisdiction, sizeof who->jurisdiction, "%s", sr_db_get(r, 0, "jurisdiction"));
    who->org_id = atol(sr_db_get(r, 0, "org"));
    rc = who->role == SR_ROLE_NONE ? SR_UNAUTHORIZED : SR_OK;
  }
  PQclear(r);
  return rc;
}

/* The id of the live session <value> of the caller of <c>, into <id>; false when there is none. */
static bool own_session(struct sr_ctx *c, const char *value, char id[32], struct sr_problem *pb)
{
  struct sr_principal who;
  char hash[65], account[32];
  id[0] = '\0';
  if(!value || sr_session_authenticate(c->db, value, &who) != SR_OK || who.account_id != c->who.account_id) {
    sr_problem_set(pb, SR_UNAUTHORIZED, "This request carries no live session of its caller.");
    return false;
  }
  sr_sha256_hex(value, strlen(value), hash);
  snprintf(account, sizeof account, "%ld", c->who.account_id);
  const char *p[] = { hash, account };
  PGresult *r = sr_db_exec(c->db, "SELECT id FROM login_session WHERE token_hash = $1 AND account_id = $2::bigint", 2, p);
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1)
    snprintf(id, 32, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  if(!id[0])
    sr_problem_set(pb, SR_INTERNAL, "database error");
  return id[0] != '\0';
}

enum sr_err sr_session_describe(struct sr_ctx *c, const char *value, cJSON **out, struct sr_problem *pb)
{
  *out = NULL;
  char id[32];
  if(!own_session(c, value, id, pb))
    return pb->err;
  if(!sr_tx_begin(c, pb)) /* organizations are read under their row policies */
    return pb->err;
  *out = describe(c->db, id, value);
  sr_tx_rollback(c);
  return *out ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "database error");
}

enum sr_err sr_session_logout(struct sr_ctx *c, const char *value, struct sr_problem *pb)
{
  char id[32], now[24];
  if(!own_session(c, value, id, pb))
    return pb->err;
  snprintf(now, sizeof now, "%lld", (long long)sr_clock_now_ms());
  if(!sr_tx_begin(c, pb))
    return pb->err;
  const char *p[] = { id, now };
  PGresult *r = sr_db_exec(c->db,
                           "UPDATE login_session SET revoked_at = " AT(2) ", revoked_reason = 'logout' "
                           "WHERE id = $1::bigint AND revoked_at IS NULL RETURNING id",
                           2, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  PQclear(r);
  if(!ok) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  cJSON *change = sr_change_new();
  sr_change_audit(change, "session.logout", "login_session", id, NULL);
  if(!sr_record_commit(c, change, pb))
    return pb->err;
  sr_metrics_logout();
  return SR_OK;
}

void sr_session_gauge(PGconn *db)
{
  static atomic_llong read_at;
  int64_t t = sr_clock_now_ms();
  long long last = atomic_load(&read_at);
  if(last && t - last < SR_SESSIONS_GAUGE_S * 1000LL && t >= last)
    return;
  if(!atomic_compare_exchange_strong(&read_at, &last, (long long)t))
    return; /* another thread reads it now */
  char now[24], idle[24];
  snprintf(now, sizeof now, "%lld", (long long)t);
  snprintf(idle, sizeof idle, "%ld", sr_session_config()->idle_s);
  const char *p[] = { now, idle };
  PGresult *r = sr_db_exec(db,
                           "SELECT count(*) FROM login_session s JOIN account a ON a.id = s.account_id "
                           "WHERE s.revoked_at IS NULL AND s.expires_at > " AT(1) " "
                           "AND s.last_seen_at > " AT(1) " - make_interval(secs => $2::int) "
                           "AND a.disabled_at IS NULL",
                           2, p);
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1)
    sr_metrics_sessions_active(atol(PQgetvalue(r, 0, 0)));
  PQclear(r);
}
