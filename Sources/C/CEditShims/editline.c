/* libedit's variadic calls, wrapped for Swift. */
#include "CEditShims.h"
#include <stdlib.h>
#include <string.h>

static char g_prompt[256] = "> ";

static char *prompt_fn(EditLine *el) {
  (void)el;
  return g_prompt;
}

void optlab_el_set_prompt(const char *prompt) {
  strncpy(g_prompt, prompt, sizeof g_prompt - 1);
  g_prompt[sizeof g_prompt - 1] = '\0';
}

EditLine *optlab_el_open(const char *prog, History *hist, optlab_el_command complete) {
  EditLine *el = el_init(prog, stdin, stdout, stderr);
  if (!el) return NULL;
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_PROMPT, prompt_fn);
  el_set(el, EL_HIST, history, hist);   /* libedit's history() function, and our History */
  el_set(el, EL_ADDFN, "optlab-complete", "complete a name", complete);
  el_set(el, EL_BIND, "^I", "optlab-complete", NULL);
  el_source(el, NULL);   /* the user's ~/.editrc, as every libedit program reads it */
  return el;
}

void optlab_el_refresh(EditLine *el) {
  el_set(el, EL_REFRESH);
}

History *optlab_history_open(int size) {
  History *h = history_init();
  if (!h) return NULL;
  HistEvent ev;
  history(h, &ev, H_SETSIZE, size);
  history(h, &ev, H_SETUNIQUE, 1);   /* no consecutive duplicates */
  return h;
}

int optlab_history_load(History *h, const char *path) {
  HistEvent ev;
  return history(h, &ev, H_LOAD, path);
}

int optlab_history_save(History *h, const char *path) {
  HistEvent ev;
  return history(h, &ev, H_SAVE, path);
}

int optlab_history_enter(History *h, const char *line) {
  HistEvent ev;
  return history(h, &ev, H_ENTER, line);
}
