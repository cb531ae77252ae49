// Printing the front end's verdict for commands that go on to do something
// with the policy (compile, explain, verify): problems in `vigil check` form.
#pragma once

#include "compiler/frontend.h"

namespace vigil::cli {

// Prints I/O errors and diagnostics to stderr. Returns kExitOk when there is
// a policy to go on with, else the exit code (2: I/O, 1: policy errors).
int report_front_end(const FrontEndResult& front_end);

}  // namespace vigil::cli
