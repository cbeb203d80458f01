// LEMON (liblemon-dev) is C++; this system-library target only carries its pkg-config link flags
// (-llemon) to the C++ shim target CLemon. Its only header is LEMON's plain-C configuration.
#include <lemon/config.h>
