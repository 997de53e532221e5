/*
 * script_cmd.c -- `sereg script FILE.lua [--as TOKEN] [--apply] [--format table|csv|json]
 * [--now YYYY-MM-DD] [--plugins DIR] [-- ARGS...]`: an administrator's script, run as the account
 * its token names, a dry run unless --apply. The rows go to stdout; the log, the progress line
 * and the summary to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "i18n.h"
#include "plugin.h"
#include "plugin_activation.h"
#include "record.h"
#include "script_cmd.h"
#include "script_int.h"
#include "sr_limits.h"
#include "tx.h"

static const char usage[] =
  "usage: sereg script FILE.lua [--as TOKEN] [--apply] [--format table|csv|json] [--now YYYY-MM-DD]\n"
  "                    [--plugins DIR] [-- ARGS...]\n"
  "  runs FILE.lua as the account of TOKEN (or SEREG_TOKEN); a dry run, which writes nothing,\n"
  "  unless --apply. Limits: SEREG_SCRIPT_MEMORY (MiB), SEREG_SCRIPT_BUDGET (instructions),\n"
  "  SEREG_SCRIPT_TIMEOUT (seconds).\n";

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
  (void)sig;
  interrupted = 1;
  sr_script_interrupt();
}

struct opts {
  const char *file, *token, *format, *now, *plugins;
  bool apply;
  cJSON *args;
};

static bool parse(int argc, char **argv, struct opts *o)
{
  static const char *const valued[] = { "--as", "--format", "--now", "--plugins", NULL };
  const char **slot[] = { &o->token, &o->format, &o->now, &o->plugins };
  int i = 2;
  for(; i < argc; i++) {
    const char *a = argv[i];
    if(strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if(strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      exit(0);
    }
    if(strcmp(a, "--apply") == 0) {
      o->apply = true;
      continue;
    }
    int k = 0;
    while(valued[k] && strcmp(valued[k], a) != 0)
      k++;
    if(valued[k]) {
      if(i + 1 >= argc) {
        fprintf(stderr, _("sereg script: %s needs a value\n"), a);
        return false;
      }
      *slot[k] = argv[++i];
      continue;
    }
    if(a[0] == '-' || o->file) {
      fprintf(stderr, _("sereg script: unexpected argument '%s'\n%s"), a, usage);
      return false;
    }
    o->file = a;
  }
  for(; i < argc; i++)
    cJSON_AddItemToArray(o->args, cJSON_CreateString(argv[i]));
  if(!o->file) {
    fputs(usage, stderr);
    return false;
  }
  return true;
}

/* A limit from the environment: a whole number from 1 to <max>, or <dflt> when unset. */
static bool env_limit(const char *name, long dflt, long max, long *out)
{
  const char *v = getenv(name);
  *out = dflt;
  if(v && !sr_parse_long(v, 1, max, out)) {
    fprintf(stderr, _("sereg script: %s wants a whole number from 1 to %ld, not '%s'\n"), name, max, v);
    return false;
  }
  return true;
}

static void summary(const struct sr_script_session *s, const char *file, const char *sha, enum sr_outcome o,
                    const char *why)
{
  if(s->progress && s->shown > 0)
    fputs("\r\033[K", stderr);
  /* A script that took no action reads only: whether it was a dry run does not matter to it. */
  const char *mode = s->tried == 0 ? _("read only (no actions)")
                     : s->apply    ? _("applied")
                                   : _("dry run: nothing was written (add --apply to do it)");
  fprintf(stderr, _("%s  %s (SHA-256 %.12s)  account #%ld (%s%s%s)\n"), mode, file, sha, s->ctx->who.account_id,
          sr_role_name(s->ctx->who.role), s->ctx->who.jurisdiction[0] ? " " : "", s->ctx->who.jurisdiction);
  fprintf(stderr, s->apply ? _("read %ld records, wrote %ld rows; actions: tried %ld, done %ld, refused %ld; %.1f s\n")
                           : _("read %ld records, wrote %ld rows; actions: tried %ld, would be done %ld, refused %ld; "
                               "%.1f s\n"),
          s->read, s->out ? sr_script_out_rows(s->out) : 0, s->tried, s->done, s->refused, sr_script_clock() - s->started);
  if(s->reasons && s->reasons->child) {
    fputs(_("refused:\n"), stderr);
    for(const cJSON *r = s->reasons->child; r; r = r->next)
      fprintf(stderr, "  %4.0f × %s\n", r->valuedouble, r->string);
  }
  if(interrupted)
    fputs(_("interrupted (Ctrl-C): no action was started after it.\n"), stderr);
  else if(o != SR_OUTCOME_OK)
    fprintf(stderr, _("the script did not run to its end: %s\n"), why);
}

