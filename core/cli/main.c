/* main.c -- the sereg command line: serve, deliver, notices, migrate, demo, token, plugins, routes. */
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "deliver.h"
#include "delivery.h"
#include "demo.h"
#include "evidence.h"
#include "export.h"
#include "sweep.h"
#include "http.h"
#include "i18n.h"
#include "serve.h"
#include "import.h"
#include "import_insp.h"
#include "json.h"
#include "account_cmd.h"
#include "args.h"
#include "log.h"
#include "migrate.h"
#include "notice.h"
#include "plugin.h"
#include "plugin_activation.h"
#include "plugins_cmd.h"
#include "script_cmd.h"
#include "subscription.h"
#include "sr_limits.h"
#include "util.h"

#ifndef SR_LOCALEDIR
#define SR_LOCALEDIR "/usr/local/share/locale"
#endif
#ifndef SR_SOURCE_DIR
#define SR_SOURCE_DIR "."
#endif

static const char usage[] =
    "usage: sereg <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--listen HOST:PORT] [--plugins DIR] [--threads N] [--sweep-every SECONDS]\n"
    "        [--deliver on|off]\n"
    "                      serve the HTTP API (default 127.0.0.1:8080); SIGHUP reloads plugins;\n"
    "                      sweeps for hazards at start and every hour (0: never); delivers notices\n"
    "                      unless --deliver off\n"
    "  deliver [--plugins DIR]\n"
    "                      deliver notices only, until SIGTERM (any number may run)\n"
    "  notices list [--subscription ID [--status pending|delivered|failed]] [--limit N]\n"
    "                      subscriptions, or one subscription's deliveries with their attempts\n"
    "  notices replay DELIVERY_ID | --subscription ID --since INSTANT [--until INSTANT]\n"
    "                 [--status failed|delivered|all]\n"
    "                      send a delivery, or a window of a subscription's, again\n"
    "  migrate [--sql DIR] apply new SQL migrations\n"
    "  demo [--plugins DIR]\n"
    "                      load the demo city (idempotent)\n"
    "  import equipment|organizations FILE.csv [--skip-invalid] [--plugins DIR]\n"
    "                      load a register from CSV (UTF-8 or GB18030; see docs/import.md)\n"
    "  import inspections FILE.csv [--skip-invalid] [--as TOKEN] [--plugins DIR]\n"
    "                      record an agency's results from CSV as the agency of TOKEN (or SEREG_TOKEN)\n"
    "  sweep [--plugins DIR] [--now YYYY-MM-DD]\n"
    "                      open hazards for overdue inspections, close those since inspected\n"
    "  token create --role ROLE [--jurisdiction CODE] [--org CREDIT_CODE] [--name NAME]\n"
    "               [--expires Nd|YYYY-MM-DD|never]\n"
    "                      create an account and its API token (90 days unless --expires says\n"
    "                      otherwise); the token is the last line printed\n"
    "  account create --role ROLE [--jurisdiction CODE] [--org CREDIT_CODE] --name NAME\n"
    "                 --password-stdin\n"
    "                      create an account people log in with (POST /api/v1/session); the\n"
    "                      password is read from standard input, never the command line\n"
    "  account password|reset NAME --password-stdin\n"
    "                      a new password, which ends its sessions (reset also unlocks it)\n"
    "  account disable|enable NAME, account list\n"
    "  token revoke ID | --token TOKEN | --account ACCOUNT_ID [--reason TEXT]\n"
    "                      revoke a token, or every token of an account, at once\n"
    "  token list [--account ACCOUNT_ID]\n"
    "                      tokens with their state (live, expired, revoked); never their values\n"
    "  plugins check [DIR] load and validate a plugin folder; non-zero exit on a bad plugin\n"
    "  plugins diff NEWDIR [--now DATE] [--jurisdiction CODE] [--format table|csv|json]\n"
    "                      replay the register through NEWDIR beside the active plugins; writes nothing\n"
    "  plugins apply-due [--apply] [--now DATE] [--jurisdiction CODE] [--format table|csv|json]\n"
    "                      store the due dates the rules in force now decide differently\n"
    "  script FILE.lua [--as TOKEN] [--apply] [--format table|csv|json] [--now DATE] [-- ARGS]\n"
    "                      run an administrator's script as the token's account; a dry run\n"
    "                      unless --apply (sereg script --help)\n"
    "  routes              print the HTTP route table\n"
    "  version             print the version\n";
