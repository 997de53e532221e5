/*
 * test_plugin.c -- the Lua plugin host: the shipped plugins, their validation errors per field,
 * and hostile plugins (endless loops, loops hidden behind pcall, memory bombs, sandbox escapes,
 * malformed manifests and decisions) that must each cost one failed call, never the process.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "plugin.h"

#ifndef SR_PLUGIN_DIR
#error "SR_PLUGIN_DIR must name the shipped plugins folder"
#endif

/* ==== helpers: a temporary plugin folder made of source strings ==== */

static char tmpdir[256];

static void rm_dir(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];
  while(d && (e = readdir(d)))
    if(e->d_name[0] != '.') {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  if(d)
    closedir(d);
  rmdir(dir);
}

static const char *make_dir(int n, const char *const *names, const char *const *sources)
{
  if(tmpdir[0])
    rm_dir(tmpdir);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sereg-plugin-test-XXXXXX");
  if(!mkdtemp(tmpdir))
    abort();
  for(int i = 0; i < n; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
    FILE *f = fopen(path, "w");
    fputs(sources[i], f);
    fclose(f);
  }
  return tmpdir;
}

/* Loads one plugin source; returns the set (or NULL with the message in <err>). */
static struct sr_plugins *open_one(const char *src, char *err, size_t errsz)
{
  const char *names[] = { "p.lua" };
  const char *dir = make_dir(1, names, &src);
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(dir, &b, err, errsz))
    return NULL;
  struct sr_plugins *p = sr_plugins_open(b, err, errsz);
  sr_plugin_bundle_release(b);
  return p;
}

#define TYPE_HEAD                                                                 \
  "return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', "     \
  "registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'3110'} } }, "

static cJSON *eq_json(const char *attrs)
{
  char buf[2048];
  snprintf(buf, sizeof buf, "{\"type\":\"t\",\"attributes\":%s}", attrs);
  return cJSON_Parse(buf);
}

/* Calls validate() of the only type in <p> on a valid eq; returns the problem code. */
static enum sr_err call_validate(struct sr_plugins *p, char *detail, size_t n)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *eq = eq_json("{\"variety\":\"3110\"}");
  sr_plugins_validate(p, sr_plugins_type_at(p, 0), eq, &pb);
  enum sr_err e = pb.err;
  snprintf(detail, n, "%s", pb.detail);
  cJSON_Delete(eq);
  sr_problem_free(&pb);
  return e;
}

static void expect_load_failure(const char *src, const char *needle)
{
  char err[1024] = "";
  struct sr_plugins *p = open_one(src, err, sizeof err);
  CHECK(p == NULL);
  if(!strstr(err, needle))
    fprintf(stderr, "  load error \"%s\" does not mention \"%s\"\n", err, needle);
  CHECK(strstr(err, needle) != NULL);
  sr_plugins_close(p);
}

static void expect_call_failure(const char *validate_src, const char *needle)
{
  char src[4096], err[1024] = "", detail[600];
  snprintf(src, sizeof src, TYPE_HEAD "validate = %s }", validate_src);
  struct sr_plugins *p = open_one(src, err, sizeof err);
  CHECK(p != NULL);
  if(!p) {
    fprintf(stderr, "  unexpected load failure: %s\n", err);
    return;
  }
  CHECK_INT(call_validate(p, detail, sizeof detail), SR_PLUGIN);
  if(!strstr(detail, needle))
    fprintf(stderr, "  call error \"%s\" does not mention \"%s\"\n", detail, needle);
  CHECK(strstr(detail, needle) != NULL);
  /* The same state serves the next call: a failure costs one call. */
  CHECK_INT(call_validate(p, detail, sizeof detail), SR_PLUGIN);
  sr_plugins_close(p);
}

/* ==== the shipped plugins ==== */

static struct sr_plugins *shipped(void)
{
  char err[1024];
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(SR_PLUGIN_DIR, &b, err, sizeof err)) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
  sr_plugin_bundle_release(b);
  return p;
}

