/*
 * The Lua side of the Swift bridge: the trampoline through which every
 * Lua-callable Swift function is entered, the pushing of result trees, the
 * boxes that hold Swift objects, and small protected helpers.
 */
#include "CLuaBridge.h"
#include <lua5.4/lualib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static optlab_hooks g_hooks;

/* {{{ pushing values */

/* A new userdata boxing a retained Swift object. Each push makes a new box
 * (a cache keyed by object was measured at a quarter of a small op's cost);
 * __eq compares the objects, so two boxes of one tensor are equal. */
static void push_object(lua_State *L, void *obj, int mtref, long long uvref) {
  void **box = (void **)lua_newuserdatauv(L, sizeof(void *), uvref > 0 ? 1 : 0);
  *box = obj;
  lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)mtref);
  lua_setmetatable(L, -2);
  if (uvref > 0) {   /* a Lua module's own table, for __index to answer in C */
    lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)uvref);
    lua_setiuservalue(L, -2, 1);
  }
}

static void push_value(lua_State *L, optlab_value *v) {
  luaL_checkstack(L, 4, "nested results");
  switch (v->kind) {
  case OPTLAB_BOOL: lua_pushboolean(L, v->number != 0); break;
  case OPTLAB_NUMBER: lua_pushnumber(L, (lua_Number)v->number); break;
  case OPTLAB_INTEGER: lua_pushinteger(L, (lua_Integer)v->integer); break;
  case OPTLAB_STRING: {
    char *s = v->string;
    v->string = NULL;
    lua_pushlstring(L, s ? s : "", s ? v->length : 0);
    free(s);
    break;
  }
  case OPTLAB_OBJECT: {
    void *obj = v->object;
    v->object = NULL;                  /* consumed: kept by the userdata or released */
    push_object(L, obj, (int)v->integer, v->uservalue);
    break;
  }
  case OPTLAB_ARRAY: {
    optlab_value *items = v->items;
    v->items = NULL;
    lua_createtable(L, v->count, 0);
    for (int i = 0; i < v->count; i++) {
      push_value(L, &items[i]);
      lua_rawseti(L, -2, i + 1);
    }
    free(items);
    break;
  }
  case OPTLAB_RECORD: {
    optlab_value *items = v->items;
    char **keys = v->keys;
    v->items = NULL;
    v->keys = NULL;
    lua_createtable(L, 0, v->count);
    for (int i = 0; i < v->count; i++) {
      lua_pushstring(L, keys[i]);
      free(keys[i]);
      push_value(L, &items[i]);
      lua_rawset(L, -3);
    }
    free(items);
    free(keys);
    break;
  }
  case OPTLAB_STACK: lua_pushvalue(L, (int)v->integer); break;
  case OPTLAB_REF: lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)v->integer); break;
  default: lua_pushnil(L); break;
  }
}

