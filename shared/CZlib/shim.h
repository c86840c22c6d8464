#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; this typed wrapper is callable from Swift.
static inline int ap_inflate_init2(z_stream *stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
#endif