/* Apart from the commands: ISO C's ceiling on one string literal is 4095 bytes. */
static const char usage_env[] =
    "\n"
    "environment:\n"
    "  DATABASE_URL        libpq connection string or URI\n"
    "  SEREG_NOW           YYYY-MM-DD to use as today (tests, replays)\n"
    "  SEREG_PLUGIN_DIR, SEREG_SQL_DIR  default folders\n"
    "  SEREG_EVIDENCE_MAX, SEREG_EVIDENCE_QUOTA  bytes of one evidence file (8 MiB), and that one\n"
    "                      account may upload in 24 hours (256 MiB)\n"
    "  SEREG_EXPORT_MAX_ROWS  rows one CSV or xlsx export of a list may hold (100000, at most)\n"
    "  SEREG_SECRET_KEY_FILE  the key that keeps subscriptions' secrets (or SEREG_SECRET_KEY)\n"
    "  SEREG_WEBHOOK_*, SEREG_NOTICE_RETENTION  how notices are sent (README, Notices)\n"
    "  SEREG_SESSION_IDLE, SEREG_SESSION_MAX, SEREG_LOGIN_*, SEREG_COOKIE_SECURE, SEREG_PASSWORD_*\n"
    "                      how people's logins and sessions end (README, Logging in)\n"
    "\n"
    "roles: city_supervisor, district_supervisor, agency, user_unit, coordinator, admin\n";

static const char *opt_value(int argc, char **argv, const char *name) { return sr_args_value(argc, argv, 0, name); }

/* Every argument must be a known option followed by its value. */
static bool opts_known(int argc, char **argv, int first, const char *const *names, int positional)
{
  const char *bad = sr_args_unknown(argc, argv, first, names, NULL, positional);
  if(bad)
    fprintf(stderr, "sereg: unexpected argument '%s'\n\n%s%s", bad, usage, usage_env);
  return !bad;
}

static const char *plugin_dir(int argc, char **argv)
{
  const char *d = opt_value(argc, argv, "--plugins");
  if(!d)
    d = getenv("SEREG_PLUGIN_DIR");
  return d ? d : SR_SOURCE_DIR "/plugins";
}

static const char *sql_dir(int argc, char **argv)
{
  const char *d = opt_value(argc, argv, "--sql");
  if(!d)
    d = getenv("SEREG_SQL_DIR");
  return d ? d : SR_SOURCE_DIR "/sql";
}

static PGconn *connect_or_say(void)
{
  char err[1024];
  PGconn *c = sr_db_connect(err, sizeof err);
  if(!c)
    fprintf(stderr, "sereg: %s\n", err);
  return c;
}

static void print_problem(const struct sr_problem *pb)
{
  fprintf(stderr, "sereg: %s\n", pb->detail[0] ? pb->detail : _(sr_err_title(pb->err)));
  for(const cJSON *e = pb->errors ? pb->errors->child : NULL; e; e = e->next)
    fprintf(stderr, "  %s: %s\n", cJSON_GetObjectItem(e, "field")->valuestring,
            cJSON_GetObjectItem(e, "message")->valuestring);
}

