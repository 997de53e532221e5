/*
 * test_pattern.c -- the sandbox's pattern matcher against Lua's own string library, with the
 * comparison of tests/fuzz/fuzz_pattern.c (linked in): the patterns plugins really write (dates,
 * codes, trimming, splitting on commas) and a few hundred thousand generated ones, so that the
 * differential check runs in every build, not only when libFuzzer is at hand.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* control byte (function, replacement, init, plain, max), init, then subject \n pattern \n repl */
static void run(unsigned ctl, int init, const char *s, const char *p, const char *r)
{
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%c%c%s\n%s\n%s", (char)ctl, (char)init, s, p, r);
  LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)n);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned next(unsigned n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static void random_text(char *out, size_t max, const char *alphabet)
{
  size_t n = next((unsigned)max), k = strlen(alphabet);
  for(size_t i = 0; i < n; i++)
    out[i] = alphabet[next((unsigned)k)];
  out[n] = '\0';
}

int main(void)
{
  static const char *const realistic[][2] = {
    { "2024-05-01", "^(%d%d%d%d)-(%d%d)-(%d%d)$" },
    { "2024-5-01", "^(%d%d%d%d)-(%d%d)-(%d%d)$" },
    { "  压缩空气 ", "^%s*(.-)%s*$" },
    { "a,b,,c", "([^,]*)" },
    { "a, b ,c", "%s*([^,]-)%s*," },
    { "311051123201900001", "^(%d%d%d%d)(%d%d%d%d%d%d)(%d%d%d%d)(%d+)$" },
    { "91350100M000100Y43", "^[0-9A-HJ-NPQRTUWXY]+$" },
    { "梯11川A00012(26)", "^(.-)(%d+)川(%u)(%d+)%((%d%d)%)$" },
    { "THE (quick) fox", "%f[%a]%a+" },
    { "f(a(b)c)d", "%b()" },
    { "hello world from Lua", "(%w+) (%w+)" },
    { "abc=123, x=9", "(%w+)=(%w+)" },
    { "  trim  ", "^%s+" },
    { "x", "()x()" },
    { "aaa", "a-" },
    { "aaa", "a*?" },
    { "", "" },
    { "abc", "" },
  };
  size_t nr = sizeof realistic / sizeof *realistic;
  for(size_t i = 0; i < nr; i++)
    for(unsigned ctl = 0; ctl < 128; ctl++)
      run(ctl, 0, realistic[i][0], realistic[i][1], "<%1|%0|%%>");
  char s[64], p[24], r[16];
  int count = 300000;
  for(int i = 0; i < count; i++) {
    random_text(s, 24, "aabbxyz(),1 -\t^$%.");
    random_text(p, 14, "ab.%()[]^$*+-?12dwsfbxz,aa");
    random_text(r, 8, "%0129ab");
    run(next(128), (int)next(256) - 128, s, p, r);
  }
  printf("%zu realistic patterns and %d generated ones agree with Lua's own\n", nr, count);
  printf("1 passed, 0 failed\n");
  return 0;
}
