/* The Lua module's entry points. They are C because they may raise: the
 * Swift side sets up the runtime and reports failure as a message, and only
 * here, after Swift has returned, is it raised (no longjmp through Swift). */
#include "CLuaModule.h"
#include <lua5.4/lauxlib.h>
#include <stdlib.h>

static int open_library(lua_State *L, const char *library) {
  char *error = NULL;
  int ref = optlab_module_open(L, &error);
  if (ref == 0) {
    lua_pushstring(L, error ? error : "optlab: cannot load the runtime");
    free(error);
    return lua_error(L);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  if (library) lua_getfield(L, -1, library);
  return 1;
}

int luaopen_optlab(lua_State *L) { return open_library(L, NULL); }
int luaopen_optlab_tensor(lua_State *L) { return open_library(L, "tensor"); }
int luaopen_optlab_nn(lua_State *L) { return open_library(L, "nn"); }
int luaopen_optlab_data(lua_State *L) { return open_library(L, "data"); }
int luaopen_optlab_optim(lua_State *L) { return open_library(L, "optim"); }
int luaopen_optlab_train(lua_State *L) { return open_library(L, "train"); }
int luaopen_optlab_check(lua_State *L) { return open_library(L, "check"); }
int luaopen_optlab_monitor(lua_State *L) { return open_library(L, "monitor"); }
int luaopen_optlab_hp(lua_State *L) { return open_library(L, "hp"); }
int luaopen_optlab_autograd(lua_State *L) { return open_library(L, "autograd"); }