static int validate_fields(struct sr_plugins *p, const char *type, const char *attrs, char *fields, size_t n)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *eq = eq_json(attrs);
  sr_plugins_validate(p, sr_plugins_type(p, type), eq, &pb);
  fields[0] = '\0';
  for(const cJSON *e = pb.errors ? pb.errors->child : NULL; e; e = e->next) {
    strncat(fields, cJSON_GetObjectItem(e, "field")->valuestring, n - strlen(fields) - 2);
    strncat(fields, " ", n - strlen(fields) - 1);
  }
  int rc = pb.err;
  cJSON_Delete(eq);
  sr_problem_free(&pb);
  return rc;
}

#define MAINT "\"91350100M000100Y43\""

static void shipped_plugins_load_in_name_order(void)
{
  struct sr_plugins *p = shipped();
  CHECK(p != NULL);
  if(!p)
    return;
  CHECK_INT(sr_plugins_ntypes(p), 3);
  CHECK_STR(sr_plugins_type_at(p, 0)->code, "boiler");
  CHECK_STR(sr_plugins_type_at(p, 1)->code, "elevator");
  CHECK_STR(sr_plugins_type_at(p, 2)->code, "pressure_vessel");
  CHECK_STR(sr_plugins_type_for_variety(p, "3110")->code, "elevator");
  CHECK_STR(sr_plugins_type_for_variety(p, "2150")->code, "pressure_vessel");
  CHECK(sr_plugins_type_for_variety(p, "3310") == NULL);
  cJSON *schema = sr_eqtype_schema_json(sr_plugins_type(p, "elevator"));
  char *text = cJSON_PrintUnformatted(schema);
  CHECK(strstr(text, "\"rated_load_kg\":{\"type\":\"integer\"") != NULL);
  CHECK(strstr(text, "\"additionalProperties\":false") != NULL);
  free(text);
  cJSON_Delete(schema);
  sr_plugins_close(p);
}

static void elevator_validation_names_each_field(void)
{
  struct sr_plugins *p = shipped();
  if(!p)
    return;
  char f[1024];
  CHECK_INT(validate_fields(p, "elevator", "{\"variety\":\"3110\",\"rated_load_kg\":1000,\"rated_speed_mps\":1.75,"
                                           "\"stops\":12,\"maintenance_unit\":" MAINT "}", f, sizeof f), SR_OK);
  CHECK_INT(validate_fields(p, "elevator", "{\"variety\":\"3110\",\"rated_load_kg\":1000.5,\"rated_speed_mps\":\"fast\","
                                           "\"stops\":1,\"maintenance_unit\":\"91350100M000100Y44\",\"colour\":\"red\"}",
                            f, sizeof f), SR_INVALID);
  CHECK_STR(f, "attributes.colour attributes.maintenance_unit attributes.rated_load_kg attributes.rated_speed_mps "
               "attributes.stops ");
  CHECK_INT(validate_fields(p, "elevator", "{\"variety\":\"3310\"}", f, sizeof f), SR_INVALID);
  CHECK(strstr(f, "attributes.variety") && strstr(f, "attributes.rated_load_kg"));
  /* Cross-field rule from the plugin: forced-drive goods lifts run at most 0.63 m/s. */
  CHECK_INT(validate_fields(p, "elevator", "{\"variety\":\"3130\",\"rated_load_kg\":1000,\"rated_speed_mps\":1.0,"
                                           "\"stops\":3,\"maintenance_unit\":" MAINT "}", f, sizeof f), SR_INVALID);
  CHECK_STR(f, "attributes.rated_speed_mps ");
  sr_plugins_close(p);
}

