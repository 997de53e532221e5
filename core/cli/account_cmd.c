/* account_cmd.c -- see account_cmd.h. */
#include "account_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "account.h"
#include "args.h"
#include "db.h"
#include "i18n.h"
#include "json.h"
#include "sr_limits.h"
#include "util.h"

static const char account_usage[] =
    "usage: sereg account create --role ROLE [--jurisdiction CODE] [--org CREDIT_CODE] --name NAME --password-stdin\n"
    "       sereg account password NAME --password-stdin  (a new password; its sessions ended)\n"
    "       sereg account reset NAME --password-stdin     (a new password, unlocked, its sessions ended)\n"
    "       sereg account disable NAME | enable NAME\n"
    "       sereg account list\n";

/* Every argument from <first> is an option of <names> with its value, --password-stdin where
 * <stdin_ok>, or one of <positional> plain words. A password on the command line is refused by
 * name: other users see a command line. */
static bool args_ok(int argc, char **argv, int first, const char *const *names, bool stdin_ok, int positional)
{
  for(int i = first; i < argc; i++)
    if(strncmp(argv[i], "--password", 10) == 0 && strcmp(argv[i], "--password-stdin") != 0) {
      fprintf(stderr, "%s", _("sereg: a password is never taken on the command line, where other users see it: "
                              "give --password-stdin and send it on standard input\n"));
      return false;
    }
  static const char *const stdin_flag[] = { "--password-stdin", NULL };
  const char *bad = sr_args_unknown(argc, argv, first, names, stdin_ok ? stdin_flag : NULL, positional);
  if(bad)
    fprintf(stderr, _("sereg: unexpected argument '%s'\n\n%s"), bad, account_usage);
  return !bad;
}

static bool has_flag(int argc, char **argv, const char *flag)
{
  for(int i = 2; i < argc; i++)
    if(strcmp(argv[i], flag) == 0)
      return true;
  return false;
}

/* The first line of standard input (without its line end) into <out>, with the terminal's echo
 * off when it is one. False when there is none, or it is longer than a password may be. */
static bool read_password(char *out, size_t outsz)
{
  struct termios old, quiet;
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if(tty) {
    fprintf(stderr, "%s", _("Password: "));
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool ok = fgets(out, (int)outsz, stdin) != NULL;
  if(tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  size_t n = ok ? strlen(out) : 0;
  if(ok && n > 0 && out[n - 1] != '\n' && !feof(stdin))
    ok = false; /* longer than the buffer */
  while(n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
    out[--n] = '\0';
  return ok && n > 0;
}

static void say_problem(const struct sr_problem *pb)
{
  fprintf(stderr, "sereg: %s\n", pb->detail[0] ? pb->detail : _(sr_err_title(pb->err)));
  for(const cJSON *e = pb->errors ? pb->errors->child : NULL; e; e = e->next)
    fprintf(stderr, "  %s: %s\n", cJSON_GetObjectItem(e, "field")->valuestring,
            cJSON_GetObjectItem(e, "message")->valuestring);
}

static int list(struct sr_ctx *ctx, struct sr_problem *pb)
{
  cJSON *all = NULL;
  if(!sr_account_list(ctx, &all, pb))
    return 1;
  printf("%-6s %-20s %-8s %-10s %-20s %-8s %-20s %s\n", "id", "role", "state", "area", "org", "sessions",
         "last login", "name");
  for(const cJSON *a = all->child; a; a = a->next) {
    const char *j = sr_json_str_or(a, "jurisdiction", "-"), *org = sr_json_str_or(a, "org", "-");
    const char *last = sr_json_str_or(a, "last_login", "-");
    printf("%-6.0f %-20s %-8s %-10s %-20s %-8.0f %-20s %s\n", cJSON_GetObjectItem(a, "id")->valuedouble,
           sr_json_str_or(a, "role", ""), sr_json_str_or(a, "state", ""), j, org,
           cJSON_GetObjectItem(a, "sessions")->valuedouble, last, sr_json_str_or(a, "name", ""));
  }
  cJSON_Delete(all);
  return 0;
}

int sr_cli_account(int argc, char **argv)
{
  const char *sub = argc >= 3 ? argv[2] : "";
  static const char *const create_opts[] = { "--role", "--jurisdiction", "--org", "--name", NULL };
  static const char *const none[] = { NULL };
  bool create = strcmp(sub, "create") == 0, is_list = strcmp(sub, "list") == 0;
  enum sr_account_change what = strcmp(sub, "password") == 0 ? SR_ACCOUNT_PASSWORD
                                : strcmp(sub, "reset") == 0  ? SR_ACCOUNT_RESET
                                : strcmp(sub, "disable") == 0 ? SR_ACCOUNT_DISABLE
                                                              : SR_ACCOUNT_ENABLE;
  bool change = !create && !is_list && (what != SR_ACCOUNT_ENABLE || strcmp(sub, "enable") == 0);
  bool needs_password = create || (change && (what == SR_ACCOUNT_PASSWORD || what == SR_ACCOUNT_RESET));
  if(!create && !is_list && !change) {
    fprintf(stderr, "%s", account_usage);
    return 2;
  }
  if(!args_ok(argc, argv, 3, create ? create_opts : none, needs_password, change ? 1 : 0))
    return 2;
  const char *name = create ? sr_args_value(argc, argv, 3, "--name") : argc > 3 && argv[3][0] != '-' ? argv[3] : NULL;
  if((!is_list && !name) || (needs_password && !has_flag(argc, argv, "--password-stdin"))) {
    fprintf(stderr, "%s", account_usage);
    return 2;
  }
  char password[SR_PASSWORD_MAX_BYTES + 2] = "";
  if(needs_password && !read_password(password, sizeof password)) {
    fprintf(stderr, _("sereg: no password on standard input (one line of at most %d bytes)\n"), SR_PASSWORD_MAX_BYTES);
    return 2;
  }
  char err[1024];
  struct sr_ctx ctx = { 0 };
  ctx.who.role = SR_ROLE_SYSTEM;
  ctx.today = sr_today();
  ctx.request_id = "cli";
  ctx.db = sr_db_connect(err, sizeof err);
  if(!ctx.db) {
    fprintf(stderr, "sereg: %s\n", err);
    return 1;
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  int rc = 0, sessions = 0;
  long id = 0;
  if(is_list)
    rc = list(&ctx, &pb);
  else if(create) {
    struct sr_account_spec spec = { sr_args_value(argc, argv, 3, "--role"), sr_args_value(argc, argv, 3, "--jurisdiction"),
                                    sr_args_value(argc, argv, 3, "--org"), name, password };
    rc = sr_account_create(&ctx, &spec, &id, &pb) ? 0 : 1;
    if(rc == 0)
      printf("account: %ld\nname: %s\nrole: %s\n", id, name, spec.role);
  }
  else {
    rc = sr_account_change(&ctx, name, what, needs_password ? password : NULL, &sessions, &pb) ? 0 : 1;
    if(rc == 0)
      printf(_("%s: done (%d session(s) ended)\n"), sub, sessions);
  }
  memset(password, 0, sizeof password);
  if(rc == 1)
    say_problem(&pb);
  sr_problem_free(&pb);
  PQfinish(ctx.db);
  return rc;
}
