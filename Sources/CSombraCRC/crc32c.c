// CRC-32C with the SSE4.2 `crc32` instruction, eight bytes at a time.
// Pre- and post-inversion are done here so the result composes like zlib's crc32:
// crc(a ++ b) == sombra_crc32c_hw(sombra_crc32c_hw(0, a), b).
#include "sombra_crc.h"
#include <string.h>

#if defined(__x86_64__)

int sombra_crc32c_hw_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t sombra_crc32c_hw(uint32_t crc, const void *data, size_t length) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t c = (uint32_t)~crc;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
    p += 8;
    length -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (length > 0) {
    c32 = __builtin_ia32_crc32qi(c32, *p);
    p += 1;
    length -= 1;
  }
  return ~c32;
}

#else

int sombra_crc32c_hw_available(void) { return 0; }

uint32_t sombra_crc32c_hw(uint32_t crc, const void *data, size_t length) {
  (void)data;
  (void)length;
  return crc;
}

#endif
