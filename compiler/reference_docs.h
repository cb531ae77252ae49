// Reference documentation generated from the schema tables, so the docs can
// never disagree with the compiler (docs/fields.md is checked by a test).
#pragma once

#include <string>

namespace vigil {

// Markdown: every event with its fields, then every field with its type and
// where it is computed, then the operators.
std::string generate_field_reference();

}  // namespace vigil
