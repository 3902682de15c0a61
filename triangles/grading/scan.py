"""Static scan of the student's code that will run, for things that look like tampering.

A hit is only a flag for a human to look at: it never changes a score, because every answer is
compared outside the kernel anyway (export.py, judge.py) and plenty of hits are innocent.
"""

from __future__ import annotations

import re

PATTERNS: dict[str, str] = {
    "__eq__": r"__(eq|ne|hash)__",
    "builtins": r"\bbuiltins\b|__builtins__",
    "sys hook": r"\bsys\s*\.\s*(settrace|setprofile|excepthook|displayhook|meta_path|path_hooks|addaudithook)\b",
    "sys.modules": r"\bsys\s*\.\s*modules\b",
    "sys stream": r"\bsys\s*\.\s*(stdout|stderr|__stdout__)\s*=",
    "frames": r"\bsys\s*\.\s*_getframe\b|\binspect\s*\.\s*(currentframe|stack)\b|\bgc\s*\.\s*get_(objects|referrers)\b",
    "IPython events": r"\.events\s*\.\s*(register|callbacks)|\bevents\.register\b",
    "input transformers": r"\b(input_transformers(_post|_cleanup)?|ast_transformers|input_transformer_manager)\b",
    "IPython internals": r"\b(set_custom_exc|showtraceback|register_magic_function|display_pub|displayhook)\b",
    "os.kill": r"\bos\s*\.\s*(kill|killpg|abort)\b|\bsignal\s*\.\s*(signal|alarm|setitimer|pthread_kill)\b",
    "os._exit": r"\bos\s*\.\s*_exit\b",
    "subprocess": r"\bsubprocess\b|\bos\s*\.\s*(system|popen|exec\w*|fork)\b",
    "ctypes": r"\bctypes\b",
    "exec/eval": r"\b(exec|eval|compile)\s*\(",
    "answer keys": r"answer_keys?|\btriangles\s*\.\s*exercises\b|\bimport\s+triangles\b",
}
_COMPILED = {name: re.compile(rx) for name, rx in PATTERNS.items()}


def scan(sources: list[str]) -> list[str]:
    """Names of the patterns found in any of the sources, in a stable order."""
    text = "\n".join(sources)
    return [name for name, rx in _COMPILED.items() if rx.search(text)]
