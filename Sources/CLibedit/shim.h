// libedit for the `sombra` REPL. Swift cannot call libedit's variadic el_set() or
// history(), nor assign its mutable globals under Swift 6; the REPL uses the
// readline-compatible API through the small non-variadic wrappers below.
#ifndef SOMBRA_CLIBEDIT_SHIM_H
#define SOMBRA_CLIBEDIT_SHIM_H

#include <stdio.h>
#include <editline/readline.h>

/// Installs the completion callback (rl_attempted_completion_function).
static inline void sombra_rl_set_completion(rl_completion_func_t *function) {
  rl_attempted_completion_function = function;
}

/// The character appended after a unique completion (0 for none).
static inline void sombra_rl_set_append_character(int character) {
  rl_completion_append_character = character;
}

/// The characters that separate words for completion.
static inline void sombra_rl_set_word_break_characters(const char *characters) {
  rl_basic_word_break_characters = (char *)characters;
}

/// The program name libedit uses to select ~/.editrc sections.
static inline void sombra_rl_set_name(const char *name) {
  rl_readline_name = (char *)name;
}

#endif
