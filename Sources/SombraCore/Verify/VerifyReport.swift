/// The public face of the integrity verifier: what to check (`VerifyOptions`),
/// what was found (`VerifyReport`, `VerifyProblem`) and progress reports.
///
/// ```swift
/// let report = try db.verify(VerifyOptions(level: .structure, maxErrors: 20))
/// for problem in report.problems { print(problem) }
/// exit(report.isClean ? 0 : 1)
/// ```
///
/// Problem codes are stable: tools print them, JSON carries them and fixtures
/// assert them. The full list, one line each, is `VerifyProblem.Code`.

/// What `Database.verify` checks and how much it reports.
public struct VerifyOptions: Sendable, Equatable {
  /// How deep to look; each level includes the ones before it.
  public enum Level: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Every page of the snapshot (main file and WAL) and every committed WAL
    /// frame: CRC trailer, page type, own page number; the header.
    case checksums
    /// + page accounting (every page owned exactly once: header, a tree,
    /// an overflow chain or the free list), B-tree invariants, the catalog.
    case structure
    /// + records, endpoints, adjacency, label and property indexes, counts.
    case graph

    private var rank: Int {
      switch self {
      case .checksums: 0
      case .structure: 1
      case .graph: 2
      }
    }

    public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
  }

  public var level: Level
  /// Check the label index and the property indexes against the node records.
  public var checkIndexes: Bool
  /// Check the adjacency tree against the edge records.
  public var checkAdjacency: Bool
  /// Problems kept in `VerifyReport.problems` (0 = all); the rest are counted.
  public var maxErrors: Int

  public init(level: Level = .graph, checkIndexes: Bool = true, checkAdjacency: Bool = true, maxErrors: Int = 100) {
    self.level = level
    self.checkIndexes = checkIndexes
    self.checkAdjacency = checkAdjacency
    self.maxErrors = maxErrors
  }
}

/// Where a running verification is: a phase name and how far through it.
/// Reported at most about every 1% of a phase, and once at its end.
public struct VerifyProgress: Sendable, Equatable {
  /// "checksums", "pages", "catalog", "nodes", "edges", "adjacency", "labels",
  /// "properties" or "counts".
  public let phase: String
  public let done: Int
  public let total: Int

  public init(phase: String, done: Int, total: Int) {
    self.phase = phase
    self.done = done
    self.total = total
  }
}

/// One broken invariant.
public struct VerifyProblem: Sendable, Equatable, Hashable, CustomStringConvertible {
  /// A stable problem code (UPPER_SNAKE). Compare with the constants or with a
  /// string literal; `rawValue` is what tools print.
  public struct Code: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    // MARK: Level checksums
    /// A page's CRC trailer does not match its bytes (main file or WAL frame).
    public static let pageChecksum: Code = "PAGE_CHECKSUM"
    /// A page's type byte is not a known page type.
    public static let pageType: Code = "PAGE_TYPE"
    /// A page holds another page's number (a misdirected write).
    public static let pageNumber: Code = "PAGE_NUMBER"
    /// A page the snapshot needs lies beyond the end of the main file and has no WAL frame.
    public static let pageMissing: Code = "PAGE_MISSING"
    /// Warning: the main-file copy of a page that a committed WAL frame replaces
    /// fails its checks (harmless until the WAL is lost; a checkpoint rewrites it).
    public static let pageSuperseded: Code = "PAGE_SUPERSEDED"
    /// Page 0 is not a valid header, or disagrees with the snapshot's header.
    public static let headerInvalid: Code = "HEADER_INVALID"
    /// The WAL header is missing or invalid while the snapshot uses WAL frames.
    public static let walHeader: Code = "WAL_HEADER"
    /// A committed WAL frame fails its running checksum or its page's checksum.
    public static let walFrameChecksum: Code = "WAL_FRAME_CHECKSUM"
    /// A committed WAL frame carries the salt of another WAL generation.
    public static let walStaleFrame: Code = "WAL_STALE_FRAME"
    /// A committed WAL frame names another page than the one it was indexed for.
    public static let walFramePage: Code = "WAL_FRAME_PAGE"
    /// The WAL is damaged inside what had been made durable (a later commit
    /// records it), or its header is damaged in front of committed frames:
    /// acknowledged commits are cut off. A read-write open refuses the WAL.
    public static let walDamaged: Code = "WAL_DAMAGED"
    /// The WAL beside the database belongs to another database (its id differs);
    /// it is not replayed, and a read-write open refuses it.
    public static let walForeign: Code = "WAL_FOREIGN"

