"""The board paper: the author's own sections of a quarter's paper, drafted until published."""
