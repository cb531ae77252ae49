// Decoding one UTF-8 sequence of untrusted bytes, strictly (no overlong
// forms, surrogates or code points past U+10FFFF). Shared by the alert
// formats: JSON replaces what is broken, the text form escapes it.
#pragma once

#include <cstddef>

namespace vigil::runtime {

struct Utf8Sequence {
  bool valid = false;
  char32_t code_point = 0;  // when valid
  // Bytes the sequence takes. When broken: the bytes before the one that
  // broke it (at least 1), or all of them when the input ends first; the
  // byte that broke it starts what follows (nlohmann's replace rule).
  size_t length = 0;
};

// The sequence starting at text[0], a non-ASCII byte; size >= 1.
inline Utf8Sequence decode_utf8(const unsigned char* text, size_t size) {
  const unsigned char lead = text[0];
  Utf8Sequence sequence;
  unsigned char low = 0x80, high = 0xbf;  // the second byte's range
  if (lead >= 0xc2 && lead <= 0xdf) {
    sequence.length = 2;
    sequence.code_point = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    sequence.length = 3;
    sequence.code_point = lead & 0x0f;
    if (lead == 0xe0) low = 0xa0;   // overlong below
    if (lead == 0xed) high = 0x9f;  // surrogates above
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    sequence.length = 4;
    sequence.code_point = lead & 0x07;
    if (lead == 0xf0) low = 0x90;   // overlong below
    if (lead == 0xf4) high = 0x8f;  // past U+10FFFF above
  } else {
    sequence.length = 1;  // a byte no sequence starts with
    return sequence;
  }
  for (size_t k = 1; k < sequence.length; ++k) {
    if (k == size) {  // cut off by the end of the input
      sequence.length = size;
      return sequence;
    }
    const unsigned char next = text[k];
    if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xbf)) {
      sequence.length = k;
      return sequence;
    }
    sequence.code_point = (sequence.code_point << 6) | (next & 0x3f);
  }
  sequence.valid = true;
  return sequence;
}

}  // namespace vigil::runtime