/* An applied run leaves its own audit record beside those of its actions: what ran, as whom,
 * and what came of it. */
static void audit_run(struct sr_script_session *s, const char *file, const char *sha, enum sr_outcome o)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "file", file);
  cJSON_AddNumberToObject(detail, "tried", (double)s->tried);
  cJSON_AddNumberToObject(detail, "done", (double)s->done);
  cJSON_AddNumberToObject(detail, "refused", (double)s->refused);
  cJSON_AddStringToObject(detail, "outcome", interrupted ? "interrupted" : sr_outcome_name(o));
  cJSON *change = sr_change_new();
  sr_change_audit(change, "script.run", "script", sha, detail);
  if(!sr_tx_begin(s->ctx, &pb) || !sr_record_commit(s->ctx, change, &pb))
    fprintf(stderr, _("sereg script: the run's audit record was not written: %s\n"), pb.detail);
  sr_problem_free(&pb);
}

static int run(struct opts *o, struct sr_ctx *ctx, const char *src, size_t len)
{
  char sha[65], why[1024] = "", via[400];
  sr_sha256_hex(src, len, sha);
  const char *base = strrchr(o->file, '/') ? strrchr(o->file, '/') + 1 : o->file;
  cJSON *v = cJSON_CreateObject();
  cJSON_AddStringToObject(v, "script", base);
  cJSON_AddStringToObject(v, "sha256", sha);
  char *vt = cJSON_PrintUnformatted(v);
  cJSON_Delete(v);
  snprintf(via, sizeof via, "%s", vt && strlen(vt) < sizeof via ? vt : "{}");
  free(vt);
  char request[40];
  snprintf(request, sizeof request, "script-%.12s-%ld", sha, (long)getpid());
  ctx->via = via;
  ctx->request_id = request;

  long mib, budget, secs;
  if(!env_limit("SEREG_SCRIPT_MEMORY", SR_SCRIPT_MEMORY >> 20, 65536, &mib) ||
     !env_limit("SEREG_SCRIPT_BUDGET", SR_SCRIPT_BUDGET, 1L << 50, &budget) ||
     !env_limit("SEREG_SCRIPT_TIMEOUT", SR_SCRIPT_MS / 1000, 7L * 24 * 3600, &secs))
    return 2;
  struct sr_script_session s = { .ctx = ctx, .apply = o->apply, .progress = isatty(2), .interrupted = &interrupted,
                                 .reasons = cJSON_CreateObject(), .started = sr_script_clock() };
  s.out = sr_script_out_new(o->format ? o->format : "table", stdout, why, sizeof why);
  if(!s.out || !s.reasons) {
    fprintf(stderr, "sereg script: %s\n", why);
    cJSON_Delete(s.reasons);
    return 2;
  }
  /* The rules an applied run acts by are on the record, as a server's are (a dry run writes
   * nothing, that included). */
  long activation = 0;
  struct sr_problem apb;
  sr_problem_init(&apb);
  if(o->apply && sr_plugin_activation_note(ctx, "cli.script", &activation, &apb) != SR_OK) {
    fprintf(stderr, _("sereg script: the plugin set could not be put on the record: %s\n"), apb.detail);
    sr_problem_free(&apb);
    sr_script_out_free(s.out);
    cJSON_Delete(s.reasons);
    return 1;
  }
  sr_problem_free(&apb);
  /* A dry run is one transaction, rolled back at the end; its actions are savepoints in it. */
  if(!o->apply && !sr_tx_outer_begin(ctx, "SELECT 1", NULL, 0)) {
    fprintf(stderr, _("sereg script: the database refused to begin\n"));
    sr_script_out_free(s.out);
    cJSON_Delete(s.reasons);
    return 1;
  }
  char today[11];
  sr_date_format(ctx->today, today);
  struct sr_script_run r = { .name = base, .src = src, .len = len, .args = o->args, .today = today,
                             .dry_run = !o->apply, .memory = (size_t)mib << 20, .budget = budget, .ms = secs * 1000 };
  struct sr_script_host host;
  sr_script_host_init(&host, &s);
  struct sigaction sa = { .sa_handler = on_sigint };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  enum sr_outcome out = sr_script_exec(&r, &host, why, sizeof why);
  bool written = sr_script_out_end(s.out);
  if(!o->apply)
    sr_tx_outer_rollback(ctx);
  else if(s.tried > 0)
    audit_run(&s, base, sha, out);
  summary(&s, base, sha, out, why);
  sr_script_out_free(s.out);
  cJSON_Delete(s.reasons);
  if(!written) {
    fprintf(stderr, _("sereg script: the output could not be written\n"));
    return 1;
  }
  return interrupted ? 130 : out == SR_OUTCOME_OK ? 0 : 1;
}

