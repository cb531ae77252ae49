// Turning values into C text. Only numbers and sanitised comments reach the
// generated C from a policy: strings become automaton data, never literals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::codegen {

// A comment body that cannot end the comment or continue onto the next line:
// printable ASCII except '*' before '/', '\\' and control bytes, which become '?'.
std::string c_comment_text(std::string_view text);

// An int64_t as a C expression of type long long (INT64_MIN needs care).
std::string c_int64(int64_t value);

// A uint64_t as a C literal: 0x...ULL.
std::string c_uint64(uint64_t value);

}  // namespace vigil::codegen
