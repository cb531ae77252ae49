// The product version, reported by every command and in alerts and status.
#pragma once
#include <string_view>
namespace vigil {
inline constexpr std::string_view kVersion = "0.1.0";
}