    // MARK: Level structure
    /// A page below the page count that nothing owns (leaked).
    public static let pageUnreachable: Code = "PAGE_UNREACHABLE"
    /// A page owned twice (two trees, a tree and the free list, ...).
    public static let pageDoubleUse: Code = "PAGE_DOUBLE_USE"
    /// The free list reaches a page it already passed.
    public static let freeListCycle: Code = "FREE_LIST_CYCLE"
    /// A free-list page is not a free page, or points outside the database.
    public static let freeListBadPage: Code = "FREE_LIST_BAD_PAGE"
    /// The free list's length differs from the header's free-page count.
    public static let freeListCount: Code = "FREE_LIST_COUNT"
    /// A B-tree page is not a valid node (type, header, cell layout) or cannot be read.
    public static let btreeNode: Code = "BTREE_NODE"
    /// B-tree keys not strictly ascending within a node or across leaves.
    public static let btreeKeyOrder: Code = "BTREE_KEY_ORDER"
    /// A B-tree key outside the range its parent's separators give it.
    public static let btreeSeparator: Code = "BTREE_SEPARATOR"
    /// A child's level is not its parent's minus one (unequal leaf depth).
    public static let btreeDepth: Code = "BTREE_DEPTH"
    /// A child pointer to page 0, to the node itself or past the database.
    public static let btreeChild: Code = "BTREE_CHILD"
    /// A B-tree page reached twice within its tree (a cycle or a shared subtree).
    public static let btreeCycle: Code = "BTREE_CYCLE"
    /// A non-root node without cells, or an interior root without a separator.
    public static let btreeEmptyNode: Code = "BTREE_EMPTY_NODE"
    /// An overflow chain of the wrong type, length or shape, or cyclic.
    public static let overflowChain: Code = "OVERFLOW_CHAIN"
    /// Some graph root slots are set and others not.
    public static let rootsInvalid: Code = "ROOTS_INVALID"
    /// A catalog entry is malformed or contradicts another one.
    public static let catalogInvalid: Code = "CATALOG_INVALID"

    // MARK: Level graph
    /// A node or edge record (or its key) does not decode, names an id the
    /// catalog lacks, or has an id at or above the header's next id.
    public static let recordInvalid: Code = "RECORD_INVALID"
    /// An edge's source or target node does not exist.
    public static let edgeDangling: Code = "EDGE_DANGLING"
    /// An edge lacks its out- or in-entry in the adjacency tree.
    public static let adjacencyMissing: Code = "ADJACENCY_MISSING"
    /// An adjacency entry that no edge accounts for (or a malformed one).
    public static let adjacencyExtra: Code = "ADJACENCY_EXTRA"
    /// A node's label has no label-index entry.
    public static let labelIndexMissing: Code = "LABEL_INDEX_MISSING"
    /// A label-index entry without a node of that label (or a malformed one).
    public static let labelIndexExtra: Code = "LABEL_INDEX_EXTRA"
    /// A node an index covers has no entry (or one with a stale value).
    public static let propertyIndexMissing: Code = "PROPERTY_INDEX_MISSING"
    /// A property-index entry no node accounts for (or of an unknown index).
    public static let propertyIndexExtra: Code = "PROPERTY_INDEX_EXTRA"
    /// A stored count (per label, per edge type, node or edge total) differs
    /// from the records counted.
    public static let countMismatch: Code = "COUNT_MISMATCH"

