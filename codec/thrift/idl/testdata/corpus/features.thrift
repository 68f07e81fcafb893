/**
 * features.thrift covers what ThriftTest does not: unions, recursion,
 * every default-value form, missing and negative field ids, uuid,
 * annotations on every element, typedef chains, constants of every type,
 * binary and struct map keys, keywords as field names, service extends.
 */
include "shared.thrift"
include "dep.thrift"

namespace go corpus.features (package.note = "ns annotation")
cpp_include "<vector>"

typedef string Name (go.type = "string")
typedef Name Alias
typedef list<Name> Names
typedef shared.SharedStruct SharedAlias
typedef binary Blob

/** Kind documents an enum. */
enum Kind {
  /** A is the first. */
  A,
  B (note = "b"),
  C = 10;
  D
} (enum.note = "x")

enum Dup {
  X = 1,
  Y = 1,
}

const bool C_BOOL = true
const bool C_BOOL2 = false
const i8 C_BYTE = -128
const i16 C_I16 = 32767
const i32 C_I32 = -0x10
const i64 C_I64 = 9223372036854775807
const double C_DOUBLE = 1.5e-3
const double C_DOUBLE_INT = 3
const string C_STRING = "quote \" and 'single' \\ tab\t"
const string C_STRING2 = 'single quoted'
const binary C_BINARY = "raw bytes"
const uuid C_UUID = "00112233-4455-6677-8899-aabbccddeeff"
const Kind C_ENUM = Kind.C
const Kind C_ENUM_INT = 1
const shared.Color C_COLOR = shared.Color.RED
const i32 C_REF = shared.SHARED_LIMIT
const i32 C_ENUM_AS_INT = Kind.D
const list<i32> C_LIST = [1, 2, 3]
const set<string> C_SET = ["a", "b"];
const map<string, i32> C_MAP = {"one": 1, "two": 2}
const map<i32, list<string>> C_MAP_LIST = {1: ["x"], 2: []}
const list<map<string, Kind>> C_NESTED = [{"a": Kind.A}, {}]
const Names C_NAMES = ["n1", "n2"]
const shared.SharedStruct C_STRUCT = {"key": 7, "value": "seven", "color": shared.Color.RED}
const list<shared.SharedStruct> C_STRUCT_LIST = [{"key": 1}, {"value": "v"}]
const map<Blob, i32> C_BLOB_MAP = {"k": 1}
const Alias C_ALIAS = "alias"

/** Defaults has a default value of every form. */
struct Defaults {
  1: bool b = true
  2: i8 i8v = -1
  3: i16 i16v = 0x7fff
  4: i32 i32v = C_I32
  5: i64 i64v = -9223372036854775808
  6: double d = 2.5
  7: double d_int = 4
  8: string s = "str"
  9: binary bin = "bin"
  10: uuid u = "{00112233-4455-6677-8899-aabbccddeeff}"
  11: Kind k = Kind.B
  12: list<i32> l = [1, 2]
  13: set<string> st = ["x"]
  14: map<string, string> m = {"k": "v"}
  15: shared.SharedStruct ss = {"key": 1, "value": "one"}
  16: optional i32 opt_with_default = 42
  17: optional string opt_str_default = "dflt"
  18: optional Kind opt_enum_default = Kind.C
  19: required i32 req_with_default = 9
  20: Alias alias = C_ALIAS
  21: list<shared.SharedStruct> structs = C_STRUCT_LIST
  22: optional list<i32> opt_list_default = [3]
  23: shared.Color color = shared.Color.BLUE
}

/** Ids has fields without ids and with non-positive ids. */
struct Ids {
  string no_id_a,
  0: string zero_id,
  -7: i32 negative_id,
  5: i32 positive,
  optional bool no_id_b,
}

union Value {
  1: bool b
  2: i64 i
  3: double d
  4: string s
  5: binary bin
  6: list<Value> list
  7: map<string, Value> map
  8: Kind kind
  9: uuid u
}

/** Tree is recursive through a list. */
struct Tree {
  1: required string name
  2: list<Tree> children
  3: optional Tree parent_copy
}

/** Chain is recursive through an optional field. */
struct Chain {
  1: i32 n
  2: optional Chain next
}

struct Keywords {
  1: string type
  2: i32 func
  3: string map
  4: string package
  5: list<string> range
  6: string string
  7: i32 error
  8: string BinarySize
}

struct Containers {
  1: list<list<string>> ll
  2: map<string, list<map<i32, string>>> mlm
  3: set<set<i64>> ss
  4: map<Blob, Blob> blobs
  5: map<shared.SharedStruct, string> struct_keys
  6: list<Value> values
  7: list<Kind> kinds
  8: map<Kind, list<shared.Color>> kind_colors
  9: list<bool> bools
  10: list<double> doubles
  11: list<uuid> uuids
  12: list<binary> bins
  13: map<i16, i8> small
  14: list<Names> name_lists
  15: optional map<string, Tree> forest
  16: list<SharedAlias> aliases
  17: set<i32> iset
  18: map<list<i32>, string> list_keys
}

struct Requireds {
  1: required bool b
  2: required i8 i8v
  3: required i16 i16v
  4: required i32 i32v
  5: required i64 i64v
  6: required double d
  7: required string s
  8: required binary bin
  9: required uuid u
  10: required Kind k
  11: required list<string> l
  12: required map<string, i32> m
  13: required set<i32> st
  14: required shared.SharedStruct ss
  15: required Alias a
  16: required dep.Dep dep
}

struct Optionals {
  1: optional bool b
  2: optional i8 i8v
  3: optional i16 i16v
  4: optional i32 i32v
  5: optional i64 i64v
  6: optional double d
  7: optional string s
  8: optional binary bin
  9: optional uuid u
  10: optional Kind k
  11: optional list<string> l
  12: optional map<string, i32> m
  13: optional set<i32> st
  14: optional shared.SharedStruct ss
  15: optional Alias a
  16: optional UserIdAlias uid
}

typedef shared.UserId UserIdAlias

struct Annotated {
  1: string (x.type = "a") field (x.field = "b", flag)
} (x.struct = "c"; other = 'd')

exception BigError {
  1: string message
  2: optional Value detail
  3: required i32 code
} (ex.note = "e")

union EmptyUnion {}

/** Features extends a service from another file. */
service Features extends shared.SharedService {
  /** Echo returns v. */
  Value echo(1: Value v) (api.get = "/echo")
  Defaults defaults(1: Defaults d, 2: optional i32 ignored_optional)
  void throwsMany(1: string which) throws (1: BigError big, 2: shared.SharedError shared_err)
  oneway void fire(1: list<Tree> trees)
  async void fireOld()
  Names names(1: Alias a)
  list<Tree> trees(1: required string root, -1: i32 neg)
  Containers containers(1: Containers c)
  Requireds requireds(1: Requireds r)
  Optionals optionals(1: Optionals o)
  Kind kind(1: Kind k)
  double close(1: double x)
  void kite()
} (svc.note = "f")

service Derived extends Features {
  i32 more(1: i32 x, 2: i32 ctx, 3: string opts)
}
