#ifndef OPTLAB_CSHIMS_H
#define OPTLAB_CSHIMS_H
#include <lua.h>

/* Version string of the linked Lua library, for `optlab --version`. */
const char *optlab_lua_version(void);

#endif
