// Escaping of untrusted bytes for one-line output (alerts, test reports,
// printed values): a string from an event or a test file must not be able to
// forge lines of the output.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// Appends `text` with control bytes escaped (\n, \t, \xHH); every other
// byte, including invalid UTF-8, is copied unchanged.
void append_control_escaped(std::string& out, std::string_view text);

std::string escape_control_bytes(std::string_view text);

}  // namespace vigil