static void boiler_and_vessel_rules(void)
{
  struct sr_plugins *p = shipped();
  if(!p)
    return;
  char f[1024];
  CHECK_INT(validate_fields(p, "boiler", "{\"variety\":\"1100\",\"rated_pressure_mpa\":1.25,\"rated_capacity\":"
                                         "{\"value\":4,\"unit\":\"t/h\"},\"fuel\":\"natural_gas\"}", f, sizeof f), SR_OK);
  CHECK_INT(validate_fields(p, "boiler", "{\"variety\":\"1100\",\"rated_pressure_mpa\":1.25,\"rated_capacity\":"
                                         "{\"value\":4,\"unit\":\"MW\"},\"fuel\":\"wood\"}", f, sizeof f), SR_INVALID);
  CHECK_STR(f, "attributes.fuel ");
  CHECK_INT(validate_fields(p, "boiler", "{\"variety\":\"1100\",\"rated_pressure_mpa\":1.25,\"rated_capacity\":"
                                         "{\"value\":4,\"unit\":\"MW\"},\"fuel\":\"coal\"}", f, sizeof f), SR_INVALID);
  CHECK_STR(f, "attributes.rated_capacity.unit ");
  CHECK_INT(validate_fields(p, "boiler", "{\"variety\":\"1200\",\"rated_pressure_mpa\":1,\"rated_capacity\":"
                                         "{\"value\":2,\"unit\":\"MW\",\"x\":1},\"fuel\":\"coal\"}", f, sizeof f), SR_INVALID);
  CHECK_STR(f, "attributes.rated_capacity.x ");
  CHECK_INT(validate_fields(p, "pressure_vessel", "{\"variety\":\"2150\",\"design_pressure_mpa\":1.6,\"volume_m3\":5,"
                                                  "\"medium\":\"压缩空气\"}", f, sizeof f), SR_OK);
  CHECK_INT(validate_fields(p, "pressure_vessel", "{\"variety\":\"2150\",\"design_pressure_mpa\":120,\"volume_m3\":0.01,"
                                                  "\"medium\":\" \"}", f, sizeof f), SR_INVALID);
  CHECK_STR(f, "attributes.volume_m3 attributes.variety attributes.medium ");
  sr_plugins_close(p);
}

/* ==== hostile plugins at load time ==== */

static void load_refuses_runaway_and_escapes(void)
{
  expect_load_failure("while true do end", "instruction budget");
  expect_load_failure("while true do pcall(function() while true do end end) end", "instruction budget");
  expect_load_failure("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end", "memory limit");
  expect_load_failure("local s = string.rep('x', 1 << 30)", "memory limit");
  expect_load_failure("io.open('/etc/passwd')", "undeclared global 'io'");
  expect_load_failure("os.execute('touch /tmp/sereg-pwned')", "undeclared global 'os'");
  expect_load_failure("require('os')", "undeclared global 'require'");
  expect_load_failure("dofile('/etc/passwd')", "undeclared global 'dofile'");
  expect_load_failure("loadfile('/etc/passwd')", "undeclared global 'loadfile'");
  expect_load_failure("load('return 1')", "undeclared global 'load'");
  expect_load_failure("collectgarbage('stop')", "undeclared global 'collectgarbage'");
  expect_load_failure("local f = string.dump(function() end)", "dump");
  expect_load_failure("debug.sethook()", "undeclared global 'debug'");
  expect_load_failure("x = 1", "assignment to undeclared global 'x'");
  expect_load_failure("local mt = getmetatable('') ; mt.__index.upper = nil", "index a boolean");
  expect_load_failure("setmetatable({}, { __gc = function() while true do end end })", "__gc");
  expect_load_failure("\x1bLuaT\x00\x19\x93\r\n\x1a\n", "binary");
  expect_load_failure("return {}", "must return sereg.equipment_type");
  expect_load_failure("error('boom')", "boom");
  expect_load_failure("return sereg.equipment_type { code = 't' ", "p.lua:1:");
}

static void load_refuses_malformed_manifests(void)
{
  expect_load_failure("return sereg.equipment_type { code = 'T!', name = 'x', version = '1.0.0', "
                      "registration_class = '梯', attributes = {} }", "'code'");
  expect_load_failure("return sereg.equipment_type { code = 't', name = 'x', version = 'one', "
                      "registration_class = '梯', attributes = {} }", "'version'");
  expect_load_failure("return sereg.equipment_type { code = 't', name = 'x', version = '1.0.0', "
                      "registration_class = '梯', attributes = {} }", "'variety'");
  expect_load_failure(TYPE_HEAD "colour = 'red' }", "unknown key 'colour'");
  expect_load_failure("return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', "
                      "registration_class = '梯', attributes = { variety = { type = 'string', required = true, "
                      "enum = {'3110'} }, n = { type = 'float' } } }", "'type' must be one of");
  expect_load_failure("return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', "
                      "registration_class = '梯', attributes = { variety = { type = 'string', required = true, "
                      "enum = {'31x0'} } } }", "4-digit");
  expect_load_failure("return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', "
                      "registration_class = '梯', attributes = { variety = { type = 'string', required = true, "
                      "enum = {'3110'} }, n = { type = 'integer', min = 5, max = 1 } } }", "'min' is greater");
  expect_load_failure(TYPE_HEAD "validate = 42 }", "'validate' must be a function");
}

