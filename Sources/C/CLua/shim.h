/* Debian's liblua5.4-dev puts the headers in /usr/include/lua5.4; naming the
 * folder here (instead of pkg-config's -I) keeps the link flag out of this
 * module, so that the Lua module (`require "optlab"`) does not link a second
 * Lua into a host that already has one. See Sources/LuaLink. */
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