void optlab_free_value(optlab_value *v) {
  switch (v->kind) {
  case OPTLAB_STRING: free(v->string); v->string = NULL; break;
  case OPTLAB_OBJECT: if (v->object) g_hooks.release(v->object); v->object = NULL; break;
  case OPTLAB_ARRAY:
  case OPTLAB_RECORD:
    for (int i = 0; i < v->count; i++) {
      if (v->items) optlab_free_value(&v->items[i]);
      if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    v->items = NULL;
    v->keys = NULL;
    break;
  default: break;
  }
}

/* }}} */

/* {{{ the trampoline */

/* Pushes "chunk:line: " for the innermost frame that is the user's: not a C
 * function (pcall, a metamethod's caller) and not optlab's own Lua (chunks
 * named "@optlab/..."). An error raised inside optlab, or through pcall,
 * then points at the line the user wrote, as luaL_where does for direct calls. */
static void push_user_where(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar)) break;
    if (ar.currentline > 0 && strncmp(ar.source, "@optlab/", 8) != 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

/* Calls the Swift body; after it has returned, pushes its results or raises its error. */
static int run_swift(lua_State *L, void *ctx) {
  optlab_frame frame;
  frame.nresults = 0;
  frame.error = NULL;
  frame.error_has_position = 0;
  int base = lua_gettop(L);
  int status = g_hooks.dispatch(L, ctx, &frame);
  if (status < 0) {
    lua_settop(L, base);
    for (int i = 0; i < frame.nresults; i++) optlab_free_value(&frame.results[i]);
    if (frame.error_has_position) lua_pushliteral(L, "");
    else push_user_where(L);
    lua_pushstring(L, frame.error ? frame.error : "error");
    free(frame.error);
    lua_concat(L, 2);
    return lua_error(L);   /* the only lua_error in optlab, reached after Swift returned */
  }
  /* Push the results above whatever the body left (a callback's results may be
   * among them, named by OPTLAB_STACK), then drop the leftovers below them. */
  int top = lua_gettop(L);
  luaL_checkstack(L, frame.nresults + 4, "too many results");
  for (int i = 0; i < frame.nresults; i++) push_value(L, &frame.results[i]);
  if (top > base) {
    lua_rotate(L, base + 1, -(top - base));
    lua_settop(L, base + frame.nresults);
  }
  return frame.nresults;
}

static int trampoline(lua_State *L) {
  return run_swift(L, lua_touserdata(L, lua_upvalueindex(1)));
}

/* __index for objects with both methods and computed properties: string keys
 * found in the methods table are answered in C; the rest go to Swift. */
static int index_with_fallback(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    /* a Lua module's own table (its plain fields, its children, its class's
     * methods): answered here, without entering Swift */
    if (lua_type(L, 1) == LUA_TUSERDATA && lua_getiuservalue(L, 1, 1) == LUA_TTABLE) {
      lua_pushvalue(L, 2);
      if (lua_gettable(L, -2) != LUA_TNIL) return 1;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return run_swift(L, lua_touserdata(L, lua_upvalueindex(2)));
}

/* Two boxes are equal when they hold the same Swift object. */
static int object_eq(lua_State *L) {
  void **a = (void **)lua_touserdata(L, 1), **b = (void **)lua_touserdata(L, 2);
  lua_pushboolean(L, a && b && lua_rawlen(L, 1) == sizeof(void *) && lua_rawlen(L, 2) == sizeof(void *) && *a == *b);
  return 1;
}

static int object_gc(lua_State *L) {
  void **box = (void **)lua_touserdata(L, 1);
  if (box && *box) {
    void *obj = *box;
    *box = NULL;
    g_hooks.release(obj);
  }
  return 0;
}

void *optlab_object_at(lua_State *L, int index, int metatable_ref) {
  if (lua_type(L, index) != LUA_TUSERDATA || !lua_getmetatable(L, index)) return NULL;
  lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)metatable_ref);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  if (!same) return NULL;
  void **box = (void **)lua_touserdata(L, index);
  return box ? *box : NULL;
}

/* }}} */

/* {{{ protected helpers: the raising work, run under lua_pcall */

static int protect(lua_State *L, lua_CFunction f, void *ud) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, ud);
  return lua_pcall(L, 1, 0, 0);
}

static int k_init(lua_State *L) {
  (void)L;
  return 0;
}

int optlab_init(lua_State *L, const optlab_hooks *hooks) {
  g_hooks = *hooks;
  return protect(L, k_init, NULL);
}

struct newmt_args { const char *name; int methods_ref; void *ctx; int ref; };

