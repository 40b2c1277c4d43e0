#ifndef OPTLAB_CLUABRIDGE_H
#define OPTLAB_CLUABRIDGE_H
/*
 * C side of optlab's Lua bindings.
 *
 * The rule (docs/DESIGN.md): lua_error longjmps, and a longjmp across Swift
 * frames is undefined behaviour. So Swift never calls a Lua API function that
 * can raise. A Swift body reads its arguments with non-raising calls, and
 * describes its results as a tree of optlab_value in a frame; the C trampoline
 * that called it pushes them (creating tables, strings and userdata, which may
 * raise) and raises the error, if any, after Swift has returned.
 */
#include <stddef.h>
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>

enum optlab_kind {
  OPTLAB_NIL, OPTLAB_BOOL, OPTLAB_NUMBER, OPTLAB_INTEGER, OPTLAB_STRING,
  OPTLAB_OBJECT,   /* a retained Swift object, boxed in userdata with metatable `metatable` */
  OPTLAB_ARRAY,    /* a table 1..count of items */
  OPTLAB_RECORD,   /* a table keys[i] = items[i] */
  OPTLAB_STACK,    /* the value already at stack index `integer` (returns an argument as is) */
  OPTLAB_REF       /* the value held in the registry at reference `integer` */
};

typedef struct optlab_value {
  int kind;
  int count;                   /* ARRAY, RECORD: number of items */
  double number;               /* NUMBER; BOOL (0 or 1) */
  long long integer;           /* INTEGER; STACK index; REF reference; OBJECT: metatable ref */
  char *string;                /* STRING: malloc'd, freed after the push */
  size_t length;
  void *object;                /* OBJECT: retained pointer (balanced by release if reused) */
  struct optlab_value *items;  /* ARRAY, RECORD: malloc'd, freed after the push */
  char **keys;                 /* RECORD: malloc'd keys, freed after the push */
  long long uservalue;         /* OBJECT: registry ref of a table to attach as the box's user value (0: none) */
} optlab_value;

#define OPTLAB_MAX_RESULTS 16

typedef struct optlab_frame {
  int nresults;
  optlab_value results[OPTLAB_MAX_RESULTS];
  char *error;                 /* malloc'd message when the body failed */
  int error_has_position;      /* 1: message already says where (an error from Lua code) */
} optlab_frame;

/* The Swift side: one dispatcher for every function, and the object hooks. */
typedef int (*optlab_dispatch_fn)(lua_State *L, void *ctx, optlab_frame *frame);
typedef void (*optlab_object_fn)(void *object);

typedef struct optlab_hooks {
  optlab_dispatch_fn dispatch;
  optlab_object_fn release;    /* balances the retain of an OBJECT value */
} optlab_hooks;

/* Set up a state: hooks, the object cache; under protection. 0 on success. */
int optlab_init(lua_State *L, const optlab_hooks *hooks);

/* Creates metatable `name` with __gc, returns its registry reference (>0), or 0 on failure.
 * `methods` (registry ref to a table, or 0) becomes __index unless `index_fn_ctx` is given:
 * then __index is a C function that looks up string keys in `methods` first and otherwise
 * calls the Swift function `index_fn_ctx` (properties, integer indexing). */
int optlab_new_metatable(lua_State *L, const char *name, int methods_ref, void *index_fn_ctx);

/* Protected helpers: each runs under lua_pcall and returns a Lua status (0 = ok). */
int optlab_p_newtable(lua_State *L, int *ref_out);                     /* registry ref to a new table */
int optlab_p_setfunction(lua_State *L, int table_ref, const char *name, void *ctx);
int optlab_p_setvalue(lua_State *L, int table_ref, const char *name, const optlab_value *v);
int optlab_p_setglobal_ref(lua_State *L, const char *name, int ref);
int optlab_p_push(lua_State *L, const optlab_value *v);                /* pushes one value tree */
int optlab_p_openlibs(lua_State *L);
int optlab_p_loadbuffer(lua_State *L, const char *code, size_t len, const char *chunkname); /* load only */
int optlab_p_dostring(lua_State *L, const char *code, size_t len, const char *chunkname, int nresults);
int optlab_p_dofile(lua_State *L, const char *path, int nresults);     /* "-" or NULL: stdin */
int optlab_p_tostring(lua_State *L, int index);                        /* pushes luaL_tolstring's result */
int optlab_p_ref(lua_State *L, int *ref_out);                          /* pops a value into the registry */
int optlab_p_preload(lua_State *L, const char *modname, int table_ref);/* package.preload[modname] */
/* Calls the function below `nargs` arguments with a traceback handler; on error leaves the message. */
int optlab_pcall_traceback(lua_State *L, int nargs, int nresults);

/* Non-raising checks. */
void *optlab_object_at(lua_State *L, int index, int metatable_ref);    /* NULL unless it has that metatable */
void optlab_free_value(optlab_value *v);                               /* frees a tree never pushed */

/* The Lua module (`require "optlab"`): a retained object at registry[key],
 * released by the state's collector when the host closes it; the object
 * anchored at key (NULL: none); the state's main thread. */
int optlab_p_anchor(lua_State *L, const char *key, void *object);
void *optlab_anchored(lua_State *L, const char *key);
lua_State *optlab_main_thread(lua_State *L);

/* Version string of the linked Lua library, for `optlab --version`. */
const char *optlab_lua_version(void);

/* Interrupts (Ctrl-C): installs a hook that raises "interrupted!" at the next instruction. */
void optlab_interrupt(lua_State *L);
/* While Lua code runs: SIGINT interrupts it (lua.c's laction); released afterwards. */
void optlab_catch_sigint(lua_State *L);
void optlab_release_sigint(void);
/* The same from another thread, without signals (the notebook kernel):
 * while a cell runs, request_interrupt stops it as Ctrl-C would, and
 * returns 1; with nothing running it does nothing and returns 0. */
void optlab_watch_interrupts(lua_State *L);
void optlab_unwatch_interrupts(void);
int optlab_request_interrupt(void);
/* 1 if Ctrl-C came since the last call (for loops inside Swift); clears it. */
int optlab_take_interrupt(void);



/* LUA_REGISTRYINDEX is an expression macro Swift does not import. */
static const int OPTLAB_REGISTRYINDEX = LUA_REGISTRYINDEX;

/* Non-raising wrappers for macros and variadic functions Swift cannot call. */
void optlab_full_gc(lua_State *L);
void optlab_young_gc(lua_State *L);
void optlab_gc_generational(lua_State *L);
int optlab_gc_kbytes(lua_State *L);
int optlab_p_getglobal(lua_State *L, const char *name);              /* pushes the global */
int optlab_p_setglobal(lua_State *L, const char *name);              /* pops a value into the global */
#endif
