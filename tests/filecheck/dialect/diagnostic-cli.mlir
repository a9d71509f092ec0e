// The stock xdsl-opt reports a verifier error as one line on stderr, exits
// non-zero, prints nothing on stdout and no Python traceback.
// RUN: not xdsl-opt %s > %t.out 2> %t.err
// RUN: filecheck %s --check-prefix=ERR --match-full-lines < %t.err
// RUN: filecheck %s --check-prefix=OUT --allow-empty < %t.out
// RUN: not grep -q Traceback %t.err

// ERR: {{.*}}diagnostic-cli.mlir:14:5: error: 'loopnest.for' op (loop 'i'): loop name 'i' is already used by an enclosing loop; loop names must be unique along each path of a nest
// ERR-NOT: {{.}}
// OUT-NOT: {{.}}

func.func @duplicate_name() {
  loopnest.for i %i in range(4) {
    loopnest.for i %j in range(4) {
    }
  }
  func.return
}
