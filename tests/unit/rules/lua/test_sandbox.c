/*
 * test_sandbox.c -- the Lua sandbox on its own, outside any plugin set (core/rules/lua/
 * lua_sandbox.h), as a script runner will use it: a chunk runs with the host library under the
 * budget, the time limit and the memory cap, its argument and result cross as JSON, each way of
 * failing has its own outcome and words, and the sandbox serves the next chunk after any of
 * them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lua_sandbox.h"
#include "sr_limits.h"

#define BUDGET 1000000L

static struct sr_lua_sandbox *sb;

/* Runs <src> with <arg> (JSON text, or NULL); returns the outcome, the result as compact JSON
 * text in <out> ("" for none) and the reason in <why>. */
static enum sr_outcome run(const char *src, const char *arg, char *out, size_t outsz, char *why, size_t whysz)
{
  cJSON *a = arg ? cJSON_Parse(arg) : NULL, *result = NULL;
  why[0] = out[0] = '\0';
  enum sr_outcome o = sr_lua_sandbox_run(sb, "job.lua", src, strlen(src), a, BUDGET, 100, &result, why, whysz);
  char *text = result ? cJSON_PrintUnformatted(result) : NULL;
  snprintf(out, outsz, "%s", text ? text : "");
  free(text);
  cJSON_Delete(result);
  cJSON_Delete(a);
  return o;
}

static void expect(const char *src, const char *arg, enum sr_outcome want, const char *want_text)
{
  char out[512], why[512];
  enum sr_outcome o = run(src, arg, out, sizeof out, why, sizeof why);
  const char *text = o == SR_OUTCOME_OK ? out : why;
  if(o != want || !strstr(text, want_text))
    fprintf(stderr, "  %s\n    gave %s \"%s\", expected %s \"%s\"\n", src, sr_outcome_name(o), text,
            sr_outcome_name(want), want_text);
  CHECK_INT(o, want);
  CHECK(strstr(text, want_text) != NULL);
}

static void a_chunk_answers_in_json_with_the_host_library(void)
{
  expect("return { sereg.add_years('2024-02-29', 1), sereg.uscc_valid('91350100M000100Y43') }", NULL,
         SR_OUTCOME_OK, "[\"2025-02-28\",true]");
  expect("local job = ... return { job.n + 1, { name = job.name:upper() } }", "{\"n\":41,\"name\":\"x\"}",
         SR_OUTCOME_OK, "[42,{\"name\":\"X\"}]");
  char out[64], why[64];
  CHECK_INT(run("return nil", NULL, out, sizeof out, why, sizeof why), SR_OUTCOME_OK);
  CHECK_STR(out, "");
}

static void each_way_of_failing_has_its_outcome(void)
{
  expect("error('no rows')", NULL, SR_OUTCOME_RAISED, "job.lua:1: no rows");
  expect("return (", NULL, SR_OUTCOME_RAISED, "job.lua:1:");
  expect("\x1bLua", NULL, SR_OUTCOME_RAISED, "binary");
  expect("while true do end", NULL, SR_OUTCOME_BUDGET, "instruction budget of 1000000 exceeded");
  expect("while true do pcall(function() while true do end end) end", NULL, SR_OUTCOME_BUDGET,
         "instruction budget");
  expect("local t = {} for i = 1, 1e9 do t[i] = { i } end", NULL, SR_OUTCOME_MEMORY, "memory limit of");
  expect("return ('x'):rep(2 * 1024 * 1024)", NULL, SR_OUTCOME_STRING, "string length limit");
  expect("return function() end", NULL, SR_OUTCOME_MALFORMED, "has no JSON form");
  expect("local t = {} for i = 1, 200 do t[i] = i end return t", NULL, SR_OUTCOME_MALFORMED, "too large");
}

static void the_sandbox_holds(void)
{
  expect("return io", NULL, SR_OUTCOME_RAISED, "undeclared global 'io'");
  expect("return os.time()", NULL, SR_OUTCOME_RAISED, "undeclared global 'os'");
  expect("return load('return 1')", NULL, SR_OUTCOME_RAISED, "undeclared global 'load'");
  expect("x = 1", NULL, SR_OUTCOME_RAISED, "assignment to undeclared global 'x'");
  expect("return string.dump == nil and math.random == nil", NULL, SR_OUTCOME_OK, "true");
  /* Each chunk has its own library tables: what one changes, the next does not see. */
  expect("string.upper = nil return 1", NULL, SR_OUTCOME_OK, "1");
  expect("return ('a'):upper() .. string.upper('b')", NULL, SR_OUTCOME_OK, "\"AB\"");
}

static void a_failed_chunk_gives_its_memory_back(void)
{
  size_t cap, before = sr_lua_sandbox_memory(sb, &cap);
  CHECK_INT(cap, 4u * 1024 * 1024);
  for(int i = 0; i < 3; i++)
    expect("local t = {} for i = 1, 1e9 do t[i] = { i } end", NULL, SR_OUTCOME_MEMORY, "memory limit");
  CHECK(sr_lua_sandbox_memory(sb, &cap) < before + 64 * 1024);
  expect("return 1 + 1", NULL, SR_OUTCOME_OK, "2");
}

/* Last: the interrupt cannot be undone for the life of the process. */
static void the_interrupt_stops_every_later_chunk(void)
{
  sr_lua_sandbox_interrupt();
  expect("return 1", NULL, SR_OUTCOME_STOPPING, "the server is stopping");
  char why[200];
  struct sr_lua_sandbox *other = sr_lua_sandbox_new(SR_PLUGIN_MEMORY, SR_PLUGIN_CALL_MS, why, sizeof why);
  CHECK(other == NULL);
  CHECK(strstr(why, "the server is stopping") != NULL);
}

/* A table's members come out by name, whatever the state's hash seed: the same answer is the
 * same bytes on every thread and after every restart. */
static void an_answer_is_the_same_bytes_from_every_state(void)
{
  const char *src = "local t = {} for i = 1, 40 do t[string.format('k%02d', i)] = i end return { basis = t }";
  char want[1024] = "{\"basis\":{", *w = want + strlen(want);
  for(int i = 1; i <= 40; i++)
    w += sprintf(w, "%s\"k%02d\":%d", i > 1 ? "," : "", i, i);
  strcpy(w, "}}");
  for(int k = 0; k < 8; k++) {
    char why[400], out[1024];
    struct sr_lua_sandbox *other = sr_lua_sandbox_new(4u * 1024 * 1024, SR_PLUGIN_CALL_MS, why, sizeof why);
    CHECK(other != NULL);
    if(!other)
      return;
    struct sr_lua_sandbox *mine = sb;
    sb = other;
    CHECK_INT(run(src, NULL, out, sizeof out, why, sizeof why), SR_OUTCOME_OK);
    sb = mine;
    CHECK_STR(out, want);
    sr_lua_sandbox_free(other);
  }
}

int main(void)
{
  char why[400];
  sb = sr_lua_sandbox_new(4u * 1024 * 1024, SR_PLUGIN_CALL_MS, why, sizeof why);
  if(!sb) {
    fprintf(stderr, "sr_lua_sandbox_new: %s\n", why);
    return 1;
  }
  RUN(a_chunk_answers_in_json_with_the_host_library);
  RUN(each_way_of_failing_has_its_outcome);
  RUN(the_sandbox_holds);
  RUN(an_answer_is_the_same_bytes_from_every_state);
  RUN(a_failed_chunk_gives_its_memory_back);
  RUN(the_interrupt_stops_every_later_chunk);
  sr_lua_sandbox_free(sb);
  return CHECK_DONE();
}
