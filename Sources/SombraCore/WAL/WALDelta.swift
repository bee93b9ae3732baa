/// Delta records: how a delta frame of the WAL (format version 2, see
/// `WALFormat`) says what changed in a page.
///
/// A record is `page u32, runs u16`, then `runs` times `offset u16, length u16`
/// and that many bytes. Runs are in ascending order, do not overlap, have a
/// length of at least 1 and end inside the page. A frame's records name each page
/// once, in ascending order. Page sizes are at most 64 KiB, so every offset fits
/// 16 bits; a run never covers a whole 64 KiB page because a writer logs such a
/// page as an image instead.
package enum WALDelta {
  /// Bytes of a record's header (page, run count).
  package static let recordHeaderSize = 6
  /// Bytes of a run's header (offset, length).
  package static let runHeaderSize = 4

  /// Encodes the record of `page`, whose previous version is `old` and new one
  /// `new` (same size, a multiple of 8), into `out` from `start`. Returns where
  /// the record ends, `start` when the versions are equal (no record), or nil
  /// when the record would end past `limit` (the caller logs an image).
  ///
  /// Runs are found a word (8 bytes) at a time; one equal aligned word between
  /// two changes ends a run, because a run header (4 bytes) costs less than
  /// the 8 or more equal bytes it then leaves out. The bytes of `forcing`, when
  /// given, are written in one run whether or not they changed (page 0's
  /// durable-frames claim: recovery reads it from any one record).
  package static func encode(
    page: PageNumber, old: UnsafeRawBufferPointer, new: UnsafeRawBufferPointer,
    into out: UnsafeMutableRawBufferPointer, at start: Int, limit: Int, forcing: Range<Int>? = nil
  ) -> Int? {
    let size = min(old.count, new.count) & ~7
    let limit = min(limit, out.count)
    guard start + recordHeaderSize <= limit else { return nil }
    // The aligned words that hold the forced bytes (empty when none).
    let forced = forcing.map { ($0.lowerBound & ~7)..<min($0.upperBound, size) } ?? 0..<0
    var end = start + recordHeaderSize
    var runs = 0
    var i = 0
    while i < size {
      if word(old, i) == word(new, i) && !forced.contains(i) {
        i += 8
        continue
      }
      // Exact first and last changed (or forced) bytes of the run of unequal words [i, j).
      var j = i + 8
      while j < size && (word(old, j) != word(new, j) || forced.contains(j)) { j += 8 }
      let holdsForced = forcing.map { $0.lowerBound < j && $0.upperBound > i } ?? false
      let keepFrom = holdsForced ? max(forcing?.lowerBound ?? j, i) : j
      let keepTo = holdsForced ? min(forcing?.upperBound ?? i, j) : i
      var first = i
      while first < keepFrom && old[first] == new[first] { first += 1 }
      var last = j
      while last > keepTo && old[last - 1] == new[last - 1] { last -= 1 }
      let length = last - first
      guard end + runHeaderSize + length <= limit, runs < Int(UInt16.max) else { return nil }
      out.putLE(UInt16(truncatingIfNeeded: first), at: end)
      out.putLE(UInt16(truncatingIfNeeded: length), at: end + 2)
      UnsafeMutableRawBufferPointer(rebasing: out[end + runHeaderSize..<end + runHeaderSize + length])
        .copyMemory(from: UnsafeRawBufferPointer(rebasing: new[first..<last]))
      end += runHeaderSize + length
      runs += 1
      i = j
    }
    if runs == 0 { return start }
    out.putLE(page, at: start)
    out.putLE(UInt16(truncatingIfNeeded: runs), at: start + 4)
    return end
  }

  @inline(__always)
  private static func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
    bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
  }

  /// One record found in a frame's bytes: its page and where its runs lie.
  package struct Record: Sendable, Equatable {
    package var page: PageNumber
    package var runs: Int
    /// The record's bytes after its header, in the frame's records.
    package var body: Range<Int>
  }

  /// The records of a delta frame, checked against `pageSize`; nil when they do
  /// not parse (a run leaves the page or the bytes, a page repeats or is out of
  /// order, a run is empty or overlaps the one before).
  package static func records(_ bytes: UnsafeRawBufferPointer, pageSize: Int) -> [Record]? {
    var records: [Record] = []
    var at = 0
    while at < bytes.count {
      guard bytes.count - at >= recordHeaderSize else { return nil }
      let page: PageNumber = bytes.le(at)
      let runs = Int(bytes.le(at + 4, as: UInt16.self))
      guard runs > 0, page != WALFormat.deltaFrameMarker, records.last.map({ $0.page < page }) ?? true else { return nil }
      let bodyStart = at + recordHeaderSize
      at = bodyStart
      var pageEnd = 0
      for _ in 0..<runs {
        guard bytes.count - at >= runHeaderSize else { return nil }
        let offset = Int(bytes.le(at, as: UInt16.self))
        let length = Int(bytes.le(at + 2, as: UInt16.self))
        guard length > 0, offset >= pageEnd, offset + length <= pageSize, bytes.count - at - runHeaderSize >= length else {
          return nil
        }
        pageEnd = offset + length
        at += runHeaderSize + length
      }
      records.append(Record(page: page, runs: runs, body: bodyStart..<at))
    }
    return records
  }

  /// The bytes `range` of the record's page when one run of the record
  /// (from `records`, already checked) covers all of them, else nil.
  package static func bytes(_ range: Range<Int>, in record: Record, from bytes: UnsafeRawBufferPointer) -> [UInt8]? {
    var at = record.body.lowerBound
    for _ in 0..<record.runs {
      guard at + runHeaderSize <= record.body.upperBound else { return nil }
      let offset = Int(bytes.le(at, as: UInt16.self))
      let length = Int(bytes.le(at + 2, as: UInt16.self))
      let source = at + runHeaderSize
      guard source + length <= record.body.upperBound else { return nil }
      if offset <= range.lowerBound && range.upperBound <= offset + length {
        let from = source + range.lowerBound - offset
        return Array(bytes[from..<from + range.count])
      }
      at = source + length
    }
    return nil
  }

  /// Writes a record's runs (from `records`, already checked) over `page`.
  package static func apply(_ record: Record, from bytes: UnsafeRawBufferPointer, to page: UnsafeMutableRawBufferPointer) {
    var at = record.body.lowerBound
    for _ in 0..<record.runs {
      let offset = Int(bytes.le(at, as: UInt16.self))
      let length = Int(bytes.le(at + 2, as: UInt16.self))
      let source = at + runHeaderSize
      guard source + length <= record.body.upperBound, offset + length <= page.count else { return }
      UnsafeMutableRawBufferPointer(rebasing: page[offset..<offset + length])
        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[source..<source + length]))
      at = source + length
    }
  }
}
