/// Where a crash test injects its power loss: at every operation a protocol
/// performs, except inside a run of more than `stride` writes to one file (a
/// checkpoint copying hundreds of pages, each write like the next), where it
/// takes the first, the last and every `stride`th, so the test stays quick.
enum CrashPoints {
  static func sample(_ log: [(number: Int, call: String, path: String)], after start: Int = 0, stride: Int = 8) -> [Int] {
    let entries = log.filter { $0.number > start }
    var points: [Int] = []
    var i = 0
    while i < entries.count {
      var end = i
      while end + 1 < entries.count, entries[end + 1].call == "pwrite", entries[i].call == "pwrite", entries[end + 1].path == entries[i].path {
        end += 1
      }
      for j in i...end where end - i < stride || j == end || (j - i) % stride == 0 {
        points.append(entries[j].number)
      }
      i = end + 1
    }
    return points
  }
}
