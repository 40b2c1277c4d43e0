#ifndef OPTLAB_CLUAMODULE_H
#define OPTLAB_CLUAMODULE_H
#include <lua5.4/lua.h>

/* Implemented in Swift (Sources/OptLabLuaModule): installs optlab's runtime into
 * L's state once, and returns the registry reference of the table that
 * `require "optlab"` gives; 0 on failure, with *error a malloc'd message. */
int optlab_module_open(lua_State *L, char **error);

/* The entry points Lua's C loader looks for: optlab, and optlab.<library>
 * (Lua's all-in-one loader finds `require "optlab.nn"` in optlab.so). */
int luaopen_optlab(lua_State *L);
int luaopen_optlab_tensor(lua_State *L);
int luaopen_optlab_nn(lua_State *L);
int luaopen_optlab_data(lua_State *L);
int luaopen_optlab_optim(lua_State *L);
int luaopen_optlab_train(lua_State *L);
int luaopen_optlab_check(lua_State *L);
int luaopen_optlab_monitor(lua_State *L);
int luaopen_optlab_hp(lua_State *L);
int luaopen_optlab_autograd(lua_State *L);
#endif