    /// Every code, in the order above.
    public static let all: [Code] = [
      pageChecksum, pageType, pageNumber, pageMissing, pageSuperseded, headerInvalid, walHeader, walFrameChecksum,
      walStaleFrame, walFramePage, walDamaged, walForeign, pageUnreachable, pageDoubleUse, freeListCycle, freeListBadPage,
      freeListCount,
      btreeNode, btreeKeyOrder, btreeSeparator, btreeDepth, btreeChild, btreeCycle, btreeEmptyNode, overflowChain,
      rootsInvalid, catalogInvalid, recordInvalid, edgeDangling, adjacencyMissing, adjacencyExtra, labelIndexMissing,
      labelIndexExtra, propertyIndexMissing, propertyIndexExtra, countMismatch,
    ]
  }

  /// Errors make a report unclean; warnings do not (see `pageSuperseded`).
  public enum Severity: String, Sendable, Hashable {
    case error
    case warning
  }

  public let code: Code
  public let severity: Severity
  /// The page concerned, when there is one.
  public let page: UInt32?
  /// The record or entry concerned: "node 12", "edge 7", "WAL frame 3",
  /// "label Person", "nodes tree", ...
  public let record: String?
  /// The invariant that is broken, and how.
  public let message: String
  /// The repair to try.
  public let hint: String

  public init(
    _ code: Code, severity: Severity = .error, page: UInt32? = nil, record: String? = nil, message: String, hint: String
  ) {
    self.code = code
    self.severity = severity
    self.page = page
    self.record = record
    self.message = message
    self.hint = hint
  }

  /// `CODE page N (record): message; try: hint`
  public var description: String {
    var text = code.rawValue
    if severity == .warning { text += " (warning)" }
    if let page { text += " page \(page)" }
    if let record { text += " (\(record))" }
    return text + ": " + message + "; try: " + hint
  }
}

/// Repairs named in problem hints (`DB` stands for the database path).
public enum VerifyHint {
  public static let checkpoint = "sombra-repair DB checkpoint"
  public static let rebuildIndexes = "sombra-repair DB rebuild-indexes"
  public static let salvage = "sombra-repair DB salvage --output NEW"
  public static let vacuum = "sombra-repair DB vacuum"
  public static let recover =
    "sombra-repair DB recover (--accept-loss keeps a copy of the database and its WAL, then gives up what the damage cut off)"
}

/// What was checked: every count is of things actually examined.
public struct VerifyCounts: Sendable, Equatable {
  /// Pages in the snapshot (the header's page count).
  public var pages = 0
  /// Pages checked in the main file (in use or superseded) and their bytes.
  public var mainFilePages = 0
  /// Main-file pages that a WAL frame replaces in this snapshot.
  public var supersededPages = 0
  /// Committed WAL frames of the snapshot checked.
  public var walFrames = 0
  /// Bytes read and checksummed (main file and WAL).
  public var bytesChecked = 0
  /// Pages owned by the B-trees (nodes and overflow) and on the free list.
  public var treePages = 0
  public var freePages = 0
  public var catalogEntries = 0
  public var nodes = 0
  public var edges = 0
  public var adjacencyEntries = 0
  public var labelIndexEntries = 0
  public var propertyIndexEntries = 0

  public init() {}
}

/// The result of `Database.verify`.
public struct VerifyReport: Sendable, Equatable {
  public var level: VerifyOptions.Level
  /// The transaction id (commit) of the snapshot verified.
  public var transactionID: UInt64
  public var counts = VerifyCounts()
  /// Problems found, in the order found, at most `maxErrors` of them.
  public var problems: [VerifyProblem] = []
  /// Every problem found, warnings included, also those past the cap.
  public var totalProblems = 0
  /// Errors found (the problems that are not warnings), also past the cap.
  public var totalErrors = 0
  /// True when problems were left out of `problems` because of `maxErrors`
  /// (verification itself always runs to the end; the counts stay exact).
  public var stoppedEarly = false
  /// Checks not made, and why (an option turned them off, or a tree they read
  /// is structurally broken, so its findings would only repeat that damage).
  public var skipped: [String] = []
  /// Wall-clock seconds.
  public var duration: Double = 0

  /// No errors (warnings allowed).
  public var isClean: Bool { totalErrors == 0 }

  public init(level: VerifyOptions.Level, transactionID: UInt64) {
    self.level = level
    self.transactionID = transactionID
  }
}
