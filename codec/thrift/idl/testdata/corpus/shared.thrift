/**
 * shared.thrift is included by the other corpus files: its definitions are
 * referred to as shared.Name.
 */
namespace go corpus.shared
namespace java org.example.shared
namespace * corpus.shared

enum Color {
  RED = 1,
  GREEN,
  BLUE = 0x10,
  NEGATIVE = -3 (deprecated = "true"),
}

typedef i64 UserId (go.note = "kept")

const i32 SHARED_LIMIT = 100
const Color DEFAULT_COLOR = Color.GREEN

struct SharedStruct {
  1: i32 key
  2: string value
  3: optional Color color = Color.BLUE
}

exception SharedError {
  1: i32 code = 500,
  2: string message,
}

/** SharedService is extended by services in other files. */
service SharedService {
  SharedStruct getStruct(1: i32 key) throws (1: SharedError err)
  oneway void ping()
}
