#ifndef OPTLAB_CEDITSHIMS_H
#define OPTLAB_CEDITSHIMS_H
/* Non-variadic wrappers of libedit's el_set/el_get/history, which Swift cannot call. */
#include <stdio.h>
#include <histedit.h>

typedef unsigned char (*optlab_el_command)(EditLine *, int);

/* Opens an editor on stdin/stdout with emacs bindings, `history` attached,
 * and `complete` bound to Tab. */
EditLine *optlab_el_open(const char *prog, History *hist, optlab_el_command complete);
void optlab_el_set_prompt(const char *prompt);   /* copied; shown by the next el_gets */
/* Re-reads the terminal size and redraws the line (after printing completions). */
void optlab_el_refresh(EditLine *el);

History *optlab_history_open(int size);
int optlab_history_load(History *h, const char *path);
int optlab_history_save(History *h, const char *path);
int optlab_history_enter(History *h, const char *line);

#endif
