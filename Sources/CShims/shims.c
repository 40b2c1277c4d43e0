#include "CShims.h"

const char *optlab_lua_version(void) { return LUA_RELEASE; }