static void load_refuses_two_plugins_claiming_one_type(void)
{
  const char *names[] = { "a.lua", "b.lua" };
  const char *srcs[] = { TYPE_HEAD "}", TYPE_HEAD "}" };
  const char *dir = make_dir(2, names, srcs);
  char err[1024] = "";
  struct sr_plugin_bundle *b = NULL;
  CHECK(!sr_plugin_bundle_load(dir, &b, err, sizeof err));
  CHECK(strstr(err, "a.lua") && strstr(err, "b.lua"));
}

/* ==== hostile plugins at call time ==== */

static void calls_fail_alone(void)
{
  expect_call_failure("function() while true do end end", "instruction budget");
  expect_call_failure("function() while true do pcall(function() while true do end end) end end",
                      "instruction budget");
  expect_call_failure("function() local t = {} for i = 1, 1e9 do t[i] = {i} end end", "memory limit");
  expect_call_failure("function() local ok = pcall(string.rep, 'x', 1 << 30) return {} end", "memory limit");
  expect_call_failure("function() error({}) end", "error object is a table");
  expect_call_failure("function() error('no') end", "no");
  expect_call_failure("function() return 'fine' end", "must return nil or a list");
  expect_call_failure("function() return { 'x' } end", "is not a table");
  expect_call_failure("function() return { { field = 1, message = 'm' } } end", "'field' must be a string");
  expect_call_failure("function() local e = {} for i = 1, 101 do e[i] = { field = 'f', message = 'm' } end "
                      "return e end", "more than 100");
  expect_call_failure("function(eq) return eq.nope.deeper end", "attempt to index");
}

static void plugins_do_not_share_library_tables(void)
{
  const char *names[] = { "a.lua", "b.lua" };
  const char *srcs[] = {
    "string.upper = nil\nreturn sereg.equipment_type { code = 'a', name = 'A', version = '1.0.0', registration_class = '梯', "
    "attributes = { variety = { type = 'string', required = true, enum = {'3110'} } } }",
    "return sereg.equipment_type { code = 'b', name = 'B', version = '1.0.0', registration_class = '梯', "
    "attributes = { variety = { type = 'string', required = true, enum = {'3120'} } }, "
    "validate = function(eq) return { { field = 'attributes.variety', message = string.upper('ok') } } end }",
  };
  const char *dir = make_dir(2, names, srcs);
  char err[1024] = "";
  struct sr_plugin_bundle *b = NULL;
  CHECK(sr_plugin_bundle_load(dir, &b, err, sizeof err));
  if(!b) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *eq = eq_json("{\"variety\":\"3120\"}");
  CHECK_INT(sr_plugins_validate(p, sr_plugins_type(p, "b"), eq, &pb), SR_INVALID);
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(pb.errors, 0), "message")->valuestring, "OK");
  cJSON_Delete(eq);
  sr_problem_free(&pb);
  sr_plugins_close(p);
  sr_plugin_bundle_release(b);
}

/* ==== reload ==== */

static void reload_keeps_the_old_set_when_the_new_one_fails(void)
{
  char err[1024];
  const char *names[] = { "t.lua" };
  const char *good = TYPE_HEAD "}";
  CHECK(sr_plugins_publish_dir(make_dir(1, names, &good), err, sizeof err));
  struct sr_plugins *p = sr_plugins_thread(err, sizeof err);
  CHECK(p && sr_plugins_type(p, "t") && strcmp(sr_plugins_type(p, "t")->version, "1.0.0") == 0);

  const char *bad = "while true do end";
  CHECK(!sr_plugins_publish_dir(make_dir(1, names, &bad), err, sizeof err));
  CHECK(strstr(err, "instruction budget") != NULL);
  p = sr_plugins_thread(err, sizeof err);
  CHECK(p && sr_plugins_type(p, "t") != NULL);

  const char *v2 = "return sereg.equipment_type { code = 't', name = 'T', version = '2.0.0', registration_class = '梯', "
                   "attributes = { variety = { type = 'string', required = true, enum = {'3110'} } } }";
  CHECK(sr_plugins_publish_dir(make_dir(1, names, &v2), err, sizeof err));
  p = sr_plugins_thread(err, sizeof err);
  CHECK(p && strcmp(sr_plugins_type(p, "t")->version, "2.0.0") == 0);
  sr_plugins_thread_release();
  sr_plugins_unpublish();
}

