/* tests/crc32_ref.h - a CRC-32 (IEEE 802.3, as zlib's crc32) computed bit by
   bit, independent of the library's table-driven one, for the test driver and
   the fuzz harnesses to check and forge checkpoint trailers with. Needs
   <stddef.h> and <stdint.h> (tinygpt.h includes both). */
#ifndef TINYGPT_TESTS_CRC32_REF_H
#define TINYGPT_TESTS_CRC32_REF_H

static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

#endif
