import SombraTestSupport
import Testing

@testable import SombraCore

/// A database on a `SimulatedDisk` (4096-byte pages unless asked) holding one
/// B-tree whose root is in header root slot 0.
struct BTreeFixture {
  let disk = SimulatedDisk()
  let path = "/db/btree.sombra"
  let options: OpenOptions
  private(set) var db: Database
  private(set) var tree: BTree

  init(pageSize: Int = 4096, cachePages: Int = 256) throws {
    var options = OpenOptions()
    options.pageSize = pageSize
    options.cachePages = cachePages
    options.sync = .off
    self.options = options
    db = try Database.open(path, options: options, storage: disk)
    tree = try db.write { tx in
      let tree = try BTree.create(in: tx.pages)
      try tx.pages.updateHeader { $0.roots[0] = tree.root }
      return tree
    }
  }

  /// Closes and reopens the database; the tree comes back from root slot 0.
  mutating func reopen() throws {
    try db.close()
    db = try Database.open(path, options: options, storage: disk)
    tree = BTree(root: try db.read { $0.header.roots[0] })
  }

  func write<R>(_ body: (PageWriter) throws -> R) throws -> R {
    try db.write { try body($0.pages) }
  }

  func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
    try db.read(body)
  }

  /// The tree's entries as a read transaction sees them.
  func entries() throws -> [(key: [UInt8], value: [UInt8])] {
    try read { try tree.entries(in: $0) }
  }

  var header: DatabaseHeader {
    get throws { try db.read { $0.header } }
  }
}

/// Checks the invariants and that every page is the header, the tree's or free.
func expectSound(_ tree: BTree, _ pages: some PageReader, freeList: UInt32, sourceLocation: SourceLocation = #_sourceLocation)
  -> BTreeCheck
{
  let check = tree.checkInvariants(in: pages)
  #expect(check.problems.isEmpty, "\(check.problems.prefix(3))", sourceLocation: sourceLocation)
  #expect(
    check.pages.count + Int(freeList) + 1 == Int(pages.pageCount),
    "page accounting: \(check.pages.count) tree + \(freeList) free + header != \(pages.pageCount)", sourceLocation: sourceLocation
  )
  return check
}

/// `n` as 8 big-endian bytes, so byte order is numeric order.
func bigEndianKey(_ n: Int, padTo length: Int = 8) -> [UInt8] {
  var bytes = withUnsafeBytes(of: UInt64(n).bigEndian) { Array($0) }
  if length > 8 { bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: length - 8) }
  return bytes
}

/// A `length`-byte key ending in `n` big-endian after a constant filler, so
/// neighbours share long prefixes and separators stay long (deep trees).
func longKey(_ n: Int, length: Int) -> [UInt8] {
  [UInt8](repeating: 0x5A, count: max(0, length - 8)) + bigEndianKey(n)
}

/// `count` pseudo-random bytes.
func randomBytes(_ rng: inout SplitMix64, count: Int) -> [UInt8] {
  [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
    let raw = UnsafeMutableRawBufferPointer(buffer)
    var offset = 0
    while offset + 8 <= count {
      raw.storeBytes(of: rng.next(), toByteOffset: offset, as: UInt64.self)
      offset += 8
    }
    while offset < count {
      raw[offset] = UInt8(truncatingIfNeeded: rng.next())
      offset += 1
    }
    initialized = count
  }
}

func isCorruption(_ error: any Error) -> Bool { (error as? SombraError)?.code == .corruption }