static int k_newmt(lua_State *L) {
  struct newmt_args *a = (struct newmt_args *)lua_touserdata(L, 1);
  luaL_newmetatable(L, a->name);
  lua_pushcfunction(L, object_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, object_eq);
  lua_setfield(L, -2, "__eq");
  if (a->methods_ref > 0) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->methods_ref);
    if (a->ctx) {
      lua_pushlightuserdata(L, a->ctx);
      lua_pushcclosure(L, index_with_fallback, 2);
    }
    lua_setfield(L, -2, "__index");
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->methods_ref);
    lua_setfield(L, -2, "__methods");   /* for completion and help */
  }
  a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int optlab_new_metatable(lua_State *L, const char *name, int methods_ref, void *index_fn_ctx) {
  struct newmt_args a = { name, methods_ref, index_fn_ctx, 0 };
  if (protect(L, k_newmt, &a) != LUA_OK) { lua_pop(L, 1); return 0; }
  return a.ref;
}

static int k_newtable(lua_State *L) {
  int *ref = (int *)lua_touserdata(L, 1);
  lua_newtable(L);
  *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int optlab_p_newtable(lua_State *L, int *ref_out) { return protect(L, k_newtable, ref_out); }

struct setfn_args { int table_ref; const char *name; void *ctx; const optlab_value *value; };

static int k_setfunction(lua_State *L) {
  struct setfn_args *a = (struct setfn_args *)lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->table_ref);
  lua_pushstring(L, a->name);
  lua_pushlightuserdata(L, a->ctx);
  lua_pushcclosure(L, trampoline, 1);
  lua_rawset(L, -3);
  return 0;
}

int optlab_p_setfunction(lua_State *L, int table_ref, const char *name, void *ctx) {
  struct setfn_args a = { table_ref, name, ctx, NULL };
  return protect(L, k_setfunction, &a);
}


static int k_setvalue(lua_State *L) {
  struct setfn_args *a = (struct setfn_args *)lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->table_ref);
  lua_pushstring(L, a->name);
  push_value(L, (optlab_value *)a->value);
  lua_rawset(L, -3);
  return 0;
}

int optlab_p_setvalue(lua_State *L, int table_ref, const char *name, const optlab_value *v) {
  struct setfn_args a = { table_ref, name, NULL, v };
  return protect(L, k_setvalue, &a);
}

struct global_args { const char *name; int ref; };

static int k_setglobal(lua_State *L) {
  struct global_args *a = (struct global_args *)lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->ref);
  lua_setglobal(L, a->name);
  return 0;
}

int optlab_p_setglobal_ref(lua_State *L, const char *name, int ref) {
  struct global_args a = { name, ref };
  return protect(L, k_setglobal, &a);
}

static int return_upvalue(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  return 1;
}

static int k_preload(lua_State *L) {
  struct global_args *a = (struct global_args *)lua_touserdata(L, 1);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->ref);
  lua_pushcclosure(L, return_upvalue, 1);
  lua_setfield(L, -2, a->name);
  return 0;
}

int optlab_p_preload(lua_State *L, const char *modname, int table_ref) {
  struct global_args a = { modname, table_ref };
  return protect(L, k_preload, &a);
}

static int k_push(lua_State *L) {
  optlab_value *v = (optlab_value *)lua_touserdata(L, 1);
  push_value(L, v);
  return 1;
}

int optlab_p_push(lua_State *L, const optlab_value *v) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_push);
  lua_pushlightuserdata(L, (void *)v);
  return lua_pcall(L, 1, 1, 0);   /* leaves the value (or the error message) on top */
}

static int k_openlibs(lua_State *L) {
  (void)lua_touserdata(L, 1);
  luaL_openlibs(L);
  return 0;
}

int optlab_p_openlibs(lua_State *L) { return protect(L, k_openlibs, NULL); }

static int k_tostring(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

int optlab_p_tostring(lua_State *L, int index) {
  int abs = lua_absindex(L, index);
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_tostring);
  lua_pushvalue(L, abs);
  return lua_pcall(L, 1, 1, 0);
}

