// dep.thrift is found through an include directory (-I), not next to the
// file that includes it.
namespace go corpus.dep

struct Dep {
  1: required i64 id (api.path = "id")
  2: optional list<string> tags
}

const string DEP_NAME = "dep"
