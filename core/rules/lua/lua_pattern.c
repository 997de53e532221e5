/*
 * lua_pattern.c -- Lua 5.4 patterns for plugins: string.find, match, gmatch and gsub on
 * a matcher that charges every step it takes to the call's instruction budget.
 *
 * Lua's own matcher backtracks without bound inside one C call, where the count hook never
 * fires: ("a-"):rep(6).."b" against 80 bytes runs for most of a minute. This one keeps Lua's
 * semantics (classes, sets, anchors, the four quantifiers, captures and position captures,
 * back-references, %b, %f, the replacement forms of gsub; the differential fuzzer
 * tests/fuzz/fuzz_pattern.c holds it to them) and its backtracking order, but counts its steps,
 * so a catastrophic pattern spends its call's budget like any loop and a stopping server reaches
 * it too. Character classes are those of the C locale, whatever the process's locale.
 */
#define _GNU_SOURCE /* memmem */
#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lua_budget.h"
#include "lua_pattern.h"

#define CAP_OPEN (-1) /* capture started, not yet closed */
#define CAP_POS (-2)  /* position capture () */
#define FLUSH_EVERY 256 /* matcher steps gathered before they are charged */

struct capture {
  const char *at;
  ptrdiff_t len; /* >= 0 once closed, or CAP_OPEN, CAP_POS */
};

struct matcher {
  lua_State *L;
  const char *s0, *send; /* the subject */
  const char *pend;      /* end of the pattern */
  int depth;             /* nested match calls still allowed */
  int ncap;
  long steps; /* taken and not yet charged */
  struct capture cap[SR_PATTERN_MAX_CAPTURES];
};

static void flush(struct matcher *m)
{
  long n = m->steps;
  m->steps = 0;
  if(n)
    sr_lua_budget_charge(m->L, n * SR_PATTERN_STEP_COST);
}

static void step(struct matcher *m, long n)
{
  m->steps += n;
  if(m->steps >= FLUSH_EVERY)
    flush(m);
}

static void matcher_init(struct matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
  m->L = L;
  m->s0 = s;
  m->send = s + ls;
  m->pend = p + lp;
  m->steps = 0;
}

/* Before each attempt at a new subject position. */
static void matcher_reset(struct matcher *m)
{
  m->ncap = 0;
  m->depth = SR_PATTERN_MAX_DEPTH;
}

/* ==== single characters ==== */

/* %a %c %d %g %l %p %s %u %w %x %z (upper case: the complement) in the C locale; any other
 * character after % stands for itself. */
static bool class_has(int c, int cl)
{
  int low = cl >= 'A' && cl <= 'Z' ? cl + ('a' - 'A') : cl;
  bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
  bool alpha = upper || lower, graph = c > 32 && c < 127;
  bool r;
  switch(low) {
  case 'a': r = alpha; break;
  case 'c': r = c < 32 || c == 127; break;
  case 'd': r = digit; break;
  case 'g': r = graph; break;
  case 'l': r = lower; break;
  case 'p': r = graph && !alpha && !digit; break;
  case 's': r = c == ' ' || (c >= '\t' && c <= '\r'); break;
  case 'u': r = upper; break;
  case 'w': r = alpha || digit; break;
  case 'x': r = digit || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); break;
  case 'z': r = c == 0; break; /* Lua 5.1's class, still honoured by 5.4 */
  default: return cl == c;
  }
  return cl >= 'A' && cl <= 'Z' ? !r : r;
}