static int k_ref(lua_State *L) {
  int *ref = (int *)lua_touserdata(L, 1);
  lua_pushvalue(L, 2);
  *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int optlab_p_ref(lua_State *L, int *ref_out) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_ref);
  lua_pushlightuserdata(L, ref_out);
  lua_pushvalue(L, -3);            /* the value to reference */
  int status = lua_pcall(L, 2, 0, 0);
  if (status == LUA_OK) lua_pop(L, 1);
  return status;
}

/* lua.c's message handler: a traceback after the message. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int optlab_pcall_traceback(lua_State *L, int nargs, int nresults) {
  int base = lua_gettop(L) - nargs;
  if (!lua_checkstack(L, 2)) return LUA_ERRMEM;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  int status = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  return status;
}

struct load_args { const char *code; size_t len; const char *name; };

static int k_loadstring(lua_State *L) {
  struct load_args *a = (struct load_args *)lua_touserdata(L, 1);
  if (luaL_loadbufferx(L, a->code, a->len, a->name, "t") != LUA_OK) return lua_error(L);
  return 1;
}

int optlab_p_loadbuffer(lua_State *L, const char *code, size_t len, const char *chunkname) {
  struct load_args a = { code, len, chunkname };
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_loadstring);
  lua_pushlightuserdata(L, &a);
  return lua_pcall(L, 1, 1, 0);   /* leaves the chunk (or the error message) on top */
}

int optlab_p_dostring(lua_State *L, const char *code, size_t len, const char *chunkname, int nresults) {
  struct load_args a = { code, len, chunkname };
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_loadstring);
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 1, 0);
  if (status != LUA_OK) return status;
  return optlab_pcall_traceback(L, 0, nresults);
}

static int k_loadfile(lua_State *L) {
  const char *path = (const char *)lua_touserdata(L, 1);
  if (luaL_loadfilex(L, path, NULL) != LUA_OK) return lua_error(L);
  return 1;
}

/* Loads a file (NULL: stdin; a first line starting with '#' is skipped) and leaves
 * the chunk on the stack; nresults < -1 means "load only". */
int optlab_p_dofile(lua_State *L, const char *path, int nresults) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_loadfile);
  lua_pushlightuserdata(L, (void *)path);
  int status = lua_pcall(L, 1, 1, 0);
  if (status != LUA_OK || nresults < -1) return status;
  return optlab_pcall_traceback(L, 0, nresults);
}

/* }}} */

/* {{{ anchors: a Swift object kept alive by a state it does not own */

/* A full userdata at registry[key] holding a retained pointer; its __gc
 * releases it when the host closes the state (the Lua module's runtime). */
struct anchor_args { const char *key; void *object; };

static int k_anchor(lua_State *L) {
  struct anchor_args *a = (struct anchor_args *)lua_touserdata(L, 1);
  void **box = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
  *box = a->object;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, object_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, a->key);
  return 0;
}

int optlab_p_anchor(lua_State *L, const char *key, void *object) {
  struct anchor_args a = { key, object };
  int status = protect(L, k_anchor, &a);
  if (status != LUA_OK) lua_pop(L, 1);
  return status;
}

void *optlab_anchored(lua_State *L, const char *key) {
  void *object = NULL;
  if (lua_getfield(L, LUA_REGISTRYINDEX, key) == LUA_TUSERDATA && lua_rawlen(L, -1) == sizeof(void *))
    object = *(void **)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return object;
}

lua_State *optlab_main_thread(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lua_State *main = lua_tothread(L, -1);
  lua_pop(L, 1);
  return main;
}

/* }}} */

/* {{{ interrupts, as lua.c does them */

static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

void optlab_interrupt(lua_State *L) {
  lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* }}} */

const char *optlab_lua_version(void) { return LUA_RELEASE; }

/* {{{ small wrappers */

void optlab_full_gc(lua_State *L) { lua_gc(L, LUA_GCCOLLECT); }
/* One basic step: in generational mode a minor (young) collection, unless
 * the collector's own accounting calls for a major one. */
