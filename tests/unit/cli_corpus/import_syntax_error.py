# ARGS: import {}
# ERROR: import_syntax_error.py:3:16: error: invalid syntax
def f(A: f32[4]:
    pass