/* Whether <c> is in the set [..] that starts at <p> ('[') and ends at <close> (its ']'). */
static bool set_has(int c, const char *p, const char *close)
{
  bool in = true;
  p++;
  if(*p == '^') {
    in = false;
    p++;
  }
  for(; p < close; p++) {
    if(*p == '%') {
      p++;
      if(class_has(c, (unsigned char)*p))
        return in;
    }
    else if(p[1] == '-' && p + 2 < close) {
      if((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
        return in;
      p += 2;
    }
    else if((unsigned char)*p == c)
      return in;
  }
  return !in;
}

/* The end of the single-character class at <p> (where a quantifier may follow). */
static const char *class_end(struct matcher *m, const char *p)
{
  char c = *p++;
  if(c == '%') {
    if(p == m->pend)
      luaL_error(m->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if(c != '[')
    return p;
  if(*p == '^')
    p++;
  /* The first character of a set is never its end: []] and [^]] hold ']'. */
  do {
    if(p == m->pend)
      luaL_error(m->L, "malformed pattern (missing ']')");
    c = *p++;
    if(c == '%' && p < m->pend)
      p++;
  } while(p == m->pend || *p != ']');
  return p + 1;
}

/* Whether the class p..ep matches the subject character at <s>. */
static bool single(struct matcher *m, const char *s, const char *p, const char *ep)
{
  if(s >= m->send)
    return false;
  int c = (unsigned char)*s;
  switch(*p) {
  case '.':
    return true;
  case '%':
    return class_has(c, (unsigned char)p[1]);
  case '[':
    step(m, (ep - p) / SR_PLUGIN_BYTES_PER_STEP);
    return set_has(c, p, ep - 1);
  default:
    return (unsigned char)*p == c;
  }
}

/* ==== matching ==== */

static const char *match(struct matcher *m, const char *s, const char *p);

/* %bxy at <s>: the end of the balanced run, or NULL. <p> points at x. */
static const char *balanced(struct matcher *m, const char *s, const char *p)
{
  if(p + 1 >= m->pend)
    luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
  if(s >= m->send || *s != *p)
    return NULL;
  char open = p[0], close = p[1];
  int depth = 1;
  for(const char *q = s + 1; q < m->send; q++) {
    step(m, 1);
    if(*q == close) {
      if(--depth == 0)
        return q + 1;
    }
    else if(*q == open)
      depth++;
  }
  return NULL;
}

/* %1..%9 at <s>: the end of a copy of that capture, or NULL. */
static const char *backref(struct matcher *m, const char *s, int digit)
{
  int l = digit - '1';
  if(l < 0 || l >= m->ncap || m->cap[l].len == CAP_OPEN)
    luaL_error(m->L, "invalid capture index %%%d", l + 1);
  /* A position capture has no text: it matches nothing (as in Lua). */
  size_t len = m->cap[l].len == CAP_POS ? (size_t)-1 : (size_t)m->cap[l].len;
  step(m, 1 + (long)(len == (size_t)-1 ? 0 : len / SR_PLUGIN_BYTES_PER_STEP));
  if((size_t)(m->send - s) >= len && memcmp(m->cap[l].at, s, len) == 0)
    return s + len;
  return NULL;
}

static const char *open_capture(struct matcher *m, const char *s, const char *p, ptrdiff_t what)
{
  if(m->ncap >= SR_PATTERN_MAX_CAPTURES)
    luaL_error(m->L, "too many captures");
  m->cap[m->ncap].at = s;
  m->cap[m->ncap].len = what;
  m->ncap++;
  const char *r = match(m, s, p);
  if(!r)
    m->ncap--;
  return r;
}

static const char *close_capture(struct matcher *m, const char *s, const char *p)
{
  int l = m->ncap - 1;
  while(l >= 0 && m->cap[l].len != CAP_OPEN)
    l--;
  if(l < 0)
    luaL_error(m->L, "invalid pattern capture");
  m->cap[l].len = s - m->cap[l].at;
  const char *r = match(m, s, p);
  if(!r)
    m->cap[l].len = CAP_OPEN;
  return r;
}

/* x* and x+ (after its first): the longest run first, giving back one at a time. */
static const char *expand_max(struct matcher *m, const char *s, const char *p, const char *ep)
{
  ptrdiff_t n = 0;
  while(step(m, 1), single(m, s + n, p, ep))
    n++;
  for(; n >= 0; n--) {
    const char *r = match(m, s + n, ep + 1);
    if(r)
      return r;
  }
  return NULL;
}

/* x-: the shortest run first, taking one more at a time. */
static const char *expand_min(struct matcher *m, const char *s, const char *p, const char *ep)
{
  for(;;) {
    const char *r = match(m, s, ep + 1);
    if(r)
      return r;
    step(m, 1);
    if(!single(m, s, p, ep))
      return NULL;
    s++;
  }
}

/* The end of a match of pattern <p> at subject position <s>, or NULL. Recurses where the match
 * may have to come back (quantifiers, captures), loops where it never does. */
static const char *match(struct matcher *m, const char *s, const char *p)
{
  if(m->depth-- == 0)
    luaL_error(m->L, "pattern too complex");
  for(;;) {
    step(m, 1);
    if(p == m->pend)
      break;
    if(*p == '(') {
      bool pos = p + 1 < m->pend && p[1] == ')';
      s = open_capture(m, s, p + (pos ? 2 : 1), pos ? CAP_POS : CAP_OPEN);
      break;
    }
    if(*p == ')') {
      s = close_capture(m, s, p + 1);
      break;
    }
    if(*p == '$' && p + 1 == m->pend) {
      s = s == m->send ? s : NULL;
      break;
    }
    if(*p == '%' && p + 1 < m->pend) {
      char e = p[1];
      if(e == 'b') {
        if(!(s = balanced(m, s, p + 2)))
          break;
        p += 4;
        continue;
      }
      if(e == 'f') {
        p += 2;
        if(p >= m->pend || *p != '[')
          luaL_error(m->L, "missing '[' after '%%f' in pattern");
        const char *ep = class_end(m, p);
        int prev = s == m->s0 ? 0 : (unsigned char)s[-1];
        int cur = s < m->send ? (unsigned char)*s : 0;
        step(m, (ep - p) / SR_PLUGIN_BYTES_PER_STEP);
        if(set_has(prev, p, ep - 1) || !set_has(cur, p, ep - 1)) {
          s = NULL;
          break;
        }
        p = ep;
        continue;
      }
      if(e >= '0' && e <= '9') {
        if(!(s = backref(m, s, e)))
          break;
        p += 2;
        continue;
      }
    }
    /* A single-character class and its quantifier, if any. */
    const char *ep = class_end(m, p);
    char q = ep < m->pend ? *ep : '\0';
    if(!single(m, s, p, ep)) {
      if(q == '*' || q == '?' || q == '-') {
        p = ep + 1;
        continue;
      }
      s = NULL;
      break;
    }
    if(q == '?') {
      const char *r = match(m, s + 1, ep + 1);
      if(r) {
        s = r;
        break;
      }
      p = ep + 1;
      continue;
    }
    if(q == '+' || q == '*') {
      s = expand_max(m, q == '+' ? s + 1 : s, p, ep);
      break;
    }
    if(q == '-') {
      s = expand_min(m, s, p, ep);
      break;
    }
    s++;
    p = ep;
  }
  m->depth++;
  return s;
}

/* ==== captures as values ==== */

/* [-0, +1, e] Capture <i>, or the whole match s..e for i == 0 when there are no captures. */
static void push_capture(struct matcher *m, int i, const char *s, const char *e)
{
  if(i >= m->ncap) {
    if(i != 0)
      luaL_error(m->L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(m->L, s, (size_t)(e - s));
    return;
  }
  const struct capture *c = &m->cap[i];
  if(c->len == CAP_OPEN)
    luaL_error(m->L, "unfinished capture");
  if(c->len == CAP_POS)
    lua_pushinteger(m->L, (lua_Integer)(c->at - m->s0) + 1);
  else
    lua_pushlstring(m->L, c->at, (size_t)c->len);
}

/* [-0, +n, e] Every capture, or the whole match when there are none and <s> is given. */
static int push_captures(struct matcher *m, const char *s, const char *e)
{
  int n = m->ncap == 0 && s ? 1 : m->ncap;
  luaL_checkstack(m->L, n, "too many captures");
  for(int i = 0; i < n; i++)
    push_capture(m, i, s, e);
  return n;
}

/* ==== the library functions ==== */

/* A start position as Lua reads 'init': negative counts from the end, 0 and below-start are 1. */
static size_t start_at(lua_Integer pos, size_t len)
{
  if(pos > 0)
    return (size_t)pos;
  if(pos == 0 || pos < -(lua_Integer)len)
    return 1;
  return len + (size_t)pos + 1;
}

static bool plain_pattern(const char *p, size_t lp)
{
  for(size_t i = 0; i < lp; i++)
    if(p[i] && strchr("^$*+?.([%-", p[i]))
      return false;
  return true;
}

/* [-(2..4), +n, e] string.find (find) and string.match (!find) */
static int find_or_match(lua_State *L, bool find)
{
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
  if(init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if(find && (lua_toboolean(L, 4) || plain_pattern(p, lp))) {
    sr_lua_budget_charge(L, 1 + (long)((ls - init + lp) / SR_PLUGIN_BYTES_PER_STEP));
    const char *at = memmem(s + init, ls - init, p, lp); /* linear time in glibc */
    if(!at) {
      luaL_pushfail(L);
      return 1;
    }
    lua_pushinteger(L, (lua_Integer)(at - s) + 1);
    lua_pushinteger(L, (lua_Integer)(at - s + lp));
    return 2;
  }
  struct matcher m;
  bool anchor = lp > 0 && *p == '^';
  if(anchor) {
    p++;
    lp--;
  }
  matcher_init(&m, L, s, ls, p, lp);
  const char *from = s + init;
  do {
    matcher_reset(&m);
    const char *e = match(&m, from, p);
    if(e) {
      flush(&m);
      if(!find)
        return push_captures(&m, from, e);
      lua_pushinteger(L, (lua_Integer)(from - s) + 1);
      lua_pushinteger(L, (lua_Integer)(e - s));
      return push_captures(&m, NULL, NULL) + 2;
    }
  } while(from++ < m.send && !anchor);
  flush(&m);
  luaL_pushfail(L);
  return 1;
}

static int l_find(lua_State *L) { return find_or_match(L, true); }
static int l_match(lua_State *L) { return find_or_match(L, false); }

struct gmatch_state {
  const char *src, *p, *last;
  struct matcher m;
};

/* The iterator: upvalues are the subject, the pattern and the state. */
static int gmatch_next(lua_State *L)
{
  struct gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
  g->m.L = L;
  for(const char *src = g->src; src <= g->m.send; src++) {
    matcher_reset(&g->m);
    const char *e = match(&g->m, src, g->p);
    if(e && e != g->last) {
      g->src = g->last = e;
      flush(&g->m);
      return push_captures(&g->m, src, e);
    }
  }
  flush(&g->m);
  return 0;
}

/* [-(2|3), +1, e] string.gmatch(s, pattern [, init]); '^' is an ordinary character here, as in
 * Lua 5.4, since an anchor would stop the iteration. */
static int l_gmatch(lua_State *L)
{
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2); /* the closure keeps both strings alive */
  struct gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
  if(init > ls)
    init = ls + 1;
  matcher_init(&g->m, L, s, ls, p, lp);
  g->src = s + init;
  g->p = p;
  g->last = NULL;
  lua_pushcclosure(L, gmatch_next, 3);
  return 1;
}

/* A replacement string: %0..%9 are the match and its captures, %% a percent sign. */
static void add_template(struct matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
  size_t l;
  const char *r = lua_tolstring(m->L, 3, &l);
  const char *end = r + l;
  step(m, 1 + (long)(l / SR_PLUGIN_BYTES_PER_STEP));
  while(r < end) {
    const char *pct = memchr(r, '%', (size_t)(end - r));
    if(!pct) {
      luaL_addlstring(b, r, (size_t)(end - r));
      return;
    }
    luaL_addlstring(b, r, (size_t)(pct - r));
    char d = pct + 1 < end ? pct[1] : '\0';
    if(d == '%')
      luaL_addchar(b, '%');
    else if(d == '0')
      luaL_addlstring(b, s, (size_t)(e - s));
    else if(d >= '1' && d <= '9') {
      push_capture(m, d - '1', s, e);
      luaL_addvalue(b);
    }
    else
      luaL_error(m->L, "invalid use of '%c' in replacement string", '%');
    r = pct + 2;
  }
}

/* Appends the replacement of the match s..e; false if the match was kept as it was. */
static bool add_value(struct matcher *m, luaL_Buffer *b, const char *s, const char *e, int tr)
{
  lua_State *L = m->L;
  if(tr == LUA_TFUNCTION) {
    flush(m);
    lua_pushvalue(L, 3);
    int n = push_captures(m, s, e);
    lua_call(L, n, 1);
  }
  else if(tr == LUA_TTABLE) {
    push_capture(m, 0, s, e);
    lua_gettable(L, 3);
  }
  else {
    add_template(m, b, s, e);
    return true;
  }
  if(!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return false;
  }
  if(!lua_isstring(L, -1))
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return true;
}

/* [-(3|4), +2, e] string.gsub(s, pattern, repl [, n]) */
static int l_gsub(lua_State *L)
{
  size_t ls, lp;
  const char *src = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  int tr = lua_type(L, 3);
  lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  bool anchor = lp > 0 && *p == '^';
  if(anchor) {
    p++;
    lp--;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  struct matcher m;
  matcher_init(&m, L, src, ls, p, lp);
  const char *last = NULL;
  lua_Integer n = 0;
  bool changed = false;
  while(n < max) {
    matcher_reset(&m);
    const char *e = match(&m, src, p);
    if(e && e != last) {
      n++;
      changed = add_value(&m, &b, src, e, tr) || changed;
      src = last = e;
    }
    else if(src < m.send)
      luaL_addchar(&b, *src++);
    else
      break;
    if(anchor)
      break;
  }
  flush(&m);
  if(!changed)
    lua_pushvalue(L, 1);
  else {
    luaL_addlstring(&b, src, (size_t)(m.send - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

static const luaL_Reg pattern_funcs[] = {
  { "find", l_find }, { "match", l_match }, { "gmatch", l_gmatch }, { "gsub", l_gsub }, { NULL, NULL },
};

void sr_lua_pattern_open(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  lua_pushvalue(L, idx);
  luaL_setfuncs(L, pattern_funcs, 0);
  lua_pop(L, 1);
}
