// bench.thrift holds the medium struct of the codec benchmarks
// (kite_gen/bench and interop/gen_bench_test.go).
namespace go bench

struct Inner {
  1: required i64 id
  2: required string name
  3: optional double score
}

struct Medium {
  1: required i64 id
  2: required i32 version
  3: required bool enabled
  4: required double ratio
  5: required string title
  6: required Inner owner
  7: required list<Inner> items
  8: required map<string, string> labels
  9: required string payload
}