/* A ladder whose decide() answers what the rung's id asks for. */
static const char ladder_src[] =
    "return sereg.escalation { version = '1.0.0', rungs = {\n"
    "  { id = 'r', reason = 'x', after_days = 1, notify = { 'city' } } },\n"
    "  decide = function(h, rung, today)\n"
    "    local a = h.ask\n"
    "    if a == 'nil' then return nil end\n"
    "    if a == 'hold' then return { hold = 'waiting for the survey' } end\n"
    "    if a == 'raise' then return { grade = 'major', reason = 'children in the building' } end\n"
    "    if a == 'bad_grade' then return { grade = 'catastrophic', reason = 'x' } end\n"
    "    if a == 'no_reason' then return { level = 'city' } end\n"
    "    if a == 'hold_and_more' then return { hold = 'x', grade = 'major' } end\n"
    "    if a == 'string' then return 'yes' end\n"
    "    if a == 'loop' then while true do end end\n"
    "    error('no such case: ' .. tostring(a))\n"
    "  end }\n";

static bool decide(struct sr_plugins *p, const char *ask, cJSON **out, char *err, size_t n)
{
  cJSON *h = cJSON_CreateObject(), *rung = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "ask", ask);
  struct sr_date today = { 2026, 6, 15 };
  bool ok = sr_plugins_decide(p, h, rung, today, out, err, n);
  cJSON_Delete(h);
  cJSON_Delete(rung);
  return ok;
}

static void decide_answers_are_checked(void)
{
  char err[512];
  struct sr_plugins *p = open_one(ladder_src, err, sizeof err);
  CHECK(p != NULL);
  if(!p) {
    fprintf(stderr, "%s\n", err);
    return;
  }
  CHECK(sr_plugins_ladder(p) != NULL);
  cJSON *out = NULL;
  CHECK(decide(p, "nil", &out, err, sizeof err) && out == NULL);
  CHECK(decide(p, "hold", &out, err, sizeof err) && cJSON_GetObjectItem(out, "hold"));
  cJSON_Delete(out);
  CHECK(decide(p, "raise", &out, err, sizeof err));
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(out, "grade")), "major");
  cJSON_Delete(out);
  static const struct {
    const char *ask, *needle;
  } bad[] = { { "bad_grade", "grade" }, { "no_reason", "reason" }, { "hold_and_more", "alone" },
              { "string", "must return" }, { "loop", "budget" }, { "other", "no such case" } };
  for(size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = '\0';
    CHECK(!decide(p, bad[i].ask, &out, err, sizeof err));
    CHECK(out == NULL);
    if(!strstr(err, bad[i].needle))
      fprintf(stderr, "decide '%s': '%s' lacks '%s'\n", bad[i].ask, err, bad[i].needle);
    CHECK(strstr(err, bad[i].needle) != NULL);
  }
  /* The state is still good for the next call. */
  CHECK(decide(p, "nil", &out, err, sizeof err) && out == NULL);
  sr_plugins_close(p);
}

int main(void)
{
  RUN(shipped_plugins_load_in_name_order);
  RUN(elevator_validation_names_each_field);
  RUN(boiler_and_vessel_rules);
  RUN(load_refuses_runaway_and_escapes);
  RUN(load_refuses_malformed_manifests);
  RUN(load_refuses_two_plugins_claiming_one_type);
  RUN(calls_fail_alone);
  RUN(plugins_do_not_share_library_tables);
  RUN(reload_keeps_the_old_set_when_the_new_one_fails);
  RUN(decide_answers_are_checked);
  if(tmpdir[0])
    rm_dir(tmpdir);
  return CHECK_DONE();
}
