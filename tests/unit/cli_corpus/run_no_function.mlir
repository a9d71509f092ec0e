// ARGS: run {} --func f
// ERROR: (functions: none)
builtin.module {
}
