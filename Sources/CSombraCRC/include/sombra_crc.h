// Hardware CRC-32C (Castagnoli) for SombraCore's page and WAL checksums.
// The portable table path is in Sources/SombraCore/Encoding/CRC32C.swift; both
// give the same values (tested on the standard vectors).
#ifndef SOMBRA_CRC_H
#define SOMBRA_CRC_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SSE4.2 CRC32 instruction, else 0.
int sombra_crc32c_hw_available(void);

/// Continues a CRC-32C: `crc` is a previous result (0 to start), the return value
/// is the CRC of everything so far. Only call when sombra_crc32c_hw_available().
uint32_t sombra_crc32c_hw(uint32_t crc, const void *data, size_t length);

#endif