static int cmd_serve(int argc, char **argv)
{
  static const char *const names[] = { "--listen", "--plugins", "--threads", "--sweep-every", "--deliver", NULL };
  if(!opts_known(argc, argv, 2, names, 0))
    return 2;
  struct sr_server_options o = { "127.0.0.1", 8080, 8, plugin_dir(argc, argv), 3600, true };
  if(!sr_i18n_available())
    sr_warn("no zh_CN.UTF-8 locale or no message catalogue (%s): every answer is in English",
            sr_i18n_dir()[0] ? sr_i18n_dir() : "none found");
  const char *deliver = opt_value(argc, argv, "--deliver");
  if(deliver && strcmp(deliver, "on") != 0 && strcmp(deliver, "off") != 0) {
    fprintf(stderr, "sereg: --deliver takes on or off\n");
    return 2;
  }
  o.deliver = !deliver || strcmp(deliver, "on") == 0;
  const char *listen = opt_value(argc, argv, "--listen");
  static char host[64];
  if(listen) {
    const char *colon = strrchr(listen, ':');
    long port;
    if(!colon || colon == listen || (size_t)(colon - listen) >= sizeof host ||
       !sr_parse_long(colon + 1, 1, 65535, &port)) {
      fprintf(stderr, "sereg: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n");
      return 2;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    o.host = host;
    o.port = (int)port;
  }
  size_t evidence_max;
  if(!sr_evidence_max_parse(getenv("SEREG_EVIDENCE_MAX"), &evidence_max)) {
    fprintf(stderr, "sereg: SEREG_EVIDENCE_MAX takes a size in bytes from 1024 to 67108864\n");
    return 2;
  }
  long evidence_quota;
  if(!sr_evidence_quota_parse(getenv("SEREG_EVIDENCE_QUOTA"), evidence_max, &evidence_quota)) {
    fprintf(stderr, "sereg: SEREG_EVIDENCE_QUOTA takes the bytes one account may upload in 24 hours, "
                    "from the size of one file (%zu) to 1099511627776\n", evidence_max);
    return 2;
  }
  long export_max;
  if(!sr_export_max_rows_parse(getenv("SEREG_EXPORT_MAX_ROWS"), &export_max)) {
    fprintf(stderr, "sereg: SEREG_EXPORT_MAX_ROWS takes the rows one export may hold, from 1 to %d\n",
            SR_EXPORT_MAX_ROWS);
    return 2;
  }
  char why[256];
  if(!sr_serve_check_env(why, sizeof why)) {
    fprintf(stderr, "sereg: %s\n", why);
    return 2;
  }
  const char *threads = opt_value(argc, argv, "--threads");
  long t;
  if(threads && !sr_parse_long(threads, 1, 256, &t)) {
    fprintf(stderr, "sereg: --threads takes 1..256\n");
    return 2;
  }
  if(threads)
    o.threads = (int)t;
  const char *every = opt_value(argc, argv, "--sweep-every");
  if(every && !sr_parse_long(every, 0, 7 * 86400, &o.sweep_every)) {
    fprintf(stderr, "sereg: --sweep-every takes 0 (no sweeps) to 604800 seconds\n");
    return 2;
  }
  PGconn *c = connect_or_say(); /* fail fast with a clear message rather than 503s */
  if(!c)
    return 1;
  PQfinish(c);
  return sr_serve(&o);
}

static int cmd_migrate(int argc, char **argv)
{
  static const char *const names[] = { "--sql", NULL };
  if(!opts_known(argc, argv, 2, names, 0))
    return 2;
  PGconn *c = connect_or_say();
  if(!c)
    return 1;
  char err[2048];
  bool ok = sr_migrate(c, sql_dir(argc, argv), true, err, sizeof err);
  if(!ok)
    fprintf(stderr, "sereg migrate: %s\n", err);
  PQfinish(c);
  return ok ? 0 : 1;
}

/* The system acting on its own from the command line: the plugin folder published and loaded,
 * a connection, today (SEREG_NOW or the calendar). False after saying why. */
static bool system_ctx_open(int argc, char **argv, const char *cmd, struct sr_ctx *ctx)
{
  char err[1024];
  if(!sr_plugins_publish_dir(plugin_dir(argc, argv), err, sizeof err)) {
    fprintf(stderr, "sereg %s: %s\n", cmd, err);
    return false;
  }
  ctx->who.role = SR_ROLE_SYSTEM;
  ctx->request_id = cmd;
  ctx->plugins = sr_plugins_thread(err, sizeof err);
  ctx->db = connect_or_say();
  char event[64];
  snprintf(event, sizeof event, "cli.%s", cmd);
  struct sr_problem pb;
  sr_problem_init(&pb);
  long id;
  if(ctx->db && ctx->plugins && sr_plugin_activation_note(ctx, event, &id, &pb) != SR_OK)
    fprintf(stderr, "sereg %s: the plugin set is not on the record: %s\n", cmd, pb.detail);
  sr_problem_free(&pb);
  return ctx->db && ctx->plugins;
}

static void system_ctx_close(struct sr_ctx *ctx)
{
  PQfinish(ctx->db);
  sr_plugins_thread_release();
  sr_plugins_unpublish();
}

static int cmd_demo(int argc, char **argv)
{
  static const char *const names[] = { "--plugins", NULL };
  if(!opts_known(argc, argv, 2, names, 0))
    return 2;
  struct sr_ctx ctx = { 0 };
  ctx.today = sr_today();
  if(!system_ctx_open(argc, argv, "demo", &ctx)) {
    system_ctx_close(&ctx);
    return 1;
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  bool ok = sr_demo_load(&ctx, &pb);
  if(!ok)
    print_problem(&pb);
  sr_problem_free(&pb);
  system_ctx_close(&ctx);
  return ok ? 0 : 1;
}

static int cmd_sweep(int argc, char **argv)
{
  static const char *const names[] = { "--now", "--plugins", NULL };
  if(!opts_known(argc, argv, 2, names, 0))
    return 2;
  struct sr_ctx ctx = { 0 };
  ctx.today = sr_today();
  const char *now = opt_value(argc, argv, "--now");
  if(now && !sr_date_parse(now, &ctx.today)) {
    fprintf(stderr, "sereg sweep: --now wants a date YYYY-MM-DD, not '%s'\n", now);
    return 2;
  }
  char err[512];
  if(!sr_notice_setup(err, sizeof err)) { /* the retention of notices, which the sweep prunes */
    fprintf(stderr, "sereg sweep: %s\n", err);
    return 2;
  }
  if(!system_ctx_open(argc, argv, "sweep", &ctx)) {
    system_ctx_close(&ctx);
    return 1;
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  struct sr_sweep_result res;
  bool ok = sr_sweep(&ctx, &res, &pb) == SR_OK;
  char day[11];
  sr_date_format(ctx.today, day);
  if(ok)
    printf("sweep %s: %ld hazard%s opened, %ld closed, %ld rung%s fired (%ld held, %ld left by a failing plugin), "
           "%ld rectification%s overdue\n", day, res.opened, res.opened == 1 ? "" : "s", res.closed, res.escalated,
           res.escalated == 1 ? "" : "s", res.held, res.failed, res.overdue, res.overdue == 1 ? "" : "s");
  if(ok && (res.pruned_deliveries || res.pruned_events))
    printf("pruned %ld deliveries and %ld events past their retention\n", res.pruned_deliveries, res.pruned_events);
  else
    print_problem(&pb);
  sr_problem_free(&pb);
  system_ctx_close(&ctx);
  return ok ? 0 : 1;
}

static int token_create(int argc, char **argv, struct sr_ctx *ctx, struct sr_problem *pb)
{
  static const char *const names[] = { "--role", "--jurisdiction", "--org", "--name", "--expires", NULL };
  if(!opts_known(argc, argv, 3, names, 0))
    return 2;
  struct sr_token_spec spec = { opt_value(argc, argv, "--role"), opt_value(argc, argv, "--jurisdiction"),
                                opt_value(argc, argv, "--org"), opt_value(argc, argv, "--name"),
                                opt_value(argc, argv, "--expires") };
  char token[48];
  struct sr_token_info info;
  if(!sr_token_create(ctx, &spec, token, &info, pb))
    return 1;
  printf("role: %s\naccount: %ld\ntoken id: %ld\nexpires: %s\n%s\n", spec.role, info.account_id, info.id,
         info.expires[0] ? info.expires : "never", token);
  return 0;
}

static int token_revoke(int argc, char **argv, struct sr_ctx *ctx, struct sr_problem *pb)
{
  static const char *const names[] = { "--token", "--account", "--reason", NULL };
  if(!opts_known(argc, argv, 3, names, 1))
    return 2;
  const char *tok = opt_value(argc, argv, "--token"), *acc = opt_value(argc, argv, "--account");
  const char *id = argc > 3 && argv[3][0] != '-' ? argv[3] : NULL;
  long n = 0;
  if((id != NULL) + (tok != NULL) + (acc != NULL) != 1 || ((id || acc) && !sr_parse_long(id ? id : acc, 1, 1L << 53, &n))) {
    fprintf(stderr, "sereg: usage: sereg token revoke ID | --token TOKEN | --account ACCOUNT_ID [--reason TEXT]\n");
    return 2;
  }
  int count = 0;
  if(!sr_token_revoke(ctx, id ? n : 0, tok, acc ? n : 0, opt_value(argc, argv, "--reason"), &count, pb))
    return 1;
  printf("revoked %d token%s\n", count, count == 1 ? "" : "s");
  return 0;
}

static int token_list(int argc, char **argv, struct sr_ctx *ctx, struct sr_problem *pb)
{
  static const char *const names[] = { "--account", NULL };
  if(!opts_known(argc, argv, 3, names, 0))
    return 2;
  const char *acc = opt_value(argc, argv, "--account");
  long n = 0;
  if(acc && !sr_parse_long(acc, 1, 1L << 53, &n)) {
    fprintf(stderr, "sereg: --account takes an account id\n");
    return 2;
  }
  cJSON *list = NULL;
  if(!sr_token_list(ctx, n, &list, pb))
    return 1;
  printf("%-6s %-8s %-20s %-8s %-20s %-20s %s\n", "id", "account", "role", "state", "created", "expires", "name");
  for(const cJSON *t = list->child; t; t = t->next) {
    const cJSON *exp = cJSON_GetObjectItem(t, "expires_at");
    printf("%-6.0f %-8.0f %-20s %-8s %-20s %-20s %s\n", cJSON_GetObjectItem(t, "id")->valuedouble,
           cJSON_GetObjectItem(t, "account_id")->valuedouble, cJSON_GetObjectItem(t, "role")->valuestring,
           cJSON_GetObjectItem(t, "state")->valuestring, cJSON_GetObjectItem(t, "created_at")->valuestring,
           cJSON_IsString(exp) ? exp->valuestring : "never", cJSON_GetObjectItem(t, "name")->valuestring);
  }
  cJSON_Delete(list);
  return 0;
}

static int cmd_token(int argc, char **argv)
{
  const char *sub = argc >= 3 ? argv[2] : "";
  int (*fn)(int, char **, struct sr_ctx *, struct sr_problem *) = strcmp(sub, "create") == 0   ? token_create
                                                                  : strcmp(sub, "revoke") == 0 ? token_revoke
                                                                  : strcmp(sub, "list") == 0   ? token_list
                                                                                               : NULL;
  if(!fn) {
    fprintf(stderr, "sereg: usage: sereg token create|revoke|list ...\n\n%s", usage);
    return 2;
  }
  struct sr_ctx ctx = { 0 };
  ctx.who.role = SR_ROLE_SYSTEM;
  ctx.today = sr_today();
  ctx.request_id = "cli";
  ctx.db = connect_or_say();
  if(!ctx.db)
    return 1;
  struct sr_problem pb;
  sr_problem_init(&pb);
  int rc = fn(argc, argv, &ctx, &pb);
  if(rc == 1)
    print_problem(&pb);
  sr_problem_free(&pb);
  PQfinish(ctx.db);
  return rc;
}

static int cmd_import(int argc, char **argv)
{
  static const char *const names[] = { "--plugins", NULL };
  bool skip = false;
  int kept = 0;
  for(int i = 0; i < argc; i++) /* --skip-invalid is a flag; take it out before the options check */
    if(strcmp(argv[i], "--skip-invalid") == 0)
      skip = true;
    else
      argv[kept++] = argv[i];
  argc = kept;
  if(argc >= 4 && strcmp(argv[2], "inspections") == 0) {
    static const char *const insp[] = { "--plugins", "--as", NULL };
    if(!opts_known(argc, argv, 4, insp, 0))
      return 2;
    const char *tok = opt_value(argc, argv, "--as");
    return sr_cli_import_inspections(argv[3], skip, tok ? tok : getenv("SEREG_TOKEN"), plugin_dir(argc, argv));
  }
  if(argc < 4 || (strcmp(argv[2], "equipment") != 0 && strcmp(argv[2], "organizations") != 0)) {
    fprintf(stderr, "sereg: usage: sereg import equipment|organizations|inspections FILE.csv [--skip-invalid]\n");
    return 2;
  }
  if(!opts_known(argc, argv, 4, names, 0))
    return 2;
  struct sr_ctx ctx = { 0 };
  ctx.today = sr_today();
  if(!system_ctx_open(argc, argv, "import", &ctx)) {
    system_ctx_close(&ctx);
    return 1;
  }
  struct sr_import_options o = { argv[3], skip, isatty(STDERR_FILENO) == 1 };
  struct sr_import_result res;
  struct sr_problem pb;
  sr_problem_init(&pb);
  enum sr_err e = strcmp(argv[2], "equipment") == 0 ? sr_import_equipment(&ctx, &o, &res, &pb)
                                                   : sr_import_organizations(&ctx, &o, &res, &pb);
  /* The summary an office reads, whatever the outcome of a run that read its file. */
  if(e == SR_OK || res.rows > 0 || res.blank > 0) {
    FILE *out = e == SR_OK ? stdout : stderr;
    fprintf(out, "读取 %ld 行（%s），导入 %ld 行，空行 %ld 行，被拒 %ld 行\n", res.rows, res.encoding,
            res.imported, res.blank, res.rejected);
    for(int i = 0; i < res.ntop; i++)
      fprintf(out, "  被拒原因：%s %ld 行\n", res.top[i].reason, res.top[i].rows);
    if(res.rejected && res.rejects_path[0])
      fprintf(out, "被拒各行及原因见 %s\n", res.rejects_path);
    if(res.nignored)
      fprintf(out, "忽略了 %d 列：%s\n", res.nignored, res.ignored);
    if(res.unknown)
      fprintf(out, "检验状态未知 %ld 台（台账未记录检验日期，不计逾期）：GET /api/v1/equipment?inspection_state=unknown 列出，待区县核实\n",
              res.unknown);
  }
  if(e != SR_OK)
    print_problem(&pb);
  sr_problem_free(&pb);
  system_ctx_close(&ctx);
  return e == SR_OK ? 0 : 1;
}

/* `sereg deliver`: the notice worker alone, until SIGINT or SIGTERM; SIGHUP reloads formats. */
static int cmd_deliver(int argc, char **argv)
{
  static const char *const names[] = { "--plugins", NULL };
  if(!opts_known(argc, argv, 2, names, 0))
    return 2;
  char err[1024];
  if(!sr_deliver_setup(err, sizeof err)) {
    fprintf(stderr, "sereg deliver: %s\n", err);
    return 2;
  }
  PGconn *c = connect_or_say();
  if(!c)
    return 1;
  PQfinish(c);
  const char *dir = plugin_dir(argc, argv);
  if(!sr_plugins_publish_dir(dir, err, sizeof err)) {
    fprintf(stderr, "sereg deliver: %s\n", err);
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if(!sr_deliver_start()) {
    sr_plugins_unpublish();
    return 1;
  }
  sr_info("delivering notices, up to %d at once", SR_WEBHOOK_TRANSFERS);
  sr_serve_note_activation("deliver.start"); /* its formats render what receivers read */
  for(;;) {
    int sig = 0;
    if(sigwait(&set, &sig) != 0)
      continue;
    if(sig != SIGHUP)
      break;
    if(sr_plugins_publish_dir(dir, err, sizeof err)) {
      sr_info("plugins reloaded from %s", dir);
      sr_serve_note_activation("deliver.reload");
    }
    else
      sr_error("plugin reload refused, keeping the loaded set: %s", err);
  }
  sr_info("stopping: attempts in flight get 5 s");
  sr_deliver_stop(5000);
  sr_plugins_unpublish();
  return 0;
}

static void print_deliveries(const cJSON *page)
{
  const cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItem(page, "items"))
  {
    const cJSON *ev = cJSON_GetObjectItem(d, "event"), *attempts = cJSON_GetObjectItem(d, "attempts");
    printf("%-8.0f %-10s %-28s %-36s %d attempt%s\n", cJSON_GetNumberValue(cJSON_GetObjectItem(d, "id")),
           sr_json_str_or(d, "status", "?"), sr_json_str_or(ev, "type", "?"), sr_json_str_or(d, "message_id", "?"),
           cJSON_GetArraySize(attempts), cJSON_GetArraySize(attempts) == 1 ? "" : "s");
    const cJSON *a;
    cJSON_ArrayForEach(a, attempts)
    printf("           %s  %-7s status %-4.0f %6.0f ms  %s\n", sr_json_str_or(a, "at", "?"),
           sr_json_str_or(a, "outcome", "?"), cJSON_GetNumberValue(cJSON_GetObjectItem(a, "status_code")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(a, "duration_ms")), sr_json_str_or(a, "error", ""));
  }
}

/* `sereg notices list|replay`, as the system: the same domain functions as the API. */
static int cmd_notices(int argc, char **argv)
{
  static const char *const names[] = { "--subscription", "--status", "--limit", "--since", "--until", "--plugins", NULL };
  bool list = argc >= 3 && strcmp(argv[2], "list") == 0, replay = argc >= 3 && strcmp(argv[2], "replay") == 0;
  if((!list && !replay) || !opts_known(argc, argv, 3, names, replay ? 1 : 0)) {
    fprintf(stderr, "sereg: usage: sereg notices list|replay ...\n\n%s", usage);
    return 2;
  }
  const char *sub = opt_value(argc, argv, "--subscription"), *status = opt_value(argc, argv, "--status");
  const char *limit_s = opt_value(argc, argv, "--limit"), *one = argc > 3 && argv[3][0] != '-' ? argv[3] : NULL;
  long sid = 0, limit = SR_LIST_MAX, did = 0;
  if((sub && !sr_parse_long(sub, 1, 1L << 53, &sid)) || (limit_s && !sr_parse_long(limit_s, 1, SR_LIST_MAX, &limit)) ||
     (one && !sr_parse_long(one, 1, 1L << 53, &did)) || (replay && !one == !sub) ||
     (list && status && !sub)) {
    fprintf(stderr, "sereg: usage: sereg notices list [--subscription ID [--status S]] [--limit N] | "
                    "replay DELIVERY_ID | replay --subscription ID --since INSTANT [--until INSTANT] [--status S]\n");
    return 2;
  }
  struct sr_ctx ctx = { 0 };
  ctx.today = sr_today();
  if(!system_ctx_open(argc, argv, "notices", &ctx)) {
    system_ctx_close(&ctx);
    return 1;
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *out = NULL;
  enum sr_err e;
  if(list && !sub) {
    struct sr_subscription_filter f = { 0, limit, false };
    if((e = sr_subscription_list(&ctx, &f, &out, &pb)) == SR_OK) {
      const cJSON *s;
      cJSON_ArrayForEach(s, cJSON_GetObjectItem(out, "items"))
      {
        char *types = cJSON_PrintUnformatted(cJSON_GetObjectItem(s, "event_types"));
        printf("%-6.0f %-8s %-10s %s %s%s%s\n", cJSON_GetNumberValue(cJSON_GetObjectItem(s, "id")),
               cJSON_IsTrue(cJSON_GetObjectItem(s, "enabled")) ? "enabled" : "disabled", sr_json_str_or(s, "format", "?"),
               types ? types : "", sr_json_str_or(s, "url", "?"), sr_json_str(s, "disabled_reason") ? "  " : "",
               sr_json_str_or(s, "disabled_reason", ""));
        free(types);
      }
    }
  }
  else if(list) {
    if(status && strcmp(status, "pending") && strcmp(status, "delivered") && strcmp(status, "failed")) {
      fprintf(stderr, "sereg notices: --status takes pending, delivered or failed\n");
      system_ctx_close(&ctx);
      return 2;
    }
    struct sr_delivery_filter f = { sid, status, 0, limit, false };
    if((e = sr_delivery_list(&ctx, &f, &out, &pb)) == SR_OK)
      print_deliveries(out);
  }
  else if(one) {
    if((e = sr_delivery_replay(&ctx, did, &out, &pb)) == SR_OK)
      printf("delivery %ld will be sent again now\n", did);
  }
  else {
    cJSON *body = cJSON_CreateObject();
    const char *since = opt_value(argc, argv, "--since"), *until = opt_value(argc, argv, "--until");
    if(since)
      cJSON_AddStringToObject(body, "since", since);
    if(until)
      cJSON_AddStringToObject(body, "until", until);
    if(status)
      cJSON_AddStringToObject(body, "status", status);
    if((e = sr_subscription_replay(&ctx, sid, body, &out, &pb)) == SR_OK)
      printf("%.0f deliveries will be sent again now\n", cJSON_GetNumberValue(cJSON_GetObjectItem(out, "replayed")));
    cJSON_Delete(body);
  }
  if(e != SR_OK)
    print_problem(&pb);
  cJSON_Delete(out);
  sr_problem_free(&pb);
  system_ctx_close(&ctx);
  return e == SR_OK ? 0 : 1;
}

static int cmd_routes(void)
{
  /* METHOD PATTERN ROLES: the roles that may use the route ("any" authenticated, or "public"). */
  for(const struct sr_route *r = sr_routes; r->method; r++) {
    char roles[160] = "";
    for(enum sr_role k = SR_ROLE_CITY; k < SR_ROLE_SYSTEM; k++)
      if(r->roles & (1u << k))
        snprintf(roles + strlen(roles), sizeof roles - strlen(roles), "%s%s", roles[0] ? "," : "", sr_role_name(k));
    printf("%s %s %s\n", r->method, r->pattern, r->public ? "public" : roles[0] ? roles : "any");
  }
  return 0;
}

int main(int argc, char **argv)
{
  /* The CLI speaks the locale's language; the server's threads each answer their request's. */
  enum sr_lang lang = sr_i18n_from_env();
  sr_i18n_init(NULL, SR_LOCALEDIR);
  sr_i18n_use(lang);
  if(argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    fputs(usage, argc < 2 ? stderr : stdout);
    fputs(usage_env, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *why;
  if(!sr_today_check_env(&why)) {
    fprintf(stderr, "sereg: %s\n", why);
    return 2;
  }
  const char *cmd = argv[1];
  if(strcmp(cmd, "serve") == 0)
    return cmd_serve(argc, argv);
  if(strcmp(cmd, "migrate") == 0)
    return cmd_migrate(argc, argv);
  if(strcmp(cmd, "demo") == 0)
    return cmd_demo(argc, argv);
  if(strcmp(cmd, "token") == 0)
    return cmd_token(argc, argv);
  if(strcmp(cmd, "account") == 0)
    return sr_cli_account(argc, argv);
  if(strcmp(cmd, "sweep") == 0)
    return cmd_sweep(argc, argv);
  if(strcmp(cmd, "import") == 0)
    return cmd_import(argc, argv);
  if(strcmp(cmd, "plugins") == 0)
    return sr_cli_plugins(argc, argv, plugin_dir(argc, argv));
  if(strcmp(cmd, "deliver") == 0)
    return cmd_deliver(argc, argv);
  if(strcmp(cmd, "notices") == 0)
    return cmd_notices(argc, argv);
  if(strcmp(cmd, "script") == 0)
    return sr_cli_script(argc, argv, SR_SOURCE_DIR "/plugins");
  if(strcmp(cmd, "routes") == 0)
    return cmd_routes();
  if(strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("sereg %s\n", SR_VERSION);
    return 0;
  }
  fprintf(stderr, _("sereg: unknown command '%s'\n\n%s"), cmd, usage);
  return 2;
}