int sr_cli_script(int argc, char **argv, const char *plugins)
{
  struct opts o = { .args = cJSON_CreateArray() };
  if(!o.args || !parse(argc, argv, &o)) {
    cJSON_Delete(o.args);
    return 2;
  }
  int rc = 1;
  char *src = NULL, err[1024];
  size_t len = 0;
  struct sr_ctx ctx = { 0 };
  ctx.today = sr_today();
  if(!o.token)
    o.token = getenv("SEREG_TOKEN");
  if(o.now && !sr_date_parse(o.now, &ctx.today)) {
    fprintf(stderr, _("sereg script: --now wants a date YYYY-MM-DD, not '%s'\n"), o.now);
    rc = 2;
  }
  else if(!o.token || !o.token[0]) {
    fprintf(stderr, _("sereg script: a script runs as an account: give its token with --as TOKEN or SEREG_TOKEN\n"));
    rc = 2;
  }
  else if(!sr_read_file(o.file, SR_MAX_SCRIPT_FILE, &src, &len))
    fprintf(stderr, _("sereg script: cannot read %s (missing, unreadable or over %d KiB)\n"), o.file,
            SR_MAX_SCRIPT_FILE / 1024);
  else if(!(ctx.db = sr_db_connect(err, sizeof err)))
    fprintf(stderr, "sereg script: %s\n", err);
  else {
    char bearer[160];
    snprintf(bearer, sizeof bearer, "Bearer %.140s", o.token);
    enum sr_err e = sr_authenticate(ctx.db, bearer, &ctx.who);
    const char *dir = o.plugins ? o.plugins : getenv("SEREG_PLUGIN_DIR") ? getenv("SEREG_PLUGIN_DIR") : plugins;
    if(e != SR_OK)
      fprintf(stderr, "sereg script: %s\n", e == SR_UNAUTHORIZED ? _("the token is not valid (unknown, expired or revoked); nothing ran")
                                                                 : _("the database is unavailable"));
    else if(!sr_plugins_publish_dir(dir, err, sizeof err))
      fprintf(stderr, "sereg script: %s\n", err);
    else {
      if((ctx.plugins = sr_plugins_thread(err, sizeof err)))
        rc = run(&o, &ctx, src, len);
      else
        fprintf(stderr, "sereg script: %s\n", err);
      sr_plugins_thread_release();
      sr_plugins_unpublish();
    }
  }
  PQfinish(ctx.db);
  free(src);
  cJSON_Delete(o.args);
  return rc;
}