void optlab_young_gc(lua_State *L) { lua_gc(L, LUA_GCSTEP, 0); }

int optlab_gc_kbytes(lua_State *L) { return lua_gc(L, LUA_GCCOUNT); }

static int k_getglobal(lua_State *L) {
  lua_getglobal(L, (const char *)lua_touserdata(L, 1));
  return 1;
}

int optlab_p_getglobal(lua_State *L, const char *name) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_getglobal);
  lua_pushlightuserdata(L, (void *)name);
  return lua_pcall(L, 1, 1, 0);
}

static int k_setglobal_top(lua_State *L) {
  lua_pushvalue(L, 2);
  lua_setglobal(L, (const char *)lua_touserdata(L, 1));
  return 0;
}

int optlab_p_setglobal(lua_State *L, const char *name) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, k_setglobal_top);
  lua_pushlightuserdata(L, (void *)name);
  lua_pushvalue(L, -3);
  int status = lua_pcall(L, 2, 0, 0);
  if (status == LUA_OK) lua_pop(L, 1);
  return status;
}

/* }}} */

/* {{{ SIGINT, as lua.c: the first Ctrl-C asks the running Lua code to stop
 * (a hook raises "interrupted!" at its next instruction); a second one,
 * before the hook fired, kills the process as the default action would. */

static lua_State *volatile g_sigint_state = NULL;
static volatile sig_atomic_t g_interrupt_pending;

static void on_sigint(int sig) {
  signal(sig, SIG_DFL);
  g_interrupt_pending = 1;
  if (g_sigint_state) optlab_interrupt(g_sigint_state);
}

void optlab_catch_sigint(lua_State *L) {
  g_interrupt_pending = 0;
  g_sigint_state = L;
  signal(SIGINT, on_sigint);
}

void optlab_release_sigint(void) {
  signal(SIGINT, SIG_DFL);
  g_sigint_state = NULL;
}

/* }}} */

/* Lua 5.4's generational collector: most tensors a script makes die young
 * (each op's result), which is what it is built for; measured at 0.68 ->
 * 0.40 us for `x + y` on small tensors. */
void optlab_gc_generational(lua_State *L) { lua_gc(L, LUA_GCGEN, 0, 0); }

/* Interrupts from another thread (the notebook kernel's control channel):
 * the same effect as Ctrl-C, with no signal involved. The lock keeps a
 * request from landing on a state whose cell has just finished. */
static pthread_mutex_t g_watch_lock = PTHREAD_MUTEX_INITIALIZER;

void optlab_watch_interrupts(lua_State *L) {
  pthread_mutex_lock(&g_watch_lock);
  g_interrupt_pending = 0;
  g_sigint_state = L;
  pthread_mutex_unlock(&g_watch_lock);
}

void optlab_unwatch_interrupts(void) {
  pthread_mutex_lock(&g_watch_lock);
  if (g_sigint_state) lua_sethook(g_sigint_state, NULL, 0, 0);
  g_sigint_state = NULL;
  g_interrupt_pending = 0;
  pthread_mutex_unlock(&g_watch_lock);
}

int optlab_request_interrupt(void) {
  pthread_mutex_lock(&g_watch_lock);
  int running = g_sigint_state != NULL;
  if (running) {
    g_interrupt_pending = 1;
    optlab_interrupt(g_sigint_state);
  }
  pthread_mutex_unlock(&g_watch_lock);
  return running;
}

/* Long loops inside Swift (train.fit) never reach a Lua hook; they poll this. */
int optlab_take_interrupt(void) {
  int pending = g_interrupt_pending;
  g_interrupt_pending = 0;
  /* the Swift loop takes the interrupt as its own error: the hook must not
   * raise "interrupted!" over that error once Lua runs again */
  if (pending && g_sigint_state) lua_sethook(g_sigint_state, NULL, 0, 0);
  return pending;
}
